//! A fresh database per test (SQLite in a temp dir, or a new PostgreSQL database when
//! `JUHE_TEST_DATABASE_URL` is set) and builders that put a small tenancy tree in it.

use juhe_adapters::db::{self, SqlStore};
use juhe_domain::apps::{App, AppKey, AppStatus, KeyKind, ports::AppRepo};
use juhe_domain::audit::{Actor, AuditEntry, AuditFilter, ports::AuditRepo};
use juhe_domain::identity::{NodeKind, RefreshTokenRecord, Role, User, UserStatus, ports::UserRepo};
use juhe_domain::ids::*;
use juhe_domain::page::PageRequest;
use juhe_domain::repo::RepoError;
use juhe_domain::scope::{NodePath, Scope};
use juhe_domain::tenancy::ports::TenancyRepo;
use juhe_domain::tenancy::*;
use std::sync::atomic::{AtomicI64, Ordering};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub struct Fixture {
    pub store: SqlStore,
    pub platform: PlatformId,
    ticks: AtomicI64,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { base_url: String, url: String },
}

impl Fixture {
    /// A migrated, empty database with one platform.
    pub async fn new() -> Self {
        let (url, cleanup) = match std::env::var("JUHE_TEST_DATABASE_URL") {
            Ok(base_url) if !base_url.is_empty() => {
                let url = db::fresh_test_database(&base_url).await.expect("create test database");
                (url.clone(), Cleanup::Postgres { base_url, url })
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite:{}", dir.path().join("juhe.db").display());
                (url, Cleanup::Sqlite(dir))
            }
        };
        let conn = db::connect(&url).await.expect("connect");
        db::migrate(&conn).await.expect("migrate");
        let store = SqlStore::new(conn);
        let fixture = Self { store, platform: PlatformId::generate(), ticks: AtomicI64::new(0), cleanup };
        let platform =
            Platform { id: fixture.platform.clone(), name: "Test platform".into(), created_at: fixture.now() };
        fixture.store.insert_platform(&platform).await.expect("insert platform");
        fixture
    }

    /// Closes the pool and drops the PostgreSQL database (the SQLite temp dir goes with `self`).
    pub async fn finish(self) {
        let _ = self.store.connection().clone().close().await;
        if let Cleanup::Postgres { base_url, url } = &self.cleanup {
            db::drop_test_database(base_url, url).await.expect("drop test database");
        }
    }

    /// A test clock: every call is 250 ms later, so stored times mix whole and fractional seconds.
    pub fn now(&self) -> OffsetDateTime {
        let tick = self.ticks.fetch_add(1, Ordering::SeqCst);
        datetime!(2026-11-01 08:00:00 UTC) + Duration::milliseconds(250 * tick)
    }

    pub fn root(&self) -> Scope {
        Scope::platform(self.platform.clone())
    }

    pub fn root_path(&self) -> NodePath {
        NodePath::platform_root(&self.platform)
    }

    pub fn scope(&self, path: &NodePath) -> Scope {
        Scope::new(self.platform.clone(), path.clone())
    }

    pub fn audit(&self, path: &NodePath, action: &str, target_kind: &str, target_id: &str) -> AuditEntry {
        let actor = Actor::system("test");
        AuditEntry::new(&self.platform, path, &actor, action, target_kind, target_id, None, None, self.now())
    }

    pub async fn agent(&self, parent: Option<&Agent>, name: &str) -> Agent {
        let id = AgentId::generate();
        let parent_path = parent.map_or_else(|| self.root_path(), |p| p.path.clone());
        let now = self.now();
        let agent = Agent {
            path: parent_path.child(id.as_str()),
            id,
            platform_id: self.platform.clone(),
            parent_id: parent.map(|p| p.id.clone()),
            level: parent.map_or(1, |p| p.level + 1),
            name: name.into(),
            contact_name: Some("Contact".into()),
            contact_phone_enc: Some("enc:13800000000".into()),
            contact_phone_masked: Some("138****0000".into()),
            status: NodeStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = self.audit(&agent.path, "agent.create", "agent", agent.id.as_str());
        self.store.insert_agent(&agent, &audit).await.expect("insert agent");
        agent
    }

    pub fn new_entity(&self, name: &str) -> LegalEntity {
        let now = self.now();
        LegalEntity {
            id: LegalEntityId::generate(),
            platform_id: self.platform.clone(),
            kind: EntityKind::Enterprise,
            name: name.into(),
            id_number_enc: "enc:91310000MA1K0XX00X".into(),
            id_number_hash: format!("hash-{}", uuid::Uuid::new_v4().simple()),
            id_number_last4: "X00X".into(),
            legal_person_enc: Some("enc:张三".into()),
            legal_person_masked: Some("张*".into()),
            created_at: now,
            updated_at: now,
        }
    }

    pub async fn entity(&self, name: &str) -> LegalEntity {
        let entity = self.new_entity(name);
        let audit = self.audit(&self.root_path(), "legal_entity.create", "legal_entity", entity.id.as_str());
        self.store.insert_legal_entity(&entity, &audit).await.expect("insert legal entity");
        entity
    }

    pub fn new_merchant(&self, agent: Option<&Agent>, entity: &LegalEntityId, name: &str) -> Merchant {
        let id = MerchantId::generate();
        let parent_path = agent.map_or_else(|| self.root_path(), |a| a.path.clone());
        let now = self.now();
        Merchant {
            path: parent_path.child(id.as_str()),
            id,
            platform_id: self.platform.clone(),
            merchant_no: format!("M{}", &uuid::Uuid::new_v4().simple().to_string()[..10]),
            agent_id: agent.map(|a| a.id.clone()),
            parent_id: None,
            legal_entity_id: entity.clone(),
            name: name.into(),
            short_name: name.chars().take(8).collect(),
            business_scene: BusinessScene::Both,
            settle_to_parent: false,
            contact_name: None,
            contact_phone_enc: None,
            contact_phone_masked: None,
            status: NodeStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    pub async fn merchant(&self, agent: Option<&Agent>, entity: &LegalEntity, name: &str) -> Merchant {
        let merchant = self.new_merchant(agent, &entity.id, name);
        self.insert_merchant(&merchant).await;
        merchant
    }

    pub async fn child_merchant(&self, parent: &Merchant, name: &str) -> Merchant {
        let mut child = self.new_merchant(None, &parent.legal_entity_id, name);
        child.agent_id = parent.agent_id.clone();
        child.parent_id = Some(parent.id.clone());
        child.path = parent.path.child(child.id.as_str());
        child.settle_to_parent = true;
        self.insert_merchant(&child).await;
        child
    }

    async fn insert_merchant(&self, merchant: &Merchant) {
        let audit = self.audit(&merchant.path, "merchant.create", "merchant", merchant.id.as_str());
        self.store.insert_merchant(merchant, &audit).await.expect("insert merchant");
    }

    pub async fn store_at(&self, merchant: &Merchant, name: &str) -> Store {
        let id = StoreId::generate();
        let now = self.now();
        let store = Store {
            path: merchant.path.child(id.as_str()),
            id,
            platform_id: self.platform.clone(),
            merchant_id: merchant.id.clone(),
            name: name.into(),
            address: "1 Test Road".into(),
            business_category: "5812".into(),
            status: NodeStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = self.audit(&store.path, "store.create", "store", store.id.as_str());
        self.store.insert_store(&store, &audit).await.expect("insert store");
        store
    }

    pub fn new_user(&self, username: &str, role: Role, node_id: &str, path: &NodePath) -> User {
        let now = self.now();
        User {
            id: UserId::generate(),
            platform_id: self.platform.clone(),
            username: username.into(),
            display_name: format!("{username} display"),
            role,
            node_kind: role.node_kind(),
            node_id: node_id.into(),
            path: path.clone(),
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
        }
    }

    pub async fn user_at(&self, username: &str, role: Role, node_id: &str, path: &NodePath) -> User {
        let user = self.new_user(username, role, node_id, path);
        let audit = self.audit(path, "user.create", "user", user.id.as_str());
        UserRepo::insert(&self.store, &user, "$argon2id$hash", &audit).await.expect("insert user");
        user
    }

    pub fn new_key(&self, app: &App) -> AppKey {
        AppKey {
            id: AppKeyId::generate(),
            app_id: app.id.clone(),
            kind: KeyKind::Hmac,
            secret_enc: Some("enc:secret".into()),
            public_key_pem: None,
            not_after: None,
            revoked_at: None,
            created_at: self.now(),
        }
    }

    pub async fn app_at(&self, owner_kind: NodeKind, owner_id: &str, path: &NodePath, name: &str) -> (App, AppKey) {
        let now = self.now();
        let app = App {
            id: AppId::generate(),
            platform_id: self.platform.clone(),
            owner_kind,
            owner_id: owner_id.into(),
            path: path.clone(),
            name: name.into(),
            status: AppStatus::Active,
            ip_allow_list: vec!["10.0.0.0/8".into(), "192.168.1.7".into()],
            allowed_ways: vec!["WX_JSAPI".into()],
            notify_url: Some("https://example.com/notify".into()),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let key = self.new_key(&app);
        let audit = self.audit(path, "app.create", "app", app.id.as_str());
        AppRepo::insert(&self.store, &app, &key, &audit).await.expect("insert app");
        (app, key)
    }
}

pub fn page(page: u64, page_size: u64) -> PageRequest {
    PageRequest { page, page_size }
}

pub fn conflict(err: RepoError) -> String {
    match err {
        RepoError::Conflict(name) => name,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Audit rows about one record, as the platform sees them.
pub async fn audit_rows(fx: &Fixture, target_id: &str) -> u64 {
    let filter = AuditFilter { target_id: Some(target_id.into()), ..Default::default() };
    AuditRepo::list(&fx.store, &fx.root(), &filter, PageRequest::default()).await.unwrap().total
}

pub fn refresh_token(fx: &Fixture, user: &UserId, family: &str, hash: &str) -> RefreshTokenRecord {
    let now = fx.now();
    RefreshTokenRecord {
        id: RefreshTokenId::generate(),
        platform_id: fx.platform.clone(),
        user_id: user.clone(),
        family_id: family.into(),
        token_hash: hash.into(),
        expires_at: now + Duration::days(14),
        rotated_at: None,
        revoked_at: None,
        created_at: now,
    }
}

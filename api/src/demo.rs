//! Demo data (OPEN_API.md "Demo data"): a platform, an agent with a sub-agent, a group merchant
//! with a child merchant, stores, users for each level and an HMAC app. The output (with the
//! one-time app secret) is kept in `<data_dir>/demo.json` (mode 0600) so `make run` can show the
//! logins again; demo passwords are fixed and public — never use demo data in production.

use crate::state::AppState;
use anyhow::{Context, anyhow};
use juhe_domain::apps::service::{KeyInput, NewApp};
use juhe_domain::identity::service::NewUser;
use juhe_domain::identity::{Caller, NodeKind, Role, User};
use juhe_domain::secret::Secret;
use juhe_domain::tenancy::service::{ContactInput, NewAgent};
use juhe_domain::tenancy::service_merchants::{LegalEntityInput, NewLegalEntity, NewMerchant};
use juhe_domain::tenancy::service_stores::NewStore;
use juhe_domain::tenancy::{BusinessScene, EntityKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Login {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AgentOut {
    pub username: String,
    pub password: String,
    pub agent_id: String,
    pub sub_agent_id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct MerchantOut {
    pub username: String,
    pub password: String,
    pub merchant_id: String,
    pub merchant_no: String,
    pub child_merchant_no: String,
    pub app_id: String,
    pub app_secret: String,
    pub store_id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ClerkOut {
    pub username: String,
    pub password: String,
    pub store_id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DemoOutput {
    pub admin: Login,
    pub agent: AgentOut,
    pub merchant: MerchantOut,
    pub store_clerk: ClerkOut,
    pub base_url: String,
}

const ADMIN: (&str, &str) = ("admin", "demo-admin-2026");
const AGENT: (&str, &str) = ("agent", "demo-agent-2026");
const MERCHANT: (&str, &str) = ("merchant", "demo-merchant-2026");
const CLERK: (&str, &str) = ("clerk", "demo-clerk-2026");

fn demo_file(state: &AppState) -> PathBuf {
    state.config.data_dir.join("demo.json")
}

/// Seeds an empty database; fails if it already has users.
pub async fn seed(state: &AppState) -> anyhow::Result<DemoOutput> {
    if state.auth.users.any().await.map_err(|e| anyhow!("{e}"))? {
        anyhow::bail!("the database already has data; demo seeding needs an empty database");
    }
    let out = build(state).await?;
    save(state, &out)?;
    Ok(out)
}

/// Seeds when empty, else returns what the earlier seeding saved.
pub async fn seed_or_load(state: &AppState) -> anyhow::Result<DemoOutput> {
    if !state.auth.users.any().await.map_err(|e| anyhow!("{e}"))? {
        return seed(state).await;
    }
    let raw = std::fs::read_to_string(demo_file(state))
        .context("the database has data but no demo.json; start without --seed-demo")?;
    Ok(serde_json::from_str(&raw)?)
}

async fn user(
    state: &AppState,
    caller: Option<&Caller>,
    login: (&str, &str),
    role: Role,
    node: Option<String>,
) -> anyhow::Result<User> {
    let new = NewUser {
        username: login.0.into(),
        display_name: None,
        password: Secret::new(login.1.into()),
        role,
        node_id: node,
    };
    let made = match caller {
        Some(c) => state.auth.create_user(c, new).await,
        None => {
            let platform = state.tenancy.ensure_platform("juhe demo").await.map_err(|e| anyhow!("{e}"))?;
            state.auth.create_user_as_system(&platform.id, new, NodeKind::Platform).await
        }
    };
    made.map_err(|e| anyhow!("creating user {}: {e}", login.0))
}

async fn build(state: &AppState) -> anyhow::Result<DemoOutput> {
    let e = |e: juhe_domain::tenancy::service::TenancyError| anyhow!("{e}");
    let admin = user(state, None, ADMIN, Role::PlatformAdmin, None).await?;
    let caller = Caller::for_user(&admin, "demo-seed");
    let t = &state.tenancy;
    let contact =
        |name: &str, phone: &str| ContactInput { contact_name: Some(name.into()), contact_phone: Some(phone.into()) };

    let agent = t
        .create_agent(
            &caller,
            NewAgent { parent_id: None, name: "华东代理".into(), contact: contact("王经理", "13800000001") },
        )
        .await
        .map_err(e)?;
    let sub_agent = t
        .create_agent(
            &caller,
            NewAgent {
                parent_id: Some(agent.id.clone()),
                name: "杭州代理".into(),
                contact: contact("李经理", "13800000002"),
            },
        )
        .await
        .map_err(e)?;
    let entity = NewLegalEntity {
        kind: EntityKind::Enterprise,
        name: "杭州聚合餐饮管理有限公司".into(),
        id_number: "91330100MA2DEMO001".into(),
        legal_person: Some("张三".into()),
    };
    let parent = t
        .create_merchant(
            &caller,
            NewMerchant {
                agent_id: Some(sub_agent.id.clone()),
                parent_id: None,
                legal_entity: Some(LegalEntityInput::Details(entity)),
                name: "聚合餐饮集团".into(),
                short_name: Some("聚合餐饮".into()),
                business_scene: BusinessScene::Both,
                settle_to_parent: false,
                contact: contact("张三", "13800000003"),
            },
        )
        .await
        .map_err(e)?;
    let child = t
        .create_merchant(
            &caller,
            NewMerchant {
                agent_id: None,
                parent_id: Some(parent.id.clone()),
                legal_entity: None,
                name: "聚合餐饮西湖店".into(),
                short_name: Some("西湖店".into()),
                business_scene: BusinessScene::Offline,
                settle_to_parent: true,
                contact: contact("赵六", "13800000004"),
            },
        )
        .await
        .map_err(e)?;
    let store = t
        .create_store(
            &caller,
            NewStore {
                merchant_id: Some(parent.id.clone()),
                name: "总店".into(),
                address: "杭州市西湖区文三路 1 号".into(),
                business_category: "5812".into(),
            },
        )
        .await
        .map_err(e)?;
    t.create_store(
        &caller,
        NewStore {
            merchant_id: Some(child.id.clone()),
            name: "西湖店".into(),
            address: "杭州市西湖区北山街 2 号".into(),
            business_category: "5812".into(),
        },
    )
    .await
    .map_err(e)?;

    crate::demo_channels::bind_sandboxes(state, &caller, &[&parent, &child]).await?;
    user(state, Some(&caller), AGENT, Role::AgentAdmin, Some(agent.id.to_string())).await?;
    user(state, Some(&caller), MERCHANT, Role::MerchantAdmin, Some(parent.id.to_string())).await?;
    user(state, Some(&caller), CLERK, Role::StoreClerk, Some(store.id.to_string())).await?;

    let issued = state
        .apps
        .create(
            &caller,
            NewApp {
                owner_kind: NodeKind::Merchant,
                owner_id: Some(parent.id.to_string()),
                name: "demo app".into(),
                key: KeyInput::Hmac,
                ip_allow_list: vec![],
                allowed_ways: vec![],
                // With the sandboxes on, notifications land in a demo inbox anyone can look at.
                notify_url: state.sandboxes.as_ref().map(|_| format!("{}/sandbox/inbox/demo", state.config.public_url)),
            },
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let secret = issued.secret.map(Secret::into_inner).ok_or_else(|| anyhow!("HMAC app without secret"))?;

    let login = |(u, p): (&str, &str)| (u.to_owned(), p.to_owned());
    Ok(DemoOutput {
        admin: Login { username: login(ADMIN).0, password: login(ADMIN).1 },
        agent: AgentOut {
            username: login(AGENT).0,
            password: login(AGENT).1,
            agent_id: agent.id.to_string(),
            sub_agent_id: sub_agent.id.to_string(),
        },
        merchant: MerchantOut {
            username: login(MERCHANT).0,
            password: login(MERCHANT).1,
            merchant_id: parent.id.to_string(),
            merchant_no: parent.merchant_no,
            child_merchant_no: child.merchant_no,
            app_id: issued.app.id.to_string(),
            app_secret: secret,
            store_id: store.id.to_string(),
        },
        store_clerk: ClerkOut { username: login(CLERK).0, password: login(CLERK).1, store_id: store.id.to_string() },
        base_url: state.config.public_url.clone(),
    })
}

fn save(state: &AppState, out: &DemoOutput) -> anyhow::Result<()> {
    let path = demo_file(state);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, serde_json::to_vec_pretty(out)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// What `make run` prints: where to go and how to log in.
pub fn banner(out: &DemoOutput) -> String {
    format!(
        "\njuhe demo is ready at {base}\n  API docs:        {base}/docs\n  platform admin:  {a} / {ap}\n  agent admin:     {g} / {gp}\n  merchant admin:  {m} / {mp}  (merchant_no {no})\n  store clerk:     {c} / {cp}\n  Open API app:    app_id {app}  secret {sec}\n",
        base = out.base_url,
        a = out.admin.username,
        ap = out.admin.password,
        g = out.agent.username,
        gp = out.agent.password,
        m = out.merchant.username,
        mp = out.merchant.password,
        no = out.merchant.merchant_no,
        c = out.store_clerk.username,
        cp = out.store_clerk.password,
        app = out.merchant.app_id,
        sec = out.merchant.app_secret,
    )
}

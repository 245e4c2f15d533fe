//! Writes: moving a subtree, optimistic updates, unique keys, and audit rows only for writes that happen.

use crate::fixture::{Fixture, audit_rows, conflict, page, refresh_token};
use juhe_domain::apps::{AppFilter, AppStatus, ports::AppRepo};
use juhe_domain::audit::{AuditFilter, ports::AuditRepo};
use juhe_domain::identity::ports::{RefreshTokenRepo, UserRepo};
use juhe_domain::identity::{NodeKind, RefreshTokenRecord, Role, UserFilter};
use juhe_domain::ids::*;
use juhe_domain::repo::RepoError;
use juhe_domain::scope::NodePath;
use juhe_domain::tenancy::ports::TenancyRepo;
use juhe_domain::tenancy::*;

#[tokio::test]
async fn moving_a_merchant_moves_its_whole_subtree() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let e = fx.entity("Entity").await;
    let m = fx.merchant(Some(&a), &e, "Group").await;
    let child = fx.child_merchant(&m, "Group branch").await;
    let st = fx.store_at(&m, "Store").await;
    let child_st = fx.store_at(&child, "Branch store").await;
    let admin = fx.user_at("group.admin", Role::MerchantAdmin, m.id.as_str(), &m.path).await;
    let clerk = fx.user_at("clerk", Role::StoreClerk, st.id.as_str(), &st.path).await;
    let (app, _) = fx.app_at(NodeKind::Merchant, m.id.as_str(), &m.path, "App").await;

    let mut moved = m.clone();
    moved.agent_id = Some(b.id.clone());
    moved.path = b.path.child(m.id.as_str());
    moved.updated_at = fx.now();
    let audit = fx.audit(&moved.path, "merchant.move", "merchant", m.id.as_str());
    s.move_merchant(&moved, &m.path, &audit).await.unwrap();

    let (sa, sb) = (fx.scope(&a.path), fx.scope(&b.path));
    assert!(s.get_merchant(&sa, &m.id).await.unwrap().is_none());
    let got = s.get_merchant(&sb, &m.id).await.unwrap().unwrap();
    assert_eq!((got.path.clone(), got.agent_id.clone(), got.version), (moved.path.clone(), Some(b.id.clone()), 2));
    let got_child = s.get_merchant(&sb, &child.id).await.unwrap().unwrap();
    assert_eq!(got_child.path, moved.path.child(child.id.as_str()));
    assert_eq!((got_child.agent_id, got_child.version), (Some(b.id.clone()), 2));
    assert_eq!(s.get_store(&sb, &st.id).await.unwrap().unwrap().path, moved.path.child(st.id.as_str()));
    let child_store = s.get_store(&sb, &child_st.id).await.unwrap().unwrap();
    assert_eq!(child_store.path, moved.path.child(child.id.as_str()).child(child_st.id.as_str()));
    assert_eq!(UserRepo::get(s, &sb, &admin.id).await.unwrap().unwrap().path, moved.path);
    assert_eq!(UserRepo::get(s, &sb, &clerk.id).await.unwrap().unwrap().path, moved.path.child(st.id.as_str()));
    let got_app = AppRepo::get(s, &sb, &app.id).await.unwrap().unwrap();
    assert_eq!((got_app.path, got_app.version), (moved.path.clone(), 2));

    // The old agent sees none of it any more.
    assert_eq!(s.list_merchants(&sa, &MerchantFilter::default(), page(1, 20)).await.unwrap().total, 0);
    assert_eq!(s.list_stores(&sa, &StoreFilter::default(), page(1, 20)).await.unwrap().total, 0);
    assert_eq!(UserRepo::list(s, &sa, &UserFilter::default(), page(1, 20)).await.unwrap().total, 0);
    assert_eq!(AppRepo::list(s, &sa, &AppFilter::default(), page(1, 20)).await.unwrap().total, 0);
    let filter = AuditFilter { action: Some("merchant.move".into()), ..Default::default() };
    assert_eq!(AuditRepo::list(s, &sb, &filter, page(1, 20)).await.unwrap().total, 1);

    // A move based on the old version is refused and changes nothing.
    let mut stale = m.clone();
    stale.path = fx.root_path().child(m.id.as_str());
    stale.agent_id = None;
    let stale_audit = fx.audit(&stale.path, "merchant.move.stale", "merchant", m.id.as_str());
    assert_eq!(conflict(s.move_merchant(&stale, &moved.path, &stale_audit).await.unwrap_err()), "version");
    assert_eq!(s.get_store(&sb, &st.id).await.unwrap().unwrap().path, moved.path.child(st.id.as_str()));
    let filter = AuditFilter { action: Some("merchant.move.stale".into()), ..Default::default() };
    assert_eq!(AuditRepo::list(s, &fx.root(), &filter, page(1, 20)).await.unwrap().total, 0);
    fx.finish().await;
}

#[tokio::test]
async fn updates_are_optimistic_and_keep_the_tree_position() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let root = fx.root();
    let a = fx.agent(None, "Agent").await;
    let e = fx.entity("Entity").await;
    let m = fx.merchant(Some(&a), &e, "Shop").await;
    let st = fx.store_at(&m, "Store").await;
    let (app, _) = fx.app_at(NodeKind::Merchant, m.id.as_str(), &m.path, "App").await;

    let mut a2 = a.clone();
    a2.name = "Renamed agent".into();
    a2.path = fx.root_path().child("ag_elsewhere"); // ignored: updates never move a node
    s.update_agent(&a2, &fx.audit(&a.path, "agent.update", "agent", a.id.as_str())).await.unwrap();
    let got = s.get_agent(&root, &a.id).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.version, &got.path), ("Renamed agent", 2, &a.path));
    let stale = fx.audit(&a.path, "agent.update.stale", "agent", a.id.as_str());
    assert_eq!(conflict(s.update_agent(&a2, &stale).await.unwrap_err()), "version");
    let mut ghost = a.clone();
    ghost.id = AgentId::generate();
    let ghost_audit = fx.audit(&a.path, "agent.update", "agent", ghost.id.as_str());
    assert!(matches!(s.update_agent(&ghost, &ghost_audit).await, Err(RepoError::NotFound)));
    assert_eq!(audit_rows(&fx, ghost.id.as_str()).await, 0);
    let filter = AuditFilter { action: Some("agent.update.stale".into()), ..Default::default() };
    assert_eq!(AuditRepo::list(s, &root, &filter, page(1, 20)).await.unwrap().total, 0);

    let mut m2 = m.clone();
    m2.status = NodeStatus::Disabled;
    m2.agent_id = None; // ignored, moving is move_merchant
    s.update_merchant(&m2, &fx.audit(&m.path, "merchant.disable", "merchant", m.id.as_str())).await.unwrap();
    let got = s.get_merchant(&root, &m.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.version, got.agent_id), (NodeStatus::Disabled, 2, Some(a.id.clone())));
    let again = fx.audit(&m.path, "merchant.disable", "merchant", m.id.as_str());
    assert_eq!(conflict(s.update_merchant(&m2, &again).await.unwrap_err()), "version");

    let mut st2 = st.clone();
    st2.address = "2 New Road".into();
    s.update_store(&st2, &fx.audit(&st.path, "store.update", "store", st.id.as_str())).await.unwrap();
    assert_eq!(s.get_store(&root, &st.id).await.unwrap().unwrap().address, "2 New Road");
    let again = fx.audit(&st.path, "store.update", "store", st.id.as_str());
    assert_eq!(conflict(s.update_store(&st2, &again).await.unwrap_err()), "version");

    let mut app2 = app.clone();
    app2.ip_allow_list = vec!["203.0.113.9".into()];
    app2.allowed_ways = vec![];
    app2.notify_url = None;
    app2.status = AppStatus::Disabled;
    AppRepo::update(s, &app2, &fx.audit(&app.path, "app.update", "app", app.id.as_str())).await.unwrap();
    let got = AppRepo::get(s, &root, &app.id).await.unwrap().unwrap();
    assert_eq!(got.ip_allow_list, vec!["203.0.113.9".to_string()]);
    assert!(got.allowed_ways.is_empty() && got.notify_url.is_none());
    assert_eq!((got.status, got.version), (AppStatus::Disabled, 2));
    let again = fx.audit(&app.path, "app.update", "app", app.id.as_str());
    assert_eq!(conflict(AppRepo::update(s, &app2, &again).await.unwrap_err()), "version");
    fx.finish().await;
}

#[tokio::test]
async fn unique_violations_are_named_conflicts_and_leave_no_audit_row() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let e = fx.entity("Entity").await;
    let m = fx.merchant(None, &e, "Shop").await;

    let mut dup = fx.new_merchant(None, &e.id, "Copycat");
    dup.merchant_no = m.merchant_no.clone();
    let audit = fx.audit(&dup.path, "merchant.create", "merchant", dup.id.as_str());
    assert_eq!(conflict(s.insert_merchant(&dup, &audit).await.unwrap_err()), "merchants.merchant_no");
    assert_eq!(audit_rows(&fx, dup.id.as_str()).await, 0);
    assert!(s.get_merchant(&fx.root(), &dup.id).await.unwrap().is_none());

    let same_id = Merchant { merchant_no: "M9999999999".into(), ..m.clone() };
    let again = fx.audit(&m.path, "merchant.create", "merchant", m.id.as_str());
    assert_eq!(conflict(s.insert_merchant(&same_id, &again).await.unwrap_err()), "merchants.id");
    assert_eq!(audit_rows(&fx, m.id.as_str()).await, 1);

    let carol = fx.user_at("carol", Role::PlatformAdmin, fx.platform.as_str(), &fx.root_path()).await;
    let twin = fx.new_user("carol", Role::PlatformOperator, fx.platform.as_str(), &fx.root_path());
    let audit = fx.audit(&fx.root_path(), "user.create", "user", twin.id.as_str());
    assert_eq!(conflict(UserRepo::insert(s, &twin, "h", &audit).await.unwrap_err()), "users.username");
    assert_eq!(audit_rows(&fx, twin.id.as_str()).await, 0);

    let mut same_number = fx.new_entity("Same number");
    same_number.id_number_hash = e.id_number_hash.clone();
    let audit = fx.audit(&fx.root_path(), "legal_entity.create", "legal_entity", same_number.id.as_str());
    let err = s.insert_legal_entity(&same_number, &audit).await.unwrap_err();
    assert_eq!(conflict(err), "legal_entities.id_number_hash");
    // The same number is another platform's business.
    let other = PlatformId::generate();
    s.insert_platform(&Platform { id: other.clone(), name: "Other".into(), created_at: fx.now() }).await.unwrap();
    same_number.platform_id = other.clone();
    let mut audit = audit.clone();
    audit.platform_id = other.clone();
    audit.path = NodePath::platform_root(&other);
    s.insert_legal_entity(&same_number, &audit).await.unwrap();
    assert!(s.find_legal_entity_by_hash(&other, &e.id_number_hash).await.unwrap().is_some());

    let token = refresh_token(&fx, &carol.id, "family", "hash-1");
    RefreshTokenRepo::insert(s, &token).await.unwrap();
    let replay = RefreshTokenRecord { id: RefreshTokenId::generate(), ..token };
    assert_eq!(conflict(RefreshTokenRepo::insert(s, &replay).await.unwrap_err()), "refresh_tokens.token_hash");

    // Any other failure (here a missing legal entity) is a backend error, also without audit.
    let orphan = fx.new_merchant(None, &LegalEntityId::generate(), "Orphan");
    let audit = fx.audit(&orphan.path, "merchant.create", "merchant", orphan.id.as_str());
    assert!(matches!(s.insert_merchant(&orphan, &audit).await, Err(RepoError::Backend(_))));
    assert_eq!(audit_rows(&fx, orphan.id.as_str()).await, 0);
    fx.finish().await;
}

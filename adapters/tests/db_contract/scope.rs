//! Tenant isolation: what a scope sees, legal entity visibility and the node directory.

use crate::fixture::{Fixture, page};
use juhe_domain::apps::{AppFilter, ports::AppRepo};
use juhe_domain::audit::{AuditFilter, ports::AuditRepo};
use juhe_domain::identity::ports::UserRepo;
use juhe_domain::identity::{NodeKind, Role, UserFilter};
use juhe_domain::ids::*;
use juhe_domain::scope::Scope;
use juhe_domain::tenancy::ports::{NodeDirectory, TenancyRepo};
use juhe_domain::tenancy::*;

#[tokio::test]
async fn reads_see_only_the_callers_subtree() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let a = fx.agent(None, "Alpha").await;
    let a1 = fx.agent(Some(&a), "Alpha One").await;
    let b = fx.agent(None, "Beta").await;
    let e = fx.entity("Entity").await;
    let ma = fx.merchant(Some(&a1), &e, "Shop A").await;
    let mb = fx.merchant(Some(&b), &e, "Shop B").await;
    let sa = fx.store_at(&ma, "Store A").await;
    let sb = fx.store_at(&mb, "Store B").await;
    let ua = fx.user_at("alice", Role::MerchantAdmin, ma.id.as_str(), &ma.path).await;
    let ub = fx.user_at("bob", Role::MerchantAdmin, mb.id.as_str(), &mb.path).await;
    let (app_a, _) = fx.app_at(NodeKind::Merchant, ma.id.as_str(), &ma.path, "App A").await;
    let (app_b, _) = fx.app_at(NodeKind::Merchant, mb.id.as_str(), &mb.path, "App B").await;
    let sc = fx.scope(&a.path);

    assert_eq!(s.get_agent(&sc, &a1.id).await.unwrap().unwrap().name, "Alpha One");
    assert!(s.get_agent(&sc, &b.id).await.unwrap().is_none());
    assert!(s.get_merchant(&sc, &ma.id).await.unwrap().is_some());
    assert!(s.get_merchant(&sc, &mb.id).await.unwrap().is_none());
    assert!(s.get_merchant_by_no(&sc, &ma.merchant_no).await.unwrap().is_some());
    assert!(s.get_merchant_by_no(&sc, &mb.merchant_no).await.unwrap().is_none());
    assert!(s.get_store(&sc, &sa.id).await.unwrap().is_some());
    assert!(s.get_store(&sc, &sb.id).await.unwrap().is_none());
    assert!(UserRepo::get(s, &sc, &ua.id).await.unwrap().is_some());
    assert!(UserRepo::get(s, &sc, &ub.id).await.unwrap().is_none());
    assert!(AppRepo::get(s, &sc, &app_a.id).await.unwrap().is_some());
    assert!(AppRepo::get(s, &sc, &app_b.id).await.unwrap().is_none());

    let agents = s.list_agents(&sc, &AgentFilter::default(), page(1, 50)).await.unwrap();
    let mut names: Vec<_> = agents.items.iter().map(|a| a.name.as_str()).collect();
    names.sort();
    assert_eq!((agents.total, names), (2, vec!["Alpha", "Alpha One"]));
    let merchants = s.list_merchants(&sc, &MerchantFilter::default(), page(1, 50)).await.unwrap();
    assert_eq!(merchants.items.iter().map(|m| &m.id).collect::<Vec<_>>(), vec![&ma.id]);
    let stores = s.list_stores(&sc, &StoreFilter::default(), page(1, 50)).await.unwrap();
    assert_eq!(stores.items.iter().map(|x| &x.id).collect::<Vec<_>>(), vec![&sa.id]);
    let users = UserRepo::list(s, &sc, &UserFilter::default(), page(1, 50)).await.unwrap();
    assert_eq!(users.items.iter().map(|u| &u.id).collect::<Vec<_>>(), vec![&ua.id]);
    let apps = AppRepo::list(s, &sc, &AppFilter::default(), page(1, 50)).await.unwrap();
    assert_eq!(apps.items.iter().map(|x| &x.id).collect::<Vec<_>>(), vec![&app_a.id]);
    let audit = AuditRepo::list(s, &sc, &AuditFilter::default(), page(1, 200)).await.unwrap();
    assert!(audit.items.iter().all(|e| e.path.is_within(&a.path)));
    assert!(audit.items.iter().any(|e| e.target_id == ma.id.as_str()));
    assert!(!audit.items.iter().any(|e| e.target_id == mb.id.as_str()));

    // Another platform sees nothing, even with the same path.
    let other = Scope::new(PlatformId::generate(), a.path.clone());
    assert!(s.get_agent(&other, &a.id).await.unwrap().is_none());
    assert_eq!(s.list_merchants(&other, &MerchantFilter::default(), page(1, 20)).await.unwrap().total, 0);
    fx.finish().await;
}

#[tokio::test]
async fn like_wildcards_in_scope_paths_match_literally() {
    let fx = Fixture::new().await;
    let a = fx.agent(None, "Real").await;
    // An id that `_` as a wildcard would match: `ag_…` vs `agx…`.
    let lookalike_id = AgentId::from_trusted(a.id.as_str().replacen('_', "x", 1));
    let mut lookalike = a.clone();
    lookalike.path = fx.root_path().child(lookalike_id.as_str());
    lookalike.id = lookalike_id;
    lookalike.name = "Lookalike".into();
    let audit = fx.audit(&lookalike.path, "agent.create", "agent", lookalike.id.as_str());
    fx.store.insert_agent(&lookalike, &audit).await.unwrap();

    let listed = fx.store.list_agents(&fx.scope(&a.path), &AgentFilter::default(), page(1, 20)).await.unwrap();
    assert_eq!(listed.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["Real"]);
    fx.finish().await;
}

#[tokio::test]
async fn legal_entities_are_visible_through_merchants_in_scope() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let e1 = fx.entity("Entity One").await;
    let e2 = fx.entity("Entity Two").await;
    let unlinked = fx.entity("Unlinked").await;
    let shared = fx.entity("Shared").await;
    let m1 = fx.merchant(Some(&a), &e1, "A1").await;
    fx.merchant(Some(&a), &e1, "A1 again").await; // two links, still one entity
    fx.merchant(Some(&b), &e2, "B2").await;
    fx.merchant(Some(&a), &shared, "A shared").await;
    fx.merchant(Some(&b), &shared, "B shared").await;

    let sa = fx.scope(&a.path);
    let listed = s.list_legal_entities(&sa, &LegalEntityFilter::default(), page(1, 20)).await.unwrap();
    let mut names: Vec<_> = listed.items.iter().map(|e| e.name.as_str()).collect();
    names.sort();
    assert_eq!((listed.total, names), (2, vec!["Entity One", "Shared"]));
    assert!(s.get_legal_entity(&sa, &e1.id).await.unwrap().is_some());
    assert!(s.get_legal_entity(&sa, &e2.id).await.unwrap().is_none());
    assert!(s.get_legal_entity(&sa, &unlinked.id).await.unwrap().is_none());
    let merchant_scope = fx.scope(&m1.path);
    let listed = s.list_legal_entities(&merchant_scope, &LegalEntityFilter::default(), page(1, 20)).await.unwrap();
    assert_eq!(listed.items.iter().map(|e| &e.id).collect::<Vec<_>>(), vec![&e1.id]);

    let root = fx.root();
    let all = s.list_legal_entities(&root, &LegalEntityFilter::default(), page(1, 20)).await.unwrap();
    assert_eq!(all.total, 4);
    let got = s.get_legal_entity(&root, &unlinked.id).await.unwrap().unwrap();
    assert_eq!((got.id_number_hash, got.legal_person_masked), (unlinked.id_number_hash.clone(), Some("张*".into())));
    let filter = LegalEntityFilter { q: Some("entity t".into()), kind: Some(EntityKind::Enterprise) };
    let found = s.list_legal_entities(&root, &filter, page(1, 20)).await.unwrap();
    assert_eq!(found.items.iter().map(|e| &e.id).collect::<Vec<_>>(), vec![&e2.id]);
    let filter = LegalEntityFilter { q: None, kind: Some(EntityKind::Individual) };
    assert_eq!(s.list_legal_entities(&root, &filter, page(1, 20)).await.unwrap().total, 0);

    let by_hash = s.find_legal_entity_by_hash(&fx.platform, &unlinked.id_number_hash).await.unwrap();
    assert_eq!(by_hash.map(|e| e.id), Some(unlinked.id.clone()));
    let elsewhere = s.find_legal_entity_by_hash(&PlatformId::generate(), &unlinked.id_number_hash).await.unwrap();
    assert!(elsewhere.is_none());
    fx.finish().await;
}

#[tokio::test]
async fn node_directory_finds_nodes_in_scope_and_disabled_paths() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let a = fx.agent(None, "A").await;
    let a1 = fx.agent(Some(&a), "A1").await;
    let b = fx.agent(None, "B").await;
    let e = fx.entity("Entity").await;
    let m = fx.merchant(Some(&a1), &e, "Shop").await;
    let st = fx.store_at(&m, "Store").await;
    let (root, sa) = (fx.root(), fx.scope(&a.path));
    let pf = fx.platform.as_str();

    assert_eq!(s.find_node(&root, NodeKind::Platform, pf).await.unwrap(), Some(fx.root_path()));
    assert_eq!(s.find_node(&sa, NodeKind::Platform, pf).await.unwrap(), None);
    let other = PlatformId::generate();
    assert_eq!(s.find_node(&Scope::platform(other.clone()), NodeKind::Platform, other.as_str()).await.unwrap(), None);
    assert_eq!(s.find_node(&sa, NodeKind::Agent, a1.id.as_str()).await.unwrap(), Some(a1.path.clone()));
    assert_eq!(s.find_node(&sa, NodeKind::Agent, b.id.as_str()).await.unwrap(), None);
    assert_eq!(s.find_node(&sa, NodeKind::Merchant, m.id.as_str()).await.unwrap(), Some(m.path.clone()));
    assert_eq!(s.find_node(&sa, NodeKind::Store, st.id.as_str()).await.unwrap(), Some(st.path.clone()));
    assert_eq!(s.find_node(&sa, NodeKind::Agent, m.id.as_str()).await.unwrap(), None, "wrong kind");
    assert_eq!(s.find_node(&fx.scope(&b.path), NodeKind::Store, st.id.as_str()).await.unwrap(), None);

    assert!(!s.path_disabled(&st.path).await.unwrap());
    let mut off = a.clone();
    off.status = NodeStatus::Disabled;
    s.update_agent(&off, &fx.audit(&a.path, "agent.disable", "agent", a.id.as_str())).await.unwrap();
    assert!(s.path_disabled(&st.path).await.unwrap());
    assert!(s.path_disabled(&a1.path).await.unwrap());
    assert!(!s.path_disabled(&b.path).await.unwrap());
    assert!(!s.path_disabled(&fx.root_path()).await.unwrap());

    let mut on = off.clone();
    on.status = NodeStatus::Active;
    on.version = 2;
    s.update_agent(&on, &fx.audit(&a.path, "agent.enable", "agent", a.id.as_str())).await.unwrap();
    let mut m_off = m.clone();
    m_off.status = NodeStatus::Disabled;
    s.update_merchant(&m_off, &fx.audit(&m.path, "merchant.disable", "merchant", m.id.as_str())).await.unwrap();
    assert!(s.path_disabled(&st.path).await.unwrap());
    assert!(!s.path_disabled(&a1.path).await.unwrap());
    fx.finish().await;
}

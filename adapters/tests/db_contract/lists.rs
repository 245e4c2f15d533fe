//! Paging, sorting and search; platforms; connecting and migrating.

use crate::fixture::{Fixture, conflict, page};
use juhe_adapters::db;
use juhe_domain::ids::*;
use juhe_domain::page::{PageRequest, SortDir};
use juhe_domain::tenancy::ports::TenancyRepo;
use juhe_domain::tenancy::*;
use time::macros::datetime;

#[tokio::test]
async fn lists_page_sort_and_search() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let e = fx.entity("Entity").await;
    let mut made = Vec::new();
    for (name, no) in [("Cafe C", "M0000000003"), ("cafe a", "M0000000001"), ("Bar_B", "M0000000002")] {
        let mut m = fx.new_merchant(None, &e.id, name);
        m.merchant_no = no.into();
        let audit = fx.audit(&m.path, "merchant.create", "merchant", m.id.as_str());
        s.insert_merchant(&m, &audit).await.unwrap();
        made.push(m);
    }
    let root = fx.root();
    let root_ref = &root;
    let names = |filter: MerchantFilter, p: PageRequest| async move {
        let page = s.list_merchants(root_ref, &filter, p).await.unwrap();
        (page.total, page.items.into_iter().map(|m| m.name).collect::<Vec<_>>())
    };
    let sort = |field, dir| MerchantFilter { sort: Sort { field, dir }, ..Default::default() };

    assert_eq!(
        names(sort(SortField::Name, SortDir::Asc), page(1, 2)).await,
        (3, vec!["Bar_B".into(), "Cafe C".into()])
    );
    assert_eq!(names(sort(SortField::Name, SortDir::Asc), page(2, 2)).await, (3, vec!["cafe a".into()]));
    assert_eq!(names(sort(SortField::Name, SortDir::Asc), page(3, 2)).await, (3, vec![]));
    let by_time = names(sort(SortField::CreatedAt, SortDir::Desc), page(1, 10)).await.1;
    assert_eq!(by_time, vec!["Bar_B", "cafe a", "Cafe C"]);
    let by_time = names(sort(SortField::CreatedAt, SortDir::Asc), page(1, 10)).await.1;
    assert_eq!(by_time, vec!["Cafe C", "cafe a", "Bar_B"]);
    let by_no = names(sort(SortField::MerchantNo, SortDir::Desc), page(1, 10)).await.1;
    assert_eq!(by_no, vec!["Cafe C", "Bar_B", "cafe a"]);

    let q = |q: &str| MerchantFilter {
        q: Some(q.into()),
        sort: Sort { field: SortField::Name, dir: SortDir::Asc },
        ..Default::default()
    };
    assert_eq!(names(q("CAFE"), page(1, 10)).await, (2, vec!["Cafe C".into(), "cafe a".into()]));
    assert_eq!(names(q("0000002"), page(1, 10)).await.1, vec!["Bar_B"], "q matches merchant numbers too");
    assert_eq!(names(q("r_b"), page(1, 10)).await.1, vec!["Bar_B"]);
    assert_eq!(names(q("e_a"), page(1, 10)).await.0, 0, "`_` in q is literal");
    assert_eq!(names(q("%"), page(1, 10)).await.0, 0, "`%` in q is literal");
    assert_eq!(names(q("   "), page(1, 10)).await.0, 3, "blank q is no filter");

    let mut off = made[0].clone();
    off.status = NodeStatus::Disabled;
    s.update_merchant(&off, &fx.audit(&off.path, "merchant.disable", "merchant", off.id.as_str())).await.unwrap();
    let active = MerchantFilter { status: Some(NodeStatus::Active), ..Default::default() };
    assert_eq!(s.list_merchants(&root, &active, page(1, 10)).await.unwrap().total, 2);
    let by_entity = MerchantFilter { legal_entity_id: Some(e.id.clone()), ..Default::default() };
    assert_eq!(s.list_merchants(&root, &by_entity, page(1, 10)).await.unwrap().total, 3);

    let a = fx.agent(None, "Zeta").await;
    fx.agent(Some(&a), "Eta").await;
    let children = AgentFilter { parent_id: Some(a.id.clone()), ..Default::default() };
    let listed = s.list_agents(&root, &children, page(1, 10)).await.unwrap();
    assert_eq!(listed.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["Eta"]);
    let by_no = AgentFilter { sort: Sort { field: SortField::MerchantNo, dir: SortDir::Asc }, ..Default::default() };
    let listed = s.list_agents(&root, &by_no, page(1, 10)).await.unwrap();
    assert_eq!(listed.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["Eta", "Zeta"], "by name");
    fx.finish().await;
}

#[tokio::test]
async fn platforms_and_stored_values_round_trip() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let first = s.first_platform().await.unwrap().unwrap();
    assert_eq!(first.id, fx.platform);
    let later = Platform { id: PlatformId::generate(), name: "Later".into(), created_at: fx.now() };
    s.insert_platform(&later).await.unwrap();
    assert_eq!(s.first_platform().await.unwrap().unwrap().id, fx.platform);
    assert_eq!(s.get_platform(&later.id).await.unwrap().unwrap().name, "Later");
    assert!(s.get_platform(&PlatformId::generate()).await.unwrap().is_none());
    assert_eq!(conflict(s.insert_platform(&later).await.unwrap_err()), "platforms.id");

    // Times come back in UTC at microsecond precision, whatever offset they were written with.
    let mut agent = fx.agent(None, "Timed").await;
    agent.id = AgentId::generate();
    agent.path = fx.root_path().child(agent.id.as_str());
    agent.created_at = datetime!(2026-11-03 08:00:00.123456789 +08:00);
    s.insert_agent(&agent, &fx.audit(&agent.path, "agent.create", "agent", agent.id.as_str())).await.unwrap();
    let got = s.get_agent(&fx.root(), &agent.id).await.unwrap().unwrap();
    assert_eq!(got.created_at, datetime!(2026-11-03 00:00:00.123456 UTC));
    assert_eq!((got.contact_phone_masked, got.level), (agent.contact_phone_masked.clone(), 1));
    fx.finish().await;
}

#[tokio::test]
async fn sqlite_connect_creates_the_directory_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested").join("deeper").join("juhe.db");
    let conn = db::connect(&format!("sqlite:{}", file.display())).await.unwrap();
    db::migrate(&conn).await.unwrap();
    db::migrate(&conn).await.unwrap();
    db::ping(&conn).await.unwrap();
    assert!(file.exists());
    assert!(db::connect("mysql://localhost/juhe").await.is_err());
    let memory = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&memory).await.unwrap();
    db::ping(&memory).await.unwrap();
}

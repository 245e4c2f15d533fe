//! Contract tests of the risk repository: rules per merchant and store (one each, even though the
//! merchant's own has no store), block lists platform-wide and per merchant, scope isolation,
//! audit in the same transaction, and the unscoped lookups of the order path. SQLite by default,
//! PostgreSQL when `JUHE_TEST_DATABASE_URL` is set.

// Shared with `db_contract`; not every builder of it is used here.
#[allow(dead_code)]
#[path = "support/db_fixture.rs"]
mod fixture;

use fixture::{Fixture, audit_rows, conflict, page};
use juhe_domain::ids::{MerchantId, StoreId};
use juhe_domain::money::Money;
use juhe_domain::payments::risk_rules::{
    RiskLimits, RiskListEntry, RiskListFilter, RiskListKind, RiskRepo, RiskRule, normalize_value,
};
use juhe_domain::repo::RepoError;
use juhe_domain::scope::NodePath;
use juhe_domain::tenancy::Merchant;
use juhe_domain::tenancy::ports::TenancyRepo;
use juhe_migrations::{Migrator, MigratorTrait};

fn new_rule(fx: &Fixture, merchant: &Merchant, store: Option<(&StoreId, &NodePath)>, limits: RiskLimits) -> RiskRule {
    let now = fx.now();
    RiskRule {
        id: format!("rr_{}", uuid::Uuid::now_v7().simple()),
        platform_id: fx.platform.clone(),
        merchant_id: merchant.id.clone(),
        store_id: store.map(|(s, _)| s.clone()),
        path: store.map_or_else(|| merchant.path.clone(), |(_, p)| p.clone()),
        limits,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

async fn rule(fx: &Fixture, merchant: &Merchant, store: Option<(&StoreId, &NodePath)>, limits: RiskLimits) -> RiskRule {
    let r = new_rule(fx, merchant, store, limits);
    let audit = fx.audit(&r.path, "risk_rule.create", "risk_rule", &r.id);
    fx.store.insert_rule(&r, &audit).await.expect("insert rule");
    r
}

fn new_entry(fx: &Fixture, merchant: Option<&Merchant>, kind: RiskListKind, value: &str) -> RiskListEntry {
    RiskListEntry {
        id: format!("rl_{}", uuid::Uuid::now_v7().simple()),
        platform_id: fx.platform.clone(),
        merchant_id: merchant.map(|m| m.id.clone()),
        path: merchant.map_or_else(|| fx.root_path(), |m| m.path.clone()),
        kind,
        value: normalize_value(kind, value).expect("valid value"),
        reason: "chargebacks".into(),
        created_at: fx.now(),
    }
}

async fn entry(fx: &Fixture, merchant: Option<&Merchant>, kind: RiskListKind, value: &str) -> RiskListEntry {
    let e = new_entry(fx, merchant, kind, value);
    let audit = fx.audit(&e.path, "risk_list.add", "risk_list_entry", &e.id);
    fx.store.insert_entry(&e, &audit).await.expect("insert entry");
    e
}

fn limits(daily_count: i64) -> RiskLimits {
    RiskLimits { single_max: Some(Money(5_000)), daily_count_max: Some(daily_count), ..Default::default() }
}

#[tokio::test]
async fn one_rule_per_merchant_and_store_scoped_and_optimistic() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let e = fx.entity("Entity").await;
    let m = fx.merchant(Some(&a), &e, "Shop").await;
    let other = fx.merchant(Some(&b), &e, "Other").await;
    let st = fx.store_at(&m, "Store").await;

    let mr = rule(&fx, &m, None, limits(10)).await;
    let sr =
        rule(&fx, &m, Some((&st.id, &st.path)), RiskLimits { daily_count_max: Some(3), ..Default::default() }).await;
    // A second merchant-wide rule conflicts although its store is NULL; so does a second store rule.
    let twin = new_rule(&fx, &m, None, limits(1));
    let audit = fx.audit(&m.path, "risk_rule.create", "risk_rule", &twin.id);
    assert_eq!(conflict(s.insert_rule(&twin, &audit).await.unwrap_err()), "risk_rules.store_key");
    let twin = new_rule(&fx, &m, Some((&st.id, &st.path)), limits(1));
    let audit = fx.audit(&st.path, "risk_rule.create", "risk_rule", &twin.id);
    assert_eq!(conflict(s.insert_rule(&twin, &audit).await.unwrap_err()), "risk_rules.store_key");
    // Another merchant has its own.
    rule(&fx, &other, None, limits(1)).await;

    let (sa, sb) = (fx.scope(&a.path), fx.scope(&b.path));
    assert_eq!(s.get_rule(&sa, &m.id, None).await.unwrap(), Some(mr.clone()), "read back exactly");
    assert_eq!(s.get_rule(&sa, &m.id, Some(&st.id)).await.unwrap(), Some(sr.clone()));
    assert_eq!(s.get_rule(&fx.scope(&st.path), &m.id, Some(&st.id)).await.unwrap(), Some(sr.clone()));
    assert!(s.get_rule(&sb, &m.id, None).await.unwrap().is_none(), "another agent never sees it");
    assert!(s.get_rule(&fx.scope(&st.path), &m.id, None).await.unwrap().is_none(), "the store sees only its own");
    assert!(s.get_rule(&sa, &m.id, Some(&StoreId::generate())).await.unwrap().is_none());

    assert_eq!(s.rules_for(&m.id, Some(&st.id)).await.unwrap(), vec![mr.clone(), sr.clone()], "merchant first");
    assert_eq!(s.rules_for(&m.id, None).await.unwrap(), vec![mr.clone()]);
    assert!(s.rules_for(&MerchantId::generate(), None).await.unwrap().is_empty());

    let mut changed = mr.clone();
    changed.limits = RiskLimits { monthly_amount_max: Some(Money(1_000_000)), ..Default::default() };
    changed.updated_at = fx.now();
    changed.merchant_id = other.id.clone(); // ignored: whose rule it is never changes
    let audit = fx.audit(&m.path, "risk_rule.update", "risk_rule", &mr.id);
    s.update_rule(&changed, &audit).await.unwrap();
    let got = s.get_rule(&sa, &m.id, None).await.unwrap().unwrap();
    assert_eq!((got.limits, got.version, got.merchant_id.clone()), (changed.limits, 2, m.id.clone()));
    assert_eq!(got.updated_at, changed.updated_at);
    let stale = fx.audit(&m.path, "risk_rule.update", "risk_rule", &mr.id);
    assert_eq!(conflict(s.update_rule(&changed, &stale).await.unwrap_err()), "version");
    assert_eq!(audit_rows(&fx, &mr.id).await, 2, "create and one update; the stale one wrote nothing");
    fx.finish().await;
}

#[tokio::test]
async fn block_lists_are_scoped_unique_per_list_and_deleted_with_audit() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let e = fx.entity("Entity").await;
    let ma = fx.merchant(Some(&a), &e, "Shop A").await;
    let mb = fx.merchant(Some(&b), &e, "Shop B").await;

    let wide = entry(&fx, None, RiskListKind::PayerId, "o-fraud").await;
    let on_a = entry(&fx, Some(&ma), RiskListKind::PayerId, "o-fraud").await;
    let ip_a = entry(&fx, Some(&ma), RiskListKind::Ip, "10.1.0.0/16").await;
    let on_b = entry(&fx, Some(&mb), RiskListKind::Ip, "192.168.1.7").await;
    // The same value twice on one list is a conflict (platform-wide too, where merchant is NULL).
    for (m, kind, value) in [(None, RiskListKind::PayerId, "o-fraud"), (Some(&ma), RiskListKind::Ip, "10.1.9.9/16")] {
        let dup = new_entry(&fx, m, kind, value);
        let audit = fx.audit(&dup.path, "risk_list.add", "risk_list_entry", &dup.id);
        assert_eq!(conflict(s.insert_entry(&dup, &audit).await.unwrap_err()), "risk_list_entries.value");
    }

    let all = |f: RiskListFilter, scope| async move {
        let p = s.list_entries(&scope, &f, page(1, 50)).await.unwrap();
        (p.total, p.items.into_iter().map(|e| e.id).collect::<Vec<_>>())
    };
    let newest_first = vec![on_b.id.clone(), ip_a.id.clone(), on_a.id.clone(), wide.id.clone()];
    assert_eq!(all(RiskListFilter::default(), fx.root()).await, (4, newest_first));
    assert_eq!(all(RiskListFilter::default(), fx.scope(&a.path)).await, (2, vec![ip_a.id.clone(), on_a.id.clone()]));
    let wide_only = RiskListFilter { platform_wide: true, ..Default::default() };
    assert_eq!(all(wide_only.clone(), fx.root()).await, (1, vec![wide.id.clone()]));
    assert_eq!(all(wide_only, fx.scope(&a.path)).await.0, 0, "agents do not see the platform's list");
    let payers = RiskListFilter { kind: Some(RiskListKind::PayerId), ..Default::default() };
    assert_eq!(all(payers, fx.root()).await.0, 2);
    let of_b = RiskListFilter { merchant_id: Some(mb.id.clone()), ..Default::default() };
    assert_eq!(all(of_b.clone(), fx.root()).await, (1, vec![on_b.id.clone()]));
    assert_eq!(all(of_b, fx.scope(&a.path)).await.0, 0);
    let by_value = RiskListFilter { value: Some("10.1.0.0/16".into()), ..Default::default() };
    assert_eq!(all(by_value, fx.root()).await, (1, vec![ip_a.id.clone()]));

    assert_eq!(s.get_entry(&fx.scope(&a.path), &on_a.id).await.unwrap(), Some(on_a.clone()), "read back exactly");
    assert!(s.get_entry(&fx.scope(&a.path), &on_b.id).await.unwrap().is_none());
    assert!(s.get_entry(&fx.scope(&a.path), &wide.id).await.unwrap().is_none());

    // Out of scope: not found, nothing deleted, nothing audited.
    let audit = fx.audit(&fx.root_path(), "risk_list.remove", "risk_list_entry", &wide.id);
    assert!(matches!(s.delete_entry(&fx.scope(&a.path), &wide.id, &audit).await, Err(RepoError::NotFound)));
    assert!(s.get_entry(&fx.root(), &wide.id).await.unwrap().is_some());
    assert_eq!(audit_rows(&fx, &wide.id).await, 1);
    let audit = fx.audit(&ma.path, "risk_list.remove", "risk_list_entry", &on_a.id);
    s.delete_entry(&fx.scope(&a.path), &on_a.id, &audit).await.unwrap();
    assert!(s.get_entry(&fx.root(), &on_a.id).await.unwrap().is_none());
    assert_eq!(audit_rows(&fx, &on_a.id).await, 2, "added and removed");
    assert!(matches!(s.delete_entry(&fx.root(), &on_a.id, &audit).await, Err(RepoError::NotFound)));
    fx.finish().await;
}

#[tokio::test]
async fn the_order_path_finds_blocking_entries_of_both_lists() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let e = fx.entity("Entity").await;
    let m = fx.merchant(None, &e, "Shop").await;
    let other = fx.merchant(None, &e, "Other").await;
    let wide_payer = entry(&fx, None, RiskListKind::PayerId, "o-everywhere").await;
    let own_payer = entry(&fx, Some(&m), RiskListKind::PayerId, "o-here").await;
    let wide_block = entry(&fx, None, RiskListKind::Ip, "203.0.113.0/24").await;
    let own_ip = entry(&fx, Some(&m), RiskListKind::Ip, "198.51.100.7").await;
    let own_v6 = entry(&fx, Some(&m), RiskListKind::Ip, "2001:db8::/32").await;
    entry(&fx, Some(&other), RiskListKind::PayerId, "o-there").await;
    entry(&fx, Some(&other), RiskListKind::Ip, "192.0.2.1").await;

    let found = |payer: Option<&'static str>, ip: Option<&'static str>| {
        let (platform, merchant) = (fx.platform.clone(), m.id.clone());
        async move { s.blocked(&platform, &merchant, payer, ip).await.unwrap().map(|e| e.id) }
    };
    assert_eq!(found(Some("o-everywhere"), None).await, Some(wide_payer.id.clone()));
    assert_eq!(found(Some("o-here"), Some("198.51.100.7")).await, Some(own_payer.id.clone()), "payers first");
    assert_eq!(found(Some("o-there"), None).await, None, "another merchant's list does not apply");
    assert_eq!(found(None, Some("203.0.113.99")).await, Some(wide_block.id.clone()));
    assert_eq!(found(Some("o-fine"), Some("198.51.100.7")).await, Some(own_ip.id.clone()));
    assert_eq!(found(None, Some("2001:db8:1::5")).await, Some(own_v6.id.clone()));
    assert_eq!(found(None, Some("192.0.2.1")).await, None);
    assert_eq!(found(None, Some("198.51.100.8")).await, None);
    assert_eq!(found(None, None).await, None);
    let elsewhere = juhe_domain::ids::PlatformId::generate();
    assert!(s.blocked(&elsewhere, &m.id, Some("o-everywhere"), None).await.unwrap().is_none());
    fx.finish().await;
}

#[tokio::test]
async fn rules_and_entries_follow_a_moved_merchant() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let e = fx.entity("Entity").await;
    let m = fx.merchant(Some(&a), &e, "Shop").await;
    let st = fx.store_at(&m, "Store").await;
    let mr = rule(&fx, &m, None, limits(5)).await;
    rule(&fx, &m, Some((&st.id, &st.path)), limits(2)).await;
    let en = entry(&fx, Some(&m), RiskListKind::PayerId, "o-1").await;

    let mut moved = m.clone();
    moved.agent_id = Some(b.id.clone());
    moved.path = b.path.child(m.id.as_str());
    moved.updated_at = fx.now();
    let audit = fx.audit(&moved.path, "merchant.move", "merchant", m.id.as_str());
    s.move_merchant(&moved, &m.path, &audit).await.unwrap();

    let (sa, sb) = (fx.scope(&a.path), fx.scope(&b.path));
    assert!(s.get_rule(&sa, &m.id, None).await.unwrap().is_none());
    let got = s.get_rule(&sb, &m.id, None).await.unwrap().unwrap();
    assert_eq!((got.path, got.version), (moved.path.clone(), mr.version + 1));
    let store_rule = s.get_rule(&sb, &m.id, Some(&st.id)).await.unwrap().unwrap();
    assert_eq!(store_rule.path, moved.path.child(st.id.as_str()));
    assert!(s.get_entry(&sa, &en.id).await.unwrap().is_none());
    assert_eq!(s.get_entry(&sb, &en.id).await.unwrap().unwrap().path, moved.path);
    fx.finish().await;
}

#[tokio::test]
async fn the_risk_migration_rolls_back_and_reapplies() {
    let fx = Fixture::new().await;
    let conn = fx.store.connection();
    let e = fx.entity("Entity").await;
    let m = fx.merchant(None, &e, "Shop").await;
    rule(&fx, &m, None, limits(1)).await;

    // Back to before the risk migration (and whatever came after it).
    let all = Migrator::get_migration_files();
    let at = all.iter().position(|m| m.name().ends_with("_risk")).expect("the risk migration");
    Migrator::down(conn, Some((all.len() - at) as u32)).await.unwrap();
    assert!(fx.store.rules_for(&m.id, None).await.is_err(), "the table is gone");
    Migrator::up(conn, None).await.unwrap();
    assert!(fx.store.rules_for(&m.id, None).await.unwrap().is_empty());
    assert!(fx.store.get_merchant(&fx.root(), &m.id).await.unwrap().is_some(), "the rest is untouched");
    fx.finish().await;
}

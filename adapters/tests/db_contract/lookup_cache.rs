//! The order path's lookup cache (`SqlStore::with_lookup_cache`): a store sees its own audited
//! changes at once, and another store (another server process) sees them within the TTL.

use crate::fixture::Fixture;
use juhe_adapters::db::SqlStore;
use juhe_domain::tenancy::NodeStatus;
use juhe_domain::tenancy::ports::{NodeDirectory, TenancyRepo};
use std::time::Duration;

#[tokio::test]
async fn own_changes_show_at_once_and_other_processes_changes_within_the_ttl() {
    let fx = Fixture::new().await;
    let entity = fx.entity("Cached Co").await;
    let merchant = fx.merchant(None, &entity, "Cached shop").await;
    let ttl = Duration::from_secs(3);
    let this = SqlStore::with_lookup_cache(fx.store.connection().clone(), ttl);
    let other = SqlStore::with_lookup_cache(fx.store.connection().clone(), ttl);
    let scope = fx.root();
    assert!(!this.path_disabled(&merchant.path).await.unwrap());
    let cached = this.get_merchant_by_no(&scope, &merchant.merchant_no).await.unwrap().unwrap();
    assert_eq!(cached.status, NodeStatus::Active);

    // Another process disables the merchant: this one keeps its copy until the TTL runs out.
    let mut off = merchant.clone();
    off.status = NodeStatus::Disabled;
    let audit = fx.audit(&merchant.path, "merchant.disable", "merchant", merchant.id.as_str());
    other.update_merchant(&off, &audit).await.unwrap();
    assert!(!this.path_disabled(&merchant.path).await.unwrap(), "served from the cache");
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert!(this.path_disabled(&merchant.path).await.unwrap(), "read again after the TTL");
    let fresh = this.get_merchant_by_no(&scope, &merchant.merchant_no).await.unwrap().unwrap();
    assert_eq!(fresh.status, NodeStatus::Disabled);

    // This process's own change is seen at once, though the cached entry is still young.
    let mut on = fresh.clone();
    on.status = NodeStatus::Active;
    let audit = fx.audit(&merchant.path, "merchant.enable", "merchant", merchant.id.as_str());
    this.update_merchant(&on, &audit).await.unwrap();
    assert!(!this.path_disabled(&merchant.path).await.unwrap());
    assert_eq!(this.get_merchant_by_no(&scope, &merchant.merchant_no).await.unwrap().unwrap().version, on.version + 1);
    fx.finish().await;
}

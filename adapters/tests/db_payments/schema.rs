//! The payment migrations roll back and apply again cleanly.

use crate::fixture::Fixture;
use crate::support::{order, shop};
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::ports::OrderRepo;
use juhe_domain::tenancy::ports::TenancyRepo;
use juhe_migrations::{Migrator, MigratorTrait};

#[tokio::test]
async fn payment_migrations_roll_back_and_reapply() {
    let fx = Fixture::new().await;
    let conn = fx.store.connection();
    let sh = shop(&fx, None, "Shop").await;
    let o = order(&fx, &sh, 100, OrderStatus::Paid).await;

    // Back to before the channel and payment migrations (and whatever came after them).
    let all = Migrator::get_migration_files();
    let at = all.iter().position(|m| m.name().ends_with("_channels")).expect("the channel migration");
    Migrator::down(conn, Some((all.len() - at) as u32)).await.unwrap();
    assert!(OrderRepo::get_unscoped(&fx.store, &o.order_no).await.is_err(), "the orders table is gone");
    Migrator::up(conn, None).await.unwrap();
    assert!(OrderRepo::get_unscoped(&fx.store, &o.order_no).await.unwrap().is_none());
    // The tenancy tables were left alone.
    assert!(fx.store.get_merchant(&fx.root(), &sh.merchant.id).await.unwrap().is_some());
    fx.finish().await;
}

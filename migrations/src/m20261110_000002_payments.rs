//! Orders, refunds, merchant notifications (the outbox) and their delivery attempts.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, integer, integer_null, json_binary_null, string_len, string_len_null, text, text_null,
};

/// Order and refund numbers are ours (30 and 31 characters), with room to spare.
const NUMBER_LEN: u32 = 40;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(orders()).await?;
        // The merchant's idempotency key: a repeat is `orders.out_trade_no`.
        unique(manager, "orders", &["merchant_id", "out_trade_no"]).await?;
        path_index(manager, "orders").await?;
        // The expiry and re-query jobs (status first: few orders are still unpaid).
        time_index(manager, "orders", &["status"], "expire_at").await?;
        time_index(manager, "orders", &["platform_id"], "created_at").await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // Room in each page for the update after the channel call to stay on the page
            // (a HOT update: no new index entries).
            manager.get_connection().execute_unprepared("ALTER TABLE orders SET (fillfactor = 85)").await?;
        }

        manager.create_table(refunds()).await?;
        unique(manager, "refunds", &["merchant_id", "out_refund_no"]).await?;
        path_index(manager, "refunds").await?;
        index(manager, "refunds", &["order_no"]).await?;
        time_index(manager, "refunds", &["status"], "created_at").await?;

        manager.create_table(notifications()).await?;
        path_index(manager, "notifications").await?;
        index(manager, "notifications", &["resource_no"]).await?;
        // What the delivery workers claim.
        time_index(manager, "notifications", &["status"], "next_attempt_at").await?;
        time_index(manager, "notifications", &["platform_id"], "created_at").await?;

        manager.create_table(notification_attempts()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["notification_attempts", "notifications", "refunds", "orders"]).await
    }
}

fn number(name: &'static str) -> ColumnDef {
    string_len(name, NUMBER_LEN)
}

fn orders() -> TableCreateStatement {
    Table::create()
        .table("orders")
        .col(number("order_no"))
        .col(id_ref("platform_id"))
        .col(id_ref("merchant_id"))
        .col(string_len("merchant_no", 32))
        .col(path())
        .col(id_ref_null("store_id"))
        .col(id_ref("app_id"))
        .col(string_len("out_trade_no", 64))
        .col(money("amount"))
        .col(string_len("currency", 8))
        .col(code("way"))
        .col(string_len_null("channel", 32))
        .col(id_ref_null("channel_account_id"))
        .col(id_ref_null("binding_id"))
        .col(string_len_null("sub_merchant_id", 64))
        .col(code("status"))
        .col(money("refunded_amount"))
        .col(money("refund_reserved"))
        .col(money("fee"))
        .col(json_binary_null("pay_data"))
        .col(string_len_null("channel_trade_no", 64))
        .col(text("subject"))
        .col(text_null("attach"))
        .col(text_null("notify_url"))
        .col(text_null("return_url"))
        .col(string_len_null("client_ip", 64))
        .col(string_len_null("payer_id", 128))
        .col(string_len("request_hash", 128))
        .col(ts("expire_at"))
        .col(ts_null("paid_at"))
        .col(ts("created_at"))
        .col(ts("updated_at"))
        .col(version())
        // The refund invariant, held by the database too: refunded ≤ reserved ≤ amount.
        .primary_key(&mut key("orders", &["order_no"]))
        .check(("ck_orders__amount", Expr::col("amount").gt(0).and(Expr::col("fee").gte(0))))
        .check((
            "ck_orders__refund_totals",
            Expr::col("refunded_amount")
                .gte(0)
                .and(Expr::col("refunded_amount").lte(Expr::col("refund_reserved")))
                .and(Expr::col("refund_reserved").lte(Expr::col("amount"))),
        ))
        // No foreign keys on the hottest table: each would make every insert look up and lock
        // (`FOR KEY SHARE`) the same platform, merchant, app and binding rows as every other
        // order of that merchant, serializing them on those rows. The parents are never deleted
        // (only disabled) and an order is built from rows just read, so nothing can dangle.
        .take()
}

fn refunds() -> TableCreateStatement {
    Table::create()
        .table("refunds")
        .col(number("refund_no"))
        .col(id_ref("platform_id"))
        .col(id_ref("merchant_id"))
        .col(path())
        .col(number("order_no"))
        .col(string_len("out_refund_no", 64))
        .col(money("amount"))
        .col(money("fee_refunded"))
        .col(code("status"))
        .col(text_null("reason"))
        .col(text_null("notify_url"))
        .col(string_len_null("channel_refund_no", 64))
        .col(string_len("request_hash", 128))
        .col(ts("created_at"))
        .col(ts_null("succeeded_at"))
        .col(ts("updated_at"))
        .primary_key(&mut key("refunds", &["refund_no"]))
        .check(("ck_refunds__amount", Expr::col("amount").gt(0).and(Expr::col("fee_refunded").gte(0))))
        .foreign_key(&mut platform_fk("refunds"))
        .foreign_key(&mut fk("refunds", "merchant_id", "merchants"))
        .foreign_key(&mut fk_to("refunds", "order_no", "orders", "order_no"))
        .take()
}

fn notifications() -> TableCreateStatement {
    Table::create()
        .table("notifications")
        .col(id())
        .col(id_ref("platform_id"))
        .col(id_ref("merchant_id"))
        .col(path())
        .col(id_ref("app_id"))
        .col(code("event_type"))
        .col(number("resource_no"))
        .col(text("url"))
        .col(text("payload"))
        .col(code("status"))
        .col(integer("attempts"))
        .col(ts("next_attempt_at"))
        .col(ts_null("delivered_at"))
        // The claim of a delivery worker: who holds it and until when.
        .col(string_len_null("locked_by", 128))
        .col(ts_null("locked_until"))
        .col(ts("created_at"))
        .foreign_key(&mut platform_fk("notifications"))
        .foreign_key(&mut fk("notifications", "merchant_id", "merchants"))
        .foreign_key(&mut fk("notifications", "app_id", "apps"))
        .take()
}

/// Keyed by (notification, attempt number): an attempt is recorded once.
fn notification_attempts() -> TableCreateStatement {
    Table::create()
        .table("notification_attempts")
        .col(id_ref("notification_id"))
        .col(integer("attempt_no"))
        .col(id_ref("platform_id"))
        .col(ts("started_at"))
        .col(integer_null("http_status"))
        .col(big_integer("latency_ms"))
        .col(text("response_excerpt"))
        .col(boolean("success"))
        .primary_key(&mut key("notification_attempts", &["notification_id", "attempt_no"]))
        .foreign_key(&mut platform_fk("notification_attempts"))
        .foreign_key(&mut fk("notification_attempts", "notification_id", "notifications"))
        .take()
}

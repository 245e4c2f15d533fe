//! Risk control: limits per merchant or store (`risk_rules`) and block lists of payer ids and IPs,
//! platform-wide or per merchant (`risk_list_entries`).
//!
//! NULL never equals NULL in a unique index (on either backend), so "merchant-wide" and
//! "platform-wide" are spelled as an empty key column beside the nullable reference:
//! `store_key = coalesce(store_id, '')`, `merchant_key = coalesce(merchant_id, '')`, written by
//! the adapters.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, string_len, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("risk_rules")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref("merchant_id"))
                    .col(id_ref_null("store_id"))
                    .col(key_col("store_key"))
                    .col(path())
                    .col(money_null("single_max"))
                    .col(money_null("daily_amount_max"))
                    .col(big_integer_null("daily_count_max"))
                    .col(money_null("monthly_amount_max"))
                    .col(big_integer_null("monthly_count_max"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("risk_rules"))
                    .foreign_key(&mut fk("risk_rules", "merchant_id", "merchants"))
                    .foreign_key(&mut fk("risk_rules", "store_id", "stores"))
                    .take(),
            )
            .await?;
        // One rule per merchant and per store: a second is `risk_rules.store_key`.
        unique(manager, "risk_rules", &["merchant_id", "store_key"]).await?;
        path_index(manager, "risk_rules").await?;

        manager
            .create_table(
                Table::create()
                    .table("risk_list_entries")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref_null("merchant_id"))
                    .col(key_col("merchant_key"))
                    .col(path())
                    .col(code("kind"))
                    .col(string_len("value", 128))
                    .col(text("reason"))
                    .col(ts("created_at"))
                    .foreign_key(&mut platform_fk("risk_list_entries"))
                    .foreign_key(&mut fk("risk_list_entries", "merchant_id", "merchants"))
                    .take(),
            )
            .await?;
        // A value is on a list once (`risk_list_entries.value`); the order path looks entries up
        // by (platform, list, kind, value) through the same index.
        unique(manager, "risk_list_entries", &["platform_id", "merchant_key", "kind", "value"]).await?;
        path_index(manager, "risk_list_entries").await?;
        time_index(manager, "risk_list_entries", &["platform_id"], "created_at").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["risk_list_entries", "risk_rules"]).await
    }
}

/// A not-null key column that is the empty string when its nullable twin is NULL.
fn key_col(name: &'static str) -> ColumnDef {
    string_len(name, ID_LEN)
}

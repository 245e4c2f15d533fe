//! Channel accounts (the platform's identity at a channel) and channel bindings (a merchant's
//! sub-merchant identity at one of those accounts).

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, integer, json_binary, string_len, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Platform-level: no path, only platform scopes see them.
        manager
            .create_table(
                Table::create()
                    .table("channel_accounts")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(code("channel"))
                    .col(text("name"))
                    .col(json_binary("config"))
                    .col(text("secrets_enc"))
                    .col(code("status"))
                    .col(money_null("daily_amount_cap"))
                    .col(big_integer_null("daily_count_cap"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("channel_accounts"))
                    .take(),
            )
            .await?;
        index(manager, "channel_accounts", &["platform_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("channel_bindings")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref("merchant_id"))
                    .col(path())
                    .col(id_ref("channel_account_id"))
                    .col(code("channel"))
                    .col(string_len("sub_merchant_id", 64))
                    .col(json_binary("config"))
                    .col(json_binary("ways"))
                    .col(code("status"))
                    .col(integer("priority"))
                    .col(integer("weight"))
                    .col(money_null("daily_amount_cap"))
                    .col(big_integer_null("daily_count_cap"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("channel_bindings"))
                    .foreign_key(&mut fk("channel_bindings", "merchant_id", "merchants"))
                    .foreign_key(&mut fk("channel_bindings", "channel_account_id", "channel_accounts"))
                    .take(),
            )
            .await?;
        // One sub-merchant id per account: a second binding to it is `channel_bindings.sub_merchant_id`.
        unique(manager, "channel_bindings", &["channel_account_id", "sub_merchant_id"]).await?;
        path_index(manager, "channel_bindings").await?;
        index(manager, "channel_bindings", &["merchant_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["channel_bindings", "channel_accounts"]).await
    }
}

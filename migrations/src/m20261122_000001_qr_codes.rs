//! Store QR codes of one-code pay (一码付 / 台牌), keyed by their random code.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("qr_codes")
                    .col(string_len("code", 64).primary_key())
                    .col(id_ref("platform_id"))
                    .col(id_ref("merchant_id"))
                    .col(id_ref("store_id"))
                    .col(path())
                    .col(text("name"))
                    .col(code("status"))
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("qr_codes"))
                    .foreign_key(&mut fk("qr_codes", "merchant_id", "merchants"))
                    .foreign_key(&mut fk("qr_codes", "store_id", "stores"))
                    .take(),
            )
            .await?;
        path_index(manager, "qr_codes").await?;
        index(manager, "qr_codes", &["merchant_id"]).await?;
        time_index(manager, "qr_codes", &["store_id"], "created_at").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["qr_codes"]).await
    }
}

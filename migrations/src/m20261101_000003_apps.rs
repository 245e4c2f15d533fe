//! Open API apps and their keys.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{json_binary, text, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("apps")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(code("owner_kind"))
                    .col(id_ref("owner_id"))
                    .col(path())
                    .col(text("name"))
                    .col(code("status"))
                    .col(json_binary("ip_allow_list"))
                    .col(json_binary("allowed_ways"))
                    .col(text_null("notify_url"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("apps"))
                    .take(),
            )
            .await?;
        path_index(manager, "apps").await?;
        index(manager, "apps", &["owner_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("app_keys")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref("app_id"))
                    .col(code("kind"))
                    .col(text_null("secret_enc"))
                    .col(text_null("public_key_pem"))
                    .col(ts_null("not_after"))
                    .col(ts_null("revoked_at"))
                    .col(ts("created_at"))
                    .foreign_key(&mut platform_fk("app_keys"))
                    .foreign_key(&mut fk("app_keys", "app_id", "apps"))
                    .take(),
            )
            .await?;
        index(manager, "app_keys", &["app_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["app_keys", "apps"]).await
    }
}

//! Admin users and their refresh tokens.

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
                    .table("users")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(string_len("username", 64))
                    .col(text("display_name"))
                    .col(text("password_hash"))
                    .col(code("role"))
                    .col(code("node_kind"))
                    .col(id_ref("node_id"))
                    .col(path())
                    .col(code("status"))
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("users"))
                    .take(),
            )
            .await?;
        unique(manager, "users", &["username"]).await?;
        path_index(manager, "users").await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref("user_id"))
                    .col(string_len("family_id", 64))
                    .col(string_len("token_hash", 128))
                    .col(ts("expires_at"))
                    .col(ts_null("rotated_at"))
                    .col(ts_null("revoked_at"))
                    .col(ts("created_at"))
                    .foreign_key(&mut platform_fk("refresh_tokens"))
                    .foreign_key(&mut fk("refresh_tokens", "user_id", "users"))
                    .take(),
            )
            .await?;
        unique(manager, "refresh_tokens", &["token_hash"]).await?;
        index(manager, "refresh_tokens", &["user_id"]).await?;
        index(manager, "refresh_tokens", &["family_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["refresh_tokens", "users"]).await
    }
}

//! The audit log.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{json_binary_null, string_len_null, text};
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_logs")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(path())
                    .col(id_ref_null("actor_user_id"))
                    .col(text("actor_username"))
                    .col(string_len_null("actor_role", 32))
                    .col(string_len_null("ip", 64))
                    .col(string_len_null("request_id", 128))
                    .col(text("action"))
                    .col(code("target_kind"))
                    .col(text("target_id"))
                    .col(json_binary_null("before"))
                    .col(json_binary_null("after"))
                    .col(ts("created_at"))
                    .foreign_key(&mut platform_fk("audit_logs"))
                    .take(),
            )
            .await?;
        path_index(manager, "audit_logs").await?;
        time_index(manager).await?;
        index(manager, "audit_logs", &["target_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["audit_logs"]).await
    }
}

/// Newest-first listing per platform. SQLite keeps timestamps as RFC 3339 text whose fraction is
/// trimmed (`…:05Z`, `…:05.5Z`), which only sorts chronologically without the `Z`; the adapters
/// order by `rtrim(created_at, 'Z')` there, so that expression is what gets indexed.
async fn time_index(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            let sql = r#"CREATE INDEX "ix_audit_logs__platform_id__created_at" ON "audit_logs" ("platform_id", rtrim("created_at", 'Z'))"#;
            manager.get_connection().execute_unprepared(sql).await.map(|_| ())
        }
        _ => index(manager, "audit_logs", &["platform_id", "created_at"]).await,
    }
}

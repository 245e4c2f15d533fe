//! `AuditRepo`: the audit log, scoped like the records it describes.

use super::entities::audit_logs::{self, Column};
use super::query::{fetch_page, newest_first, scoped, time_key, time_value};
use super::store::{SqlStore, insert_audit};
use juhe_domain::audit::{AuditEntry, AuditFilter, ports::AuditRepo};
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::Scope;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, QueryFilter};

#[async_trait::async_trait]
impl AuditRepo for SqlStore {
    async fn insert(&self, entry: &AuditEntry) -> RepoResult<()> {
        insert_audit(self.connection(), entry).await
    }

    /// Newest first; `since` is inclusive, `until` exclusive.
    async fn list(&self, scope: &Scope, filter: &AuditFilter, page: PageRequest) -> RepoResult<Page<AuditEntry>> {
        let backend = self.backend();
        let mut select = scoped::<audit_logs::Entity>(scope);
        if let Some(action) = &filter.action {
            select = select.filter(Column::Action.eq(action.as_str()));
        }
        if let Some(kind) = &filter.target_kind {
            select = select.filter(Column::TargetKind.eq(kind.as_str()));
        }
        if let Some(id) = &filter.target_id {
            select = select.filter(Column::TargetId.eq(id.as_str()));
        }
        if let Some(user) = &filter.actor_user_id {
            select = select.filter(Column::ActorUserId.eq(user.as_str()));
        }
        if let Some(since) = filter.since {
            select = select.filter(time_key(backend, Column::CreatedAt).gte(time_value(backend, since)));
        }
        if let Some(until) = filter.until {
            select = select.filter(time_key(backend, Column::CreatedAt).lt(time_value(backend, until)));
        }
        let select = newest_first(select, backend, Column::CreatedAt);
        fetch_page(self.connection(), select, page, audit_logs::Model::into_domain).await
    }
}

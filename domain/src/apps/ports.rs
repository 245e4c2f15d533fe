use super::model::{App, AppFilter, AppKey};
use crate::audit::AuditEntry;
use crate::ids::AppId;
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::Scope;
use time::OffsetDateTime;

#[async_trait::async_trait]
pub trait AppRepo: Send + Sync {
    async fn insert(&self, app: &App, key: &AppKey, audit: &AuditEntry) -> RepoResult<()>;
    async fn get(&self, scope: &Scope, id: &AppId) -> RepoResult<Option<App>>;
    /// Unscoped: the Open API signature check finds the app by the id in the header.
    async fn get_for_auth(&self, id: &AppId) -> RepoResult<Option<(App, Vec<AppKey>)>>;
    async fn list(&self, scope: &Scope, filter: &AppFilter, page: PageRequest) -> RepoResult<Page<App>>;
    async fn keys(&self, scope: &Scope, id: &AppId) -> RepoResult<Vec<AppKey>>;
    /// Optimistic update (version must match).
    async fn update(&self, app: &App, audit: &AuditEntry) -> RepoResult<()>;
    /// Adds `key` and ends every other live key of the app at `old_keys_end`.
    async fn rotate_key(
        &self,
        app: &App,
        key: &AppKey,
        old_keys_end: OffsetDateTime,
        audit: &AuditEntry,
    ) -> RepoResult<()>;
}

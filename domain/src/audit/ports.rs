use super::{AuditEntry, AuditFilter};
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::Scope;

#[async_trait::async_trait]
pub trait AuditRepo: Send + Sync {
    /// Writes an entry on its own (changes that carry their own write use their repository, which
    /// stores the entry in the same transaction).
    async fn insert(&self, entry: &AuditEntry) -> RepoResult<()>;
    /// Newest first.
    async fn list(&self, scope: &Scope, filter: &AuditFilter, page: PageRequest) -> RepoResult<Page<AuditEntry>>;
}

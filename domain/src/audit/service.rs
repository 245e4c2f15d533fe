use super::ports::AuditRepo;
use super::{AuditEntry, AuditFilter};
use crate::identity::{Caller, Permission};
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Repo(#[from] RepoError),
}

pub struct AuditService {
    repo: Arc<dyn AuditRepo>,
}

impl AuditService {
    pub fn new(repo: Arc<dyn AuditRepo>) -> Self {
        Self { repo }
    }

    /// The caller's subtree's audit log, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEntry>, AuditError> {
        caller.require(Permission::AuditRead).map_err(|_| AuditError::Forbidden)?;
        Ok(self.repo.list(&caller.scope, filter, page).await?)
    }
}

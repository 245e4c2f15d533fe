//! The operators' side of jobs: list them by kind and state, see a job's runs and errors, retry
//! or cancel one. Platform users only (jobs are the platform's machinery).

use super::model::{Job, JobAttempt};
use super::ports::{JobFilter, JobRepo, KindStats};
use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::identity::{Caller, NodeKind, Permission};
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::scope::NodePath;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum JobAdminError {
    #[error("not allowed")]
    Forbidden,
    #[error("job not found")]
    NotFound,
    /// Retry of a running or succeeded job, cancel of a running or finished one.
    #[error("job is {0}; this action needs another state")]
    State(String),
    #[error("storage: {0}")]
    Repo(RepoError),
}

impl From<RepoError> for JobAdminError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => JobAdminError::NotFound,
            other => JobAdminError::Repo(other),
        }
    }
}

pub type JobAdminResult<T> = Result<T, JobAdminError>;

pub struct JobAdmin {
    pub jobs: Arc<dyn JobRepo>,
    pub clock: Arc<dyn Clock>,
}

fn platform_only(caller: &Caller) -> JobAdminResult<()> {
    if caller.node_kind != NodeKind::Platform || caller.require(Permission::JobAdmin).is_err() {
        return Err(JobAdminError::Forbidden);
    }
    Ok(())
}

impl JobAdmin {
    pub async fn list(&self, caller: &Caller, filter: &JobFilter, page: PageRequest) -> JobAdminResult<Page<Job>> {
        platform_only(caller)?;
        Ok(self.jobs.list(&caller.scope.platform_id, filter, page).await?)
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> JobAdminResult<(Job, Vec<JobAttempt>)> {
        platform_only(caller)?;
        let platform = &caller.scope.platform_id;
        let job = self.jobs.get(platform, id).await?.ok_or(JobAdminError::NotFound)?;
        let attempts = self.jobs.attempts(platform, id).await?;
        Ok((job, attempts))
    }

    /// Queue depth and age per kind (across the platform's jobs).
    pub async fn stats(&self, caller: &Caller) -> JobAdminResult<Vec<KindStats>> {
        platform_only(caller)?;
        Ok(self.jobs.stats(self.clock.now()).await?)
    }

    /// Runs a pending, dead or cancelled job now, its failure count cleared.
    pub async fn retry(&self, caller: &Caller, id: &str) -> JobAdminResult<Job> {
        self.act(caller, id, "job.retry").await
    }

    /// Stops a pending or dead job from running again.
    pub async fn cancel(&self, caller: &Caller, id: &str) -> JobAdminResult<Job> {
        self.act(caller, id, "job.cancel").await
    }

    async fn act(&self, caller: &Caller, id: &str, action: &str) -> JobAdminResult<Job> {
        platform_only(caller)?;
        let platform = &caller.scope.platform_id;
        let job = self.jobs.get(platform, id).await?.ok_or(JobAdminError::NotFound)?;
        let now = self.clock.now();
        let before = json!({"state": job.state.as_str(), "failures": job.failures, "last_error": job.last_error});
        let audit = AuditEntry::new(
            platform,
            &NodePath::platform_root(platform),
            &caller.actor(),
            action,
            "job",
            job.id.as_str(),
            Some(before),
            None,
            now,
        );
        let done = if action == "job.retry" {
            self.jobs.retry(platform, id, now, &audit).await
        } else {
            self.jobs.cancel(platform, id, now, &audit).await
        };
        match done {
            Err(RepoError::Conflict(c)) if c == "job_state" => {
                return Err(JobAdminError::State(job.state.as_str().to_owned()));
            }
            other => other?,
        }
        self.jobs.get(platform, id).await?.ok_or(JobAdminError::NotFound)
    }
}

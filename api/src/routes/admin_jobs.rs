//! `/admin/v1/jobs`: the durable job queue for platform operators — list by kind and state,
//! one job with its runs and errors, retry, cancel, and queue health per kind.

use super::common::{Tag, page_of, parse_opt};
use crate::error::ApiResult;
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::jobs::{Job, JobAttempt, JobFilter, JobKind, JobState, KindStats};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::types::Any;
use poem_openapi::{Enum, Object, OpenApi, payload::Json};
use serde_json::Value;
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AdminJobsApi;

#[derive(Enum, Clone, Copy)]
#[oai(rename_all = "snake_case")]
pub enum JobStateDto {
    Pending,
    Running,
    Succeeded,
    Dead,
    Cancelled,
}

impl From<JobState> for JobStateDto {
    fn from(s: JobState) -> Self {
        match s {
            JobState::Pending => Self::Pending,
            JobState::Running => Self::Running,
            JobState::Succeeded => Self::Succeeded,
            JobState::Dead => Self::Dead,
            JobState::Cancelled => Self::Cancelled,
        }
    }
}

/// A background job.
#[derive(Object)]
#[oai(rename = "Job")]
pub struct JobDto {
    pub id: String,
    /// `order.followup`, `refund.followup`, `notification.delivery`, `exception.resolution`.
    pub kind: String,
    /// What the job is about: an order or refund number, a notification or exception id.
    pub key: String,
    pub payload: Any<Value>,
    pub state: JobStateDto,
    /// Runs started so far.
    pub attempts: i32,
    /// Consecutive failed runs (the job is `dead` after its kind's maximum).
    pub failures: i32,
    pub next_run_at: OffsetDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

impl From<Job> for JobDto {
    fn from(j: Job) -> Self {
        Self {
            id: j.id.to_string(),
            kind: j.kind.as_str().into(),
            key: j.key,
            payload: Any(j.payload),
            state: j.state.into(),
            attempts: j.attempts,
            failures: j.failures,
            next_run_at: j.next_run_at,
            lease_owner: j.lease_owner,
            lease_until: j.lease_until,
            last_error: j.last_error,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

/// One run of a job.
#[derive(Object)]
#[oai(rename = "JobAttempt")]
pub struct JobAttemptDto {
    pub attempt_no: i32,
    pub worker: String,
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
    /// `succeeded`, `rescheduled`, `failed`, `lease_expired` (the worker stopped mid-run).
    pub result: String,
    pub error: Option<String>,
}

impl From<JobAttempt> for JobAttemptDto {
    fn from(a: JobAttempt) -> Self {
        Self {
            attempt_no: a.attempt_no,
            worker: a.worker,
            started_at: a.started_at,
            finished_at: a.finished_at,
            result: a.result.as_str().into(),
            error: a.error,
        }
    }
}

#[derive(Object)]
pub struct JobDetail {
    pub job: JobDto,
    pub attempts: Vec<JobAttemptDto>,
}

/// Queue health of one kind.
#[derive(Object)]
#[oai(rename = "JobKindStats")]
pub struct KindStatsDto {
    pub kind: String,
    pub due: u64,
    pub scheduled: u64,
    pub running: u64,
    pub dead: u64,
    /// Seconds the most overdue pending job has waited.
    pub oldest_due_secs: i64,
}

impl From<KindStats> for KindStatsDto {
    fn from(s: KindStats) -> Self {
        Self {
            kind: s.kind.as_str().into(),
            due: s.due,
            scheduled: s.scheduled,
            running: s.running,
            dead: s.dead,
            oldest_due_secs: s.oldest_due_secs,
        }
    }
}

page_of!(JobPage, JobDto);

#[OpenApi(prefix_path = "/admin/v1", tag = "Tag::Jobs")]
impl AdminJobsApi {
    /// Jobs of the platform, most urgent first (by next run).
    #[oai(path = "/jobs", method = "get", operation_id = "admin_jobs_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] kind: Query<Option<String>>,
        /// pending, running, succeeded, dead, cancelled.
        #[oai(name = "state", validator(max_length = 20))]
        job_state: Query<Option<String>>,
        /// An order or refund number, a notification or exception id.
        #[oai(validator(max_length = 200))]
        key: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<JobPage>> {
        let filter = JobFilter {
            kind: parse_opt(kind.0, JobKind::parse, "kind: unknown")?,
            state: parse_opt(job_state.0, JobState::parse, "state: unknown")?,
            key: key.0,
        };
        let p = state.job_admin.list(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(JobPage::from_page(p, JobDto::from)))
    }

    /// Queue depth and age per kind.
    #[oai(path = "/jobs/stats", method = "get", operation_id = "admin_jobs_stats")]
    async fn stats(&self, state: Data<&Arc<AppState>>, auth: AdminAuth) -> ApiResult<Json<Vec<KindStatsDto>>> {
        Ok(Json(state.job_admin.stats(&auth.0).await?.into_iter().map(Into::into).collect()))
    }

    /// One job with every run and its error.
    #[oai(path = "/jobs/:id", method = "get", operation_id = "admin_jobs_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<JobDetail>> {
        let (job, attempts) = state.job_admin.get(&auth.0, &id.0).await?;
        Ok(Json(JobDetail { job: job.into(), attempts: attempts.into_iter().map(Into::into).collect() }))
    }

    /// Run a pending, dead or cancelled job now (its failure count cleared).
    #[oai(path = "/jobs/:id/retry", method = "post", operation_id = "admin_jobs_retry")]
    async fn retry(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<JobDto>> {
        Ok(Json(state.job_admin.retry(&auth.0, &id.0).await?.into()))
    }

    /// Stop a pending or dead job from running again.
    #[oai(path = "/jobs/:id/cancel", method = "post", operation_id = "admin_jobs_cancel")]
    async fn cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<JobDto>> {
        Ok(Json(state.job_admin.cancel(&auth.0, &id.0).await?.into()))
    }
}

use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{JobId, PlatformId};
use juhe_domain::jobs::{Job, JobKind, JobState, NewJob};
use juhe_domain::repo::RepoResult;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub kind: String,
    pub key: String,
    pub payload: Option<Json>,
    pub state: String,
    pub attempts: i32,
    pub failures: i32,
    pub next_run_at: TimeDateTimeWithTimeZone,
    pub lease_owner: Option<String>,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub last_error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<Job> {
        Ok(Job {
            kind: code("jobs.kind", &self.kind, JobKind::parse)?,
            state: code("jobs.state", &self.state, JobState::parse)?,
            id: JobId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            key: self.key,
            payload: self.payload.unwrap_or(Json::Null),
            attempts: self.attempts,
            failures: self.failures,
            next_run_at: self.next_run_at,
            lease_owner: self.lease_owner,
            lease_until: self.lease_until,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        })
    }
}

/// A new pending job.
pub fn from_new(job: &NewJob, now: OffsetDateTime) -> ActiveModel {
    ActiveModel {
        id: Set(JobId::generate().to_string()),
        platform_id: Set(job.platform_id.to_string()),
        kind: Set(job.kind.as_str().to_owned()),
        key: Set(job.key.clone()),
        payload: Set((!job.payload.is_null()).then(|| job.payload.clone())),
        state: Set(JobState::Pending.as_str().to_owned()),
        attempts: Set(0),
        failures: Set(0),
        next_run_at: Set(db_time(job.run_at)),
        lease_owner: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(db_time(now)),
        updated_at: Set(db_time(now)),
        finished_at: Set(None),
    }
}

use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{JobId, PlatformId};
use juhe_domain::jobs::JobAttempt;
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::repo::RepoResult;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub attempt_no: i32,
    pub platform_id: String,
    pub worker: String,
    pub started_at: TimeDateTimeWithTimeZone,
    pub finished_at: TimeDateTimeWithTimeZone,
    pub result: String,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<JobAttempt> {
        Ok(JobAttempt {
            result: code("job_attempts.result", &self.result, AttemptResult::parse)?,
            job_id: JobId::from_trusted(self.job_id),
            attempt_no: self.attempt_no,
            worker: self.worker,
            started_at: self.started_at,
            finished_at: self.finished_at,
            error: self.error,
        })
    }
}

pub fn from_domain(a: &JobAttempt, platform: &PlatformId) -> ActiveModel {
    ActiveModel {
        job_id: Set(a.job_id.to_string()),
        attempt_no: Set(a.attempt_no),
        platform_id: Set(platform.to_string()),
        worker: Set(a.worker.clone()),
        started_at: Set(db_time(a.started_at)),
        finished_at: Set(db_time(a.finished_at)),
        result: Set(a.result.as_str().to_owned()),
        error: Set(a.error.clone()),
    }
}

use crate::db::mapping::db_time;
use juhe_domain::ids::PlatformId;
use juhe_domain::payments::notification::DeliveryAttempt;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub attempt_no: i32,
    pub platform_id: String,
    pub started_at: TimeDateTimeWithTimeZone,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    pub response_excerpt: String,
    pub success: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> DeliveryAttempt {
        DeliveryAttempt {
            notification_id: self.notification_id,
            attempt_no: self.attempt_no,
            started_at: self.started_at,
            http_status: self.http_status,
            latency_ms: self.latency_ms,
            response_excerpt: self.response_excerpt,
            success: self.success,
        }
    }
}

pub fn from_domain(a: &DeliveryAttempt, platform: &PlatformId) -> ActiveModel {
    ActiveModel {
        notification_id: Set(a.notification_id.clone()),
        attempt_no: Set(a.attempt_no),
        platform_id: Set(platform.to_string()),
        started_at: Set(db_time(a.started_at)),
        http_status: Set(a.http_status),
        latency_ms: Set(a.latency_ms),
        response_excerpt: Set(a.response_excerpt.clone()),
        success: Set(a.success),
    }
}

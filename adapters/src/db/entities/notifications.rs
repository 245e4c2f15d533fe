use crate::db::mapping::{code, db_time, db_time_opt};
use juhe_domain::ids::{AppId, MerchantId, PlatformId};
use juhe_domain::payments::notification::{DeliveryStatus, EventType, Notification};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub path: String,
    pub app_id: String,
    pub event_type: String,
    pub resource_no: String,
    pub url: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: TimeDateTimeWithTimeZone,
    pub delivered_at: Option<TimeDateTimeWithTimeZone>,
    /// The delivery worker holding the claim, and until when (see `NotificationRepo::claim_due`).
    pub locked_by: Option<String>,
    pub locked_until: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<Notification> {
        Ok(Notification {
            event_type: code("notifications.event_type", &self.event_type, EventType::parse)?,
            status: code("notifications.status", &self.status, DeliveryStatus::parse)?,
            id: self.id,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            path: NodePath::from_trusted(self.path),
            app_id: AppId::from_trusted(self.app_id),
            resource_no: self.resource_no,
            url: self.url,
            payload: self.payload,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            delivered_at: self.delivered_at,
            created_at: self.created_at,
        })
    }
}

/// A new outbox row: unclaimed.
pub fn from_domain(n: &Notification) -> ActiveModel {
    ActiveModel {
        id: Set(n.id.clone()),
        platform_id: Set(n.platform_id.to_string()),
        merchant_id: Set(n.merchant_id.to_string()),
        path: Set(n.path.to_string()),
        app_id: Set(n.app_id.to_string()),
        event_type: Set(n.event_type.as_str().to_owned()),
        resource_no: Set(n.resource_no.clone()),
        url: Set(n.url.clone()),
        payload: Set(n.payload.clone()),
        status: Set(n.status.as_str().to_owned()),
        attempts: Set(n.attempts),
        next_attempt_at: Set(db_time(n.next_attempt_at)),
        delivered_at: Set(db_time_opt(n.delivered_at)),
        locked_by: Set(None),
        locked_until: Set(None),
        created_at: Set(db_time(n.created_at)),
    }
}

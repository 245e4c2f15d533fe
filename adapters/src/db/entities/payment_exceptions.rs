use crate::db::mapping::{code, db_time, db_time_opt};
use juhe_domain::ids::{ExceptionId, MerchantId, PlatformId};
use juhe_domain::payments::exception::{ExceptionKind, ExceptionStatus, PaymentException, Resolution};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_exceptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub path: String,
    pub kind: String,
    pub order_no: String,
    pub refund_no: Option<String>,
    pub evidence: Option<Json>,
    pub status: String,
    pub resolution: String,
    pub note: Option<String>,
    pub resolved_by: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub resolved_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<PaymentException> {
        Ok(PaymentException {
            kind: code("payment_exceptions.kind", &self.kind, ExceptionKind::parse)?,
            status: code("payment_exceptions.status", &self.status, ExceptionStatus::parse)?,
            resolution: code("payment_exceptions.resolution", &self.resolution, Resolution::parse)?,
            id: ExceptionId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            path: NodePath::from_trusted(self.path),
            order_no: self.order_no,
            refund_no: self.refund_no,
            evidence: self.evidence.unwrap_or(Json::Null),
            note: self.note,
            resolved_by: self.resolved_by,
            created_at: self.created_at,
            resolved_at: self.resolved_at,
        })
    }
}

pub fn from_domain(e: &PaymentException) -> ActiveModel {
    ActiveModel {
        id: Set(e.id.to_string()),
        platform_id: Set(e.platform_id.to_string()),
        merchant_id: Set(e.merchant_id.to_string()),
        path: Set(e.path.to_string()),
        kind: Set(e.kind.as_str().to_owned()),
        order_no: Set(e.order_no.clone()),
        refund_no: Set(e.refund_no.clone()),
        evidence: Set((!e.evidence.is_null()).then(|| e.evidence.clone())),
        status: Set(e.status.as_str().to_owned()),
        resolution: Set(e.resolution.as_str().to_owned()),
        note: Set(e.note.clone()),
        resolved_by: Set(e.resolved_by.clone()),
        created_at: Set(db_time(e.created_at)),
        resolved_at: Set(db_time_opt(e.resolved_at)),
    }
}

/// The columns a resolution changes.
pub fn resolution_changes(e: &PaymentException) -> ActiveModel {
    ActiveModel {
        refund_no: Set(e.refund_no.clone()),
        status: Set(e.status.as_str().to_owned()),
        resolution: Set(e.resolution.as_str().to_owned()),
        note: Set(e.note.clone()),
        resolved_by: Set(e.resolved_by.clone()),
        resolved_at: Set(db_time_opt(e.resolved_at)),
        ..Default::default()
    }
}

use crate::db::mapping::{code, db_time, db_time_opt};
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::money::Money;
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub refund_no: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub path: String,
    pub order_no: String,
    pub out_refund_no: String,
    pub amount: i64,
    pub fee_refunded: i64,
    pub status: String,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    pub channel_refund_no: Option<String>,
    pub request_hash: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub succeeded_at: Option<TimeDateTimeWithTimeZone>,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<Refund> {
        Ok(Refund {
            status: code("refunds.status", &self.status, RefundStatus::parse)?,
            refund_no: self.refund_no,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            path: NodePath::from_trusted(self.path),
            order_no: self.order_no,
            out_refund_no: self.out_refund_no,
            amount: Money(self.amount),
            fee_refunded: Money(self.fee_refunded),
            reason: self.reason,
            notify_url: self.notify_url,
            channel_refund_no: self.channel_refund_no,
            request_hash: self.request_hash,
            created_at: self.created_at,
            succeeded_at: self.succeeded_at,
            updated_at: self.updated_at,
        })
    }
}

/// Every column; a refund is written whole once, then only settled (see `RefundRepo::settle`).
pub fn from_domain(r: &Refund) -> ActiveModel {
    ActiveModel {
        refund_no: Set(r.refund_no.clone()),
        platform_id: Set(r.platform_id.to_string()),
        merchant_id: Set(r.merchant_id.to_string()),
        path: Set(r.path.to_string()),
        order_no: Set(r.order_no.clone()),
        out_refund_no: Set(r.out_refund_no.clone()),
        amount: Set(r.amount.fen()),
        fee_refunded: Set(r.fee_refunded.fen()),
        status: Set(r.status.as_str().to_owned()),
        reason: Set(r.reason.clone()),
        notify_url: Set(r.notify_url.clone()),
        channel_refund_no: Set(r.channel_refund_no.clone()),
        request_hash: Set(r.request_hash.clone()),
        created_at: Set(db_time(r.created_at)),
        succeeded_at: Set(db_time_opt(r.succeeded_at)),
        updated_at: Set(db_time(r.updated_at)),
    }
}

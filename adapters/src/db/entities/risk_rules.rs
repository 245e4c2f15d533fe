use crate::db::mapping::db_time;
use juhe_domain::ids::{MerchantId, PlatformId, StoreId};
use juhe_domain::money::Money;
use juhe_domain::payments::risk_rules::{RiskLimits, RiskRule};
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "risk_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub store_id: Option<String>,
    /// `store_id`, or '' for the merchant's own rule (the unique key cannot hold NULLs).
    pub store_key: String,
    pub path: String,
    pub single_max: Option<i64>,
    pub daily_amount_max: Option<i64>,
    pub daily_count_max: Option<i64>,
    pub monthly_amount_max: Option<i64>,
    pub monthly_count_max: Option<i64>,
    pub version: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The value of `store_key` for a rule of `store_id` (`None`: the merchant's own).
pub fn store_key(store_id: Option<&StoreId>) -> String {
    store_id.map(ToString::to_string).unwrap_or_default()
}

impl Model {
    pub fn into_domain(self) -> RiskRule {
        RiskRule {
            id: self.id,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            store_id: self.store_id.map(StoreId::from_trusted),
            path: NodePath::from_trusted(self.path),
            limits: RiskLimits {
                single_max: self.single_max.map(Money),
                daily_amount_max: self.daily_amount_max.map(Money),
                daily_count_max: self.daily_count_max,
                monthly_amount_max: self.monthly_amount_max.map(Money),
                monthly_count_max: self.monthly_count_max,
            },
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

pub fn from_domain(r: &RiskRule) -> ActiveModel {
    ActiveModel {
        id: Set(r.id.clone()),
        platform_id: Set(r.platform_id.to_string()),
        merchant_id: Set(r.merchant_id.to_string()),
        store_id: Set(r.store_id.as_ref().map(ToString::to_string)),
        store_key: Set(store_key(r.store_id.as_ref())),
        path: Set(r.path.to_string()),
        version: Set(r.version),
        created_at: Set(db_time(r.created_at)),
        ..changes(r)
    }
}

/// What an update writes: the limits. Whose rule it is never changes.
pub fn changes(r: &RiskRule) -> ActiveModel {
    let l = &r.limits;
    ActiveModel {
        single_max: Set(l.single_max.map(Money::fen)),
        daily_amount_max: Set(l.daily_amount_max.map(Money::fen)),
        daily_count_max: Set(l.daily_count_max),
        monthly_amount_max: Set(l.monthly_amount_max.map(Money::fen)),
        monthly_count_max: Set(l.monthly_count_max),
        updated_at: Set(db_time(r.updated_at)),
        ..Default::default()
    }
}

use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::payments::risk_rules::{RiskListEntry, RiskListKind};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "risk_list_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_id: Option<String>,
    /// `merchant_id`, or '' for the platform-wide list (the unique key cannot hold NULLs).
    pub merchant_key: String,
    pub path: String,
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<RiskListEntry> {
        Ok(RiskListEntry {
            kind: code("risk_list_entries.kind", &self.kind, RiskListKind::parse)?,
            id: self.id,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: self.merchant_id.map(MerchantId::from_trusted),
            path: NodePath::from_trusted(self.path),
            value: self.value,
            reason: self.reason,
            created_at: self.created_at,
        })
    }
}

pub fn from_domain(e: &RiskListEntry) -> ActiveModel {
    ActiveModel {
        id: Set(e.id.clone()),
        platform_id: Set(e.platform_id.to_string()),
        merchant_id: Set(e.merchant_id.as_ref().map(ToString::to_string)),
        merchant_key: Set(e.merchant_id.as_ref().map(ToString::to_string).unwrap_or_default()),
        path: Set(e.path.to_string()),
        kind: Set(e.kind.as_str().to_owned()),
        value: Set(e.value.clone()),
        reason: Set(e.reason.clone()),
        created_at: Set(db_time(e.created_at)),
    }
}

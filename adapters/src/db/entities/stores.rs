use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{MerchantId, PlatformId, StoreId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use juhe_domain::tenancy::{NodeStatus, Store};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub path: String,
    pub name: String,
    pub address: String,
    pub business_category: String,
    pub status: String,
    pub version: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<Store> {
        Ok(Store {
            status: code("stores.status", &self.status, NodeStatus::parse)?,
            id: StoreId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            path: NodePath::from_trusted(self.path),
            name: self.name,
            address: self.address,
            business_category: self.business_category,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(s: &Store) -> ActiveModel {
    ActiveModel {
        id: Set(s.id.to_string()),
        platform_id: Set(s.platform_id.to_string()),
        merchant_id: Set(s.merchant_id.to_string()),
        path: Set(s.path.to_string()),
        version: Set(s.version),
        created_at: Set(db_time(s.created_at)),
        ..changes(s)
    }
}

/// What an update writes. The owning merchant and the path never change here.
pub fn changes(s: &Store) -> ActiveModel {
    ActiveModel {
        name: Set(s.name.clone()),
        address: Set(s.address.clone()),
        business_category: Set(s.business_category.clone()),
        status: Set(s.status.as_str().to_owned()),
        updated_at: Set(db_time(s.updated_at)),
        ..Default::default()
    }
}

use crate::db::mapping::{code, db_time};
use juhe_domain::cashier::{QrCode, QrCodeStatus};
use juhe_domain::ids::{MerchantId, PlatformId, StoreId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qr_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub store_id: String,
    pub path: String,
    pub name: String,
    pub status: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<QrCode> {
        Ok(QrCode {
            status: code("qr_codes.status", &self.status, QrCodeStatus::parse)?,
            code: self.code,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            store_id: StoreId::from_trusted(self.store_id),
            path: NodePath::from_trusted(self.path),
            name: self.name,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(q: &QrCode) -> ActiveModel {
    ActiveModel {
        code: Set(q.code.clone()),
        platform_id: Set(q.platform_id.to_string()),
        merchant_id: Set(q.merchant_id.to_string()),
        store_id: Set(q.store_id.to_string()),
        path: Set(q.path.to_string()),
        name: Set(q.name.clone()),
        created_at: Set(db_time(q.created_at)),
        ..changes(q)
    }
}

/// What a status change writes.
pub fn changes(q: &QrCode) -> ActiveModel {
    ActiveModel {
        status: Set(q.status.as_str().to_owned()),
        updated_at: Set(db_time(q.updated_at)),
        ..Default::default()
    }
}

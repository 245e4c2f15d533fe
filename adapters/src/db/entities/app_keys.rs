use crate::db::mapping::{code, db_time, db_time_opt};
use juhe_domain::apps::{AppKey, KeyKind};
use juhe_domain::ids::{AppId, AppKeyId, PlatformId};
use juhe_domain::repo::RepoResult;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub app_id: String,
    pub kind: String,
    pub secret_enc: Option<String>,
    pub public_key_pem: Option<String>,
    pub not_after: Option<TimeDateTimeWithTimeZone>,
    pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<AppKey> {
        Ok(AppKey {
            kind: code("app_keys.kind", &self.kind, KeyKind::parse)?,
            id: AppKeyId::from_trusted(self.id),
            app_id: AppId::from_trusted(self.app_id),
            secret_enc: self.secret_enc,
            public_key_pem: self.public_key_pem,
            not_after: self.not_after,
            revoked_at: self.revoked_at,
            created_at: self.created_at,
        })
    }
}

/// The key row; `platform` is the app's (keys carry it like every table, the domain type not).
pub fn from_domain(k: &AppKey, platform: &PlatformId) -> ActiveModel {
    ActiveModel {
        id: Set(k.id.to_string()),
        platform_id: Set(platform.to_string()),
        app_id: Set(k.app_id.to_string()),
        kind: Set(k.kind.as_str().to_owned()),
        secret_enc: Set(k.secret_enc.clone()),
        public_key_pem: Set(k.public_key_pem.clone()),
        not_after: Set(db_time_opt(k.not_after)),
        revoked_at: Set(db_time_opt(k.revoked_at)),
        created_at: Set(db_time(k.created_at)),
    }
}

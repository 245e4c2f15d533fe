use crate::db::mapping::{db_time, db_time_opt};
use juhe_domain::identity::RefreshTokenRecord;
use juhe_domain::ids::{PlatformId, RefreshTokenId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: TimeDateTimeWithTimeZone,
    pub rotated_at: Option<TimeDateTimeWithTimeZone>,
    pub revoked_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RefreshTokenRecord {
        RefreshTokenRecord {
            id: RefreshTokenId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            user_id: UserId::from_trusted(self.user_id),
            family_id: self.family_id,
            token_hash: self.token_hash,
            expires_at: self.expires_at,
            rotated_at: self.rotated_at,
            revoked_at: self.revoked_at,
            created_at: self.created_at,
        }
    }
}

pub fn from_domain(t: &RefreshTokenRecord) -> ActiveModel {
    ActiveModel {
        id: Set(t.id.to_string()),
        platform_id: Set(t.platform_id.to_string()),
        user_id: Set(t.user_id.to_string()),
        family_id: Set(t.family_id.clone()),
        token_hash: Set(t.token_hash.clone()),
        expires_at: Set(db_time(t.expires_at)),
        rotated_at: Set(db_time_opt(t.rotated_at)),
        revoked_at: Set(db_time_opt(t.revoked_at)),
        created_at: Set(db_time(t.created_at)),
    }
}

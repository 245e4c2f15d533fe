use crate::db::mapping::{code, db_time};
use juhe_domain::channels::{ChannelAccount, ChannelCode};
use juhe_domain::ids::PlatformId;
use juhe_domain::money::Money;
use juhe_domain::repo::RepoResult;
use juhe_domain::status::Status;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub channel: String,
    pub name: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub config: Json,
    pub secrets_enc: String,
    pub status: String,
    pub daily_amount_cap: Option<i64>,
    pub daily_count_cap: Option<i64>,
    pub version: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<ChannelAccount> {
        Ok(ChannelAccount {
            channel: code("channel_accounts.channel", &self.channel, ChannelCode::parse)?,
            status: code("channel_accounts.status", &self.status, Status::parse)?,
            id: self.id,
            platform_id: PlatformId::from_trusted(self.platform_id),
            name: self.name,
            config: self.config,
            secrets_enc: self.secrets_enc,
            daily_amount_cap: self.daily_amount_cap.map(Money),
            daily_count_cap: self.daily_count_cap,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(a: &ChannelAccount) -> ActiveModel {
    ActiveModel {
        id: Set(a.id.clone()),
        platform_id: Set(a.platform_id.to_string()),
        channel: Set(a.channel.as_str().to_owned()),
        version: Set(a.version),
        created_at: Set(db_time(a.created_at)),
        ..changes(a)
    }
}

/// What an update writes. The channel never changes: another channel is another account.
pub fn changes(a: &ChannelAccount) -> ActiveModel {
    ActiveModel {
        name: Set(a.name.clone()),
        config: Set(a.config.clone()),
        // Stored as given: the domain encrypts before it gets here.
        secrets_enc: Set(a.secrets_enc.clone()),
        status: Set(a.status.as_str().to_owned()),
        daily_amount_cap: Set(a.daily_amount_cap.map(Money::fen)),
        daily_count_cap: Set(a.daily_count_cap),
        updated_at: Set(db_time(a.updated_at)),
        ..Default::default()
    }
}

use crate::db::mapping::{code, db_time, list_from_json};
use juhe_domain::channels::{BindingStatus, ChannelBinding, ChannelCode};
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_bindings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub path: String,
    pub channel_account_id: String,
    pub channel: String,
    pub sub_merchant_id: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub config: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub ways: Json,
    pub status: String,
    pub priority: i32,
    pub weight: i32,
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
    pub fn into_domain(self) -> RepoResult<ChannelBinding> {
        let ways = list_from_json("channel_bindings.ways", self.ways)?
            .iter()
            .map(|w| code("channel_bindings.ways", w, PayWay::parse))
            .collect::<RepoResult<Vec<_>>>()?;
        Ok(ChannelBinding {
            channel: code("channel_bindings.channel", &self.channel, ChannelCode::parse)?,
            status: code("channel_bindings.status", &self.status, BindingStatus::parse)?,
            ways,
            id: self.id,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            path: NodePath::from_trusted(self.path),
            channel_account_id: self.channel_account_id,
            sub_merchant_id: self.sub_merchant_id,
            config: self.config,
            priority: self.priority,
            weight: self.weight,
            daily_amount_cap: self.daily_amount_cap.map(Money),
            daily_count_cap: self.daily_count_cap,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(b: &ChannelBinding) -> ActiveModel {
    ActiveModel {
        id: Set(b.id.clone()),
        platform_id: Set(b.platform_id.to_string()),
        merchant_id: Set(b.merchant_id.to_string()),
        path: Set(b.path.to_string()),
        channel_account_id: Set(b.channel_account_id.clone()),
        channel: Set(b.channel.as_str().to_owned()),
        sub_merchant_id: Set(b.sub_merchant_id.clone()),
        version: Set(b.version),
        created_at: Set(db_time(b.created_at)),
        ..changes(b)
    }
}

/// What an update writes. Who is bound where (merchant, path, account, channel, sub-merchant id)
/// never changes: a different identity is a different binding.
pub fn changes(b: &ChannelBinding) -> ActiveModel {
    ActiveModel {
        config: Set(b.config.clone()),
        ways: Set(Json::from(b.ways.iter().map(|w| w.as_str()).collect::<Vec<_>>())),
        status: Set(b.status.as_str().to_owned()),
        priority: Set(b.priority),
        weight: Set(b.weight),
        daily_amount_cap: Set(b.daily_amount_cap.map(Money::fen)),
        daily_count_cap: Set(b.daily_count_cap),
        updated_at: Set(db_time(b.updated_at)),
        ..Default::default()
    }
}

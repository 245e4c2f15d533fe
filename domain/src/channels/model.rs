//! Channel accounts (the platform's ISV identity at a channel) and merchant bindings
//! (the merchant's sub-merchant identity at that channel).

use crate::ids::{MerchantId, PlatformId};
use crate::money::Money;
use crate::payments::way::PayWay;
use crate::scope::NodePath;
use crate::status::Status;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCode {
    Wechat,
    Alipay,
    Unionpay,
    /// In-process, no HTTP, no crypto: load tests only, refused unless enabled.
    Instant,
}

impl ChannelCode {
    pub const ALL: [ChannelCode; 4] =
        [ChannelCode::Wechat, ChannelCode::Alipay, ChannelCode::Unionpay, ChannelCode::Instant];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelCode::Wechat => "wechat",
            ChannelCode::Alipay => "alipay",
            ChannelCode::Unionpay => "unionpay",
            ChannelCode::Instant => "instant",
        }
    }

    pub fn parse(raw: &str) -> Option<ChannelCode> {
        ChannelCode::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// The platform's identity at a channel. `config` holds public settings (WeChat `sp_mchid`,
/// `sp_appid`, certificate serial, base URL; Alipay `app_id`, gateway, ISV `pid`; …); `secrets_enc`
/// is the encrypted JSON of private keys (merchant API private key, APIv3 key, Alipay app private
/// key, …). The field names inside both belong to the adapter of `channel`.
#[derive(Clone, Debug, Serialize)]
pub struct ChannelAccount {
    pub id: String,
    pub platform_id: PlatformId,
    pub channel: ChannelCode,
    pub name: String,
    pub config: serde_json::Value,
    #[serde(skip)]
    pub secrets_enc: String,
    pub status: Status,
    /// Daily caps across all merchants of this account (`None` = no cap).
    pub daily_amount_cap: Option<Money>,
    pub daily_count_cap: Option<i64>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// State of a merchant's opening at a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingStatus {
    /// Approved by the channel: may take payments.
    Approved,
    /// Switched off by the platform.
    Suspended,
    /// The channel restricted the merchant (限额/关停): routing skips it.
    Restricted,
}

impl BindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingStatus::Approved => "approved",
            BindingStatus::Suspended => "suspended",
            BindingStatus::Restricted => "restricted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "approved" => Some(Self::Approved),
            "suspended" => Some(Self::Suspended),
            "restricted" => Some(Self::Restricted),
            _ => None,
        }
    }
}

/// A merchant opened at a channel account (特约商户 / 子商户): the sub-merchant id there, which
/// ways it may take, and how routing weighs it.
#[derive(Clone, Debug, Serialize)]
pub struct ChannelBinding {
    pub id: String,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    /// The merchant's path (bindings are scoped like the merchant).
    pub path: NodePath,
    pub channel_account_id: String,
    pub channel: ChannelCode,
    /// WeChat `sub_mchid`, Alipay `smid` (with `app_auth_token` in `config`), UnionPay `merId`.
    pub sub_merchant_id: String,
    /// Adapter-specific public settings of the binding (e.g. WeChat `sub_appid`).
    pub config: serde_json::Value,
    pub ways: Vec<PayWay>,
    pub status: BindingStatus,
    /// Higher first; among equal priorities, traffic splits by `weight` (切量).
    pub priority: i32,
    pub weight: i32,
    pub daily_amount_cap: Option<Money>,
    pub daily_count_cap: Option<i64>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

use crate::identity::NodeKind;
use crate::ids::{AppId, AppKeyId, PlatformId};
use crate::scope::NodePath;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Disabled apps fail the signature check with `APP_DISABLED`.
pub use crate::status::Status as AppStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Shared secret; requests signed `JUHE-HMAC-SHA256`.
    Hmac,
    /// The merchant's registered RSA public key; requests signed `JUHE-RSA-SHA256`.
    Rsa,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hmac => "hmac",
            Self::Rsa => "rsa",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "hmac" => Some(Self::Hmac),
            "rsa" => Some(Self::Rsa),
            _ => None,
        }
    }
}

/// An Open API client: belongs to a merchant (or an agent acting for its merchants).
#[derive(Clone, Debug, Serialize)]
pub struct App {
    pub id: AppId,
    pub platform_id: PlatformId,
    pub owner_kind: NodeKind,
    pub owner_id: String,
    pub path: NodePath,
    pub name: String,
    pub status: AppStatus,
    /// IPs or CIDR blocks; empty = any address.
    pub ip_allow_list: Vec<String>,
    /// Pay ways this app may use; empty = all the merchant has.
    pub allowed_ways: Vec<String>,
    pub notify_url: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One key of an app. Rotation adds a key and gives the old ones an end (`not_after`), so both
/// verify during the overlap window.
#[derive(Clone, Debug, Serialize)]
pub struct AppKey {
    pub id: AppKeyId,
    pub app_id: AppId,
    pub kind: KeyKind,
    /// HMAC secret, encrypted at rest. Never serialised.
    #[serde(skip)]
    pub secret_enc: Option<String>,
    pub public_key_pem: Option<String>,
    pub not_after: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl AppKey {
    pub fn usable_at(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.not_after.is_none_or(|end| now < end)
    }
}

#[derive(Clone, Debug, Default)]
pub struct AppFilter {
    pub owner_id: Option<String>,
    pub status: Option<AppStatus>,
}

use crate::ids::{AgentId, LegalEntityId, MerchantId, PlatformId, StoreId};
use crate::page::SortDir;
use crate::scope::NodePath;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Whether a node may act (take payments, call the API, log in to act on records).
/// Whether a node may act (take payments, call the API).
pub use crate::status::Status as NodeStatus;

#[derive(Clone, Debug, Serialize)]
pub struct Platform {
    pub id: PlatformId,
    pub name: String,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, Serialize)]
pub struct Agent {
    pub id: AgentId,
    pub platform_id: PlatformId,
    pub parent_id: Option<AgentId>,
    pub path: NodePath,
    /// 1 for agents directly below the platform.
    pub level: i32,
    pub name: String,
    pub contact_name: Option<String>,
    /// Encrypted at rest; responses carry the masked copy only.
    pub contact_phone_enc: Option<String>,
    pub contact_phone_masked: Option<String>,
    pub status: NodeStatus,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Which pay ways fit the merchant's business: an offline-only shop must not take online orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessScene {
    Offline,
    Online,
    Both,
}

impl BusinessScene {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Online => "online",
            Self::Both => "both",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "offline" => Self::Offline,
            "online" => Self::Online,
            "both" => Self::Both,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Merchant {
    pub id: MerchantId,
    pub platform_id: PlatformId,
    /// Platform-issued merchant number, e.g. `M1000000123`.
    pub merchant_no: String,
    pub agent_id: Option<AgentId>,
    /// Set for child numbers of a group (集团) merchant.
    pub parent_id: Option<MerchantId>,
    pub legal_entity_id: LegalEntityId,
    pub path: NodePath,
    pub name: String,
    pub short_name: String,
    pub business_scene: BusinessScene,
    /// Child numbers only: the parent's settlement account receives this number's funds.
    pub settle_to_parent: bool,
    pub contact_name: Option<String>,
    pub contact_phone_enc: Option<String>,
    pub contact_phone_masked: Option<String>,
    pub status: NodeStatus,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// 企业 (business licence)
    Enterprise,
    /// 个体工商户 (individual business licence)
    IndividualBusiness,
    /// 小微 / 个人 (resident ID card)
    Individual,
    Government,
    Institution,
    Other,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::IndividualBusiness => "individual_business",
            Self::Individual => "individual",
            Self::Government => "government",
            Self::Institution => "institution",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "enterprise" => Self::Enterprise,
            "individual_business" => Self::IndividualBusiness,
            "individual" => Self::Individual,
            "government" => Self::Government,
            "institution" => Self::Institution,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

/// One record per licence / ID number, shared by every merchant number of the same entity.
#[derive(Clone, Debug, Serialize)]
pub struct LegalEntity {
    pub id: LegalEntityId,
    pub platform_id: PlatformId,
    pub kind: EntityKind,
    pub name: String,
    /// Encrypted licence or ID number.
    pub id_number_enc: String,
    /// Blind index of the normalised number (uniqueness and lookup without decrypting).
    pub id_number_hash: String,
    /// Last four characters, for display.
    pub id_number_last4: String,
    pub legal_person_enc: Option<String>,
    pub legal_person_masked: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug, Serialize)]
pub struct Store {
    pub id: StoreId,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    pub path: NodePath,
    pub name: String,
    pub address: String,
    /// Four-digit merchant category code (MCC), e.g. `5812` restaurants.
    pub business_category: String,
    pub status: NodeStatus,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    CreatedAt,
    Name,
    /// Merchants only; others fall back to name.
    MerchantNo,
}

#[derive(Clone, Debug, Default)]
pub struct Sort {
    pub field: SortField,
    pub dir: SortDir,
}

#[derive(Clone, Debug, Default)]
pub struct AgentFilter {
    pub q: Option<String>,
    pub status: Option<NodeStatus>,
    pub parent_id: Option<AgentId>,
    pub sort: Sort,
}

#[derive(Clone, Debug, Default)]
pub struct MerchantFilter {
    pub q: Option<String>,
    pub status: Option<NodeStatus>,
    pub agent_id: Option<AgentId>,
    pub parent_id: Option<MerchantId>,
    pub legal_entity_id: Option<LegalEntityId>,
    pub sort: Sort,
}

#[derive(Clone, Debug, Default)]
pub struct StoreFilter {
    pub q: Option<String>,
    pub status: Option<NodeStatus>,
    pub merchant_id: Option<MerchantId>,
    pub sort: Sort,
}

#[derive(Clone, Debug, Default)]
pub struct LegalEntityFilter {
    pub q: Option<String>,
    pub kind: Option<EntityKind>,
}

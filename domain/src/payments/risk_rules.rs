//! Risk control (风控) records: limits per merchant (and per store, applied on top of the
//! merchant's), block lists (黑名单) of payer ids and IP addresses, platform-wide or per merchant,
//! and the storage port that the order path and the admin use cases share.

use crate::apps::ip;
use crate::audit::AuditEntry;
use crate::ids::{MerchantId, PlatformId, StoreId};
use crate::money::Money;
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::{NodePath, Scope};
use crate::validate::{self, FieldError};
use serde::Serialize;
use std::net::IpAddr;
use time::OffsetDateTime;

/// The limits of one rule; `None` is "no limit". Amounts are fen, counts are orders. A limit of
/// zero stops every order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RiskLimits {
    /// Largest amount of one order.
    pub single_max: Option<Money>,
    /// Per UTC day.
    pub daily_amount_max: Option<Money>,
    pub daily_count_max: Option<i64>,
    /// Per UTC calendar month.
    pub monthly_amount_max: Option<Money>,
    pub monthly_count_max: Option<i64>,
}

impl RiskLimits {
    pub fn validate(&self) -> Result<(), FieldError> {
        let checks = [
            ("single_max", self.single_max.map(Money::fen)),
            ("daily_amount_max", self.daily_amount_max.map(Money::fen)),
            ("daily_count_max", self.daily_count_max),
            ("monthly_amount_max", self.monthly_amount_max.map(Money::fen)),
            ("monthly_count_max", self.monthly_count_max),
        ];
        match checks.into_iter().find(|(_, v)| v.is_some_and(|v| v < 0)) {
            Some((field, _)) => Err(FieldError::new(field, "not negative")),
            None => Ok(()),
        }
    }
}

/// The limits of a merchant (`store_id: None`) or of one of its stores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskRule {
    pub id: String,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    pub store_id: Option<StoreId>,
    /// The merchant's path, or the store's for a store rule.
    pub path: NodePath,
    pub limits: RiskLimits,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl RiskRule {
    /// Whose totals the rule counts: the store's id for a store rule, else the merchant's.
    pub fn subject(&self) -> &str {
        self.store_id.as_ref().map_or(self.merchant_id.as_str(), StoreId::as_str)
    }

    /// "merchant" or "store", for messages.
    pub fn subject_kind(&self) -> &'static str {
        if self.store_id.is_some() { "store" } else { "merchant" }
    }
}

/// What a block-list entry matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskListKind {
    /// The payer's wallet id (WeChat openid, Alipay buyer id).
    PayerId,
    /// The payer's IP address or a CIDR block.
    Ip,
}

impl RiskListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PayerId => "payer_id",
            Self::Ip => "ip",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "payer_id" => Some(Self::PayerId),
            "ip" => Some(Self::Ip),
            _ => None,
        }
    }
}

/// One block-list entry: platform-wide (`merchant_id: None`, path = the platform root) or one
/// merchant's (path = the merchant's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskListEntry {
    pub id: String,
    pub platform_id: PlatformId,
    pub merchant_id: Option<MerchantId>,
    pub path: NodePath,
    pub kind: RiskListKind,
    /// Normalised (see `normalize_value`), so equal values are stored once.
    pub value: String,
    /// Why it was blocked (for operators; never sent to the merchant's API caller).
    pub reason: String,
    pub created_at: OffsetDateTime,
}

impl RiskListEntry {
    /// Whether the entry blocks this payer id or (normalised) client IP.
    pub fn matches(&self, payer_id: Option<&str>, client_ip: Option<&str>) -> bool {
        match self.kind {
            RiskListKind::PayerId => payer_id == Some(self.value.as_str()),
            RiskListKind::Ip => ip::allowed(std::slice::from_ref(&self.value), client_ip),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct RiskListFilter {
    pub kind: Option<RiskListKind>,
    pub merchant_id: Option<MerchantId>,
    /// Only the platform-wide list.
    pub platform_wide: bool,
    /// An exact (normalised) value.
    pub value: Option<String>,
}

/// Longest stored value (payer ids are at most 128 characters at every channel).
pub const VALUE_MAX: usize = 128;

/// The stored form of a block-list value: payer ids trimmed; IPs as the canonical address
/// (IPv4-mapped IPv6 as IPv4), CIDR blocks as `network/bits` with the host bits cleared.
pub fn normalize_value(kind: RiskListKind, raw: &str) -> Result<String, FieldError> {
    match kind {
        RiskListKind::PayerId => {
            let v = validate::text("value", raw, VALUE_MAX)?;
            if v.chars().any(char::is_whitespace) {
                return Err(FieldError::new("value", "a payer id has no spaces"));
            }
            Ok(v)
        }
        RiskListKind::Ip => {
            let (addr, bits) = ip::parse_rule(raw.trim())
                .ok_or_else(|| FieldError::new("value", "an IPv4/IPv6 address or CIDR block"))?;
            // An IPv4-mapped block is an IPv4 block (client IPs are compared as IPv4 too).
            let (addr, bits) = match addr {
                IpAddr::V6(v6) if bits >= 96 => v6.to_ipv4_mapped().map_or((addr, bits), |v4| (v4.into(), bits - 96)),
                _ => (addr, bits),
            };
            let full = if addr.is_ipv4() { 32 } else { 128 };
            if bits == full { Ok(addr.to_string()) } else { Ok(format!("{}/{bits}", network(addr, bits))) }
        }
    }
}

/// A client IP in the stored form, or `None` when it is not an address.
pub fn normalize_ip(raw: &str) -> Option<String> {
    raw.trim().parse::<IpAddr>().ok().map(|a| canonical(a).to_string())
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn network(addr: IpAddr, bits: u8) -> IpAddr {
    let mask = |width: u32| if bits == 0 { 0 } else { u128::MAX << (width - u32::from(bits)) };
    match addr {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & (mask(32) as u32)).into()),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & mask(128)).into()),
    }
}

/// Storage of rules and block lists. Scoped reads return nothing outside the scope; writes carry
/// their audit entry and store it in the same transaction.
#[async_trait::async_trait]
pub trait RiskRepo: Send + Sync {
    /// The merchant's rule (`store_id: None`) or one store's, if the scope may see it.
    async fn get_rule(
        &self,
        scope: &Scope,
        merchant_id: &MerchantId,
        store_id: Option<&StoreId>,
    ) -> RepoResult<Option<RiskRule>>;
    /// A second rule for the same merchant and store is `Conflict("risk_rules.store_key")`.
    async fn insert_rule(&self, rule: &RiskRule, audit: &AuditEntry) -> RepoResult<()>;
    /// Writes the limits if `rule.version` still matches (bumping it), else
    /// `Conflict("version")`.
    async fn update_rule(&self, rule: &RiskRule, audit: &AuditEntry) -> RepoResult<()>;
    /// Unscoped, for the order path: the merchant's rule, then the store's (when asked and set).
    async fn rules_for(&self, merchant_id: &MerchantId, store_id: Option<&StoreId>) -> RepoResult<Vec<RiskRule>>;

    /// Newest first.
    async fn list_entries(
        &self,
        scope: &Scope,
        filter: &RiskListFilter,
        page: PageRequest,
    ) -> RepoResult<Page<RiskListEntry>>;
    async fn get_entry(&self, scope: &Scope, id: &str) -> RepoResult<Option<RiskListEntry>>;
    /// The same value twice on one list is `Conflict("risk_list_entries.value")`.
    async fn insert_entry(&self, entry: &RiskListEntry, audit: &AuditEntry) -> RepoResult<()>;
    /// `NotFound` when the entry is missing or outside the scope.
    async fn delete_entry(&self, scope: &Scope, id: &str, audit: &AuditEntry) -> RepoResult<()>;
    /// Unscoped, for the order path: an entry of the platform-wide list or of the merchant's
    /// that blocks the payer id or the (normalised) client IP — payer entries first. Matching
    /// is `RiskListEntry::matches`.
    async fn blocked(
        &self,
        platform_id: &PlatformId,
        merchant_id: &MerchantId,
        payer_id: Option<&str>,
        client_ip: Option<&str>,
    ) -> RepoResult<Option<RiskListEntry>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_normalised() {
        let ip = |raw| normalize_value(RiskListKind::Ip, raw);
        assert_eq!(ip(" 10.1.2.3 ").as_deref(), Ok("10.1.2.3"));
        assert_eq!(ip("10.1.2.3/8").as_deref(), Ok("10.0.0.0/8"));
        assert_eq!(ip("10.1.2.3/32").as_deref(), Ok("10.1.2.3"));
        assert_eq!(ip("::ffff:10.1.2.3").as_deref(), Ok("10.1.2.3"));
        assert_eq!(ip("::ffff:10.1.2.3/104").as_deref(), Ok("10.0.0.0/8"));
        assert_eq!(ip("2001:db8::1/32").as_deref(), Ok("2001:db8::/32"));
        assert_eq!(ip("0.0.0.0/0").as_deref(), Ok("0.0.0.0/0"));
        assert_eq!(ip("::ffff:0:0/64").as_deref(), Ok("::/64"), "a wider block stays IPv6");
        assert!(ip("10.0.0.0/33").is_err());
        assert!(ip("nonsense").is_err());
        let payer = |raw| normalize_value(RiskListKind::PayerId, raw);
        assert_eq!(payer(" oUpF8uMuAJO_M2pxb1Q9zNjWeS6o ").as_deref(), Ok("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"));
        assert!(payer("two words").is_err());
        assert!(payer("").is_err());
        assert!(payer(&"x".repeat(129)).is_err());
        assert_eq!(normalize_ip("::ffff:192.168.0.1").as_deref(), Some("192.168.0.1"));
        assert_eq!(normalize_ip("bad"), None);
    }

    #[test]
    fn entries_match_payers_addresses_and_blocks() {
        let entry = |kind, value: &str| RiskListEntry {
            id: "rl_1".into(),
            platform_id: PlatformId::generate(),
            merchant_id: None,
            path: NodePath::from_trusted("/pf/".into()),
            kind,
            value: value.into(),
            reason: "fraud".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let payer = entry(RiskListKind::PayerId, "o123");
        assert!(payer.matches(Some("o123"), None));
        assert!(!payer.matches(Some("o1234"), Some("o123")));
        let block = entry(RiskListKind::Ip, "10.0.0.0/8");
        assert!(block.matches(None, Some("10.9.9.9")));
        assert!(!block.matches(Some("10.9.9.9"), Some("11.0.0.1")));
        assert!(!block.matches(None, None));
        assert!(entry(RiskListKind::Ip, "192.168.1.7").matches(None, Some("192.168.1.7")));
    }

    #[test]
    fn negative_limits_are_refused() {
        assert!(RiskLimits::default().validate().is_ok());
        let bad = RiskLimits { monthly_count_max: Some(-1), ..Default::default() };
        assert_eq!(bad.validate().map_err(|e| e.field), Err("monthly_count_max"));
        assert!(RiskLimits { single_max: Some(Money(0)), ..Default::default() }.validate().is_ok());
    }
}

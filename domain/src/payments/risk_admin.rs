//! The admin side of risk control: merchants' and stores' limits, and the block lists. Platform
//! and agent users who may edit merchants manage those in their scope; only platform users touch
//! the platform-wide block list. Every change is audited.

use super::errors::{PaymentError, PaymentResult};
use super::risk::RiskService;
use super::risk_rules::{RiskLimits, RiskListEntry, RiskListFilter, RiskListKind, RiskRule, normalize_value};
use crate::audit::AuditEntry;
use crate::identity::{Caller, NodeKind, Permission};
use crate::ids::{MerchantId, StoreId};
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::scope::NodePath;
use crate::tenancy::Merchant;
use crate::validate;
use serde_json::{Value, json};

/// A block-list entry to add; `merchant_id: None` is the platform-wide list.
#[derive(Clone, Debug)]
pub struct NewRiskListEntry {
    pub merchant_id: Option<MerchantId>,
    pub kind: RiskListKind,
    pub value: String,
    pub reason: String,
}

fn need(caller: &Caller, p: Permission) -> PaymentResult<()> {
    caller.require(p).map_err(|_| PaymentError::Forbidden)
}

fn limits_view(l: &RiskLimits) -> Value {
    json!({
        "single_max": l.single_max, "daily_amount_max": l.daily_amount_max, "daily_count_max": l.daily_count_max,
        "monthly_amount_max": l.monthly_amount_max, "monthly_count_max": l.monthly_count_max,
    })
}

fn entry_view(e: &RiskListEntry) -> Value {
    json!({"merchant_id": e.merchant_id, "kind": e.kind, "value": e.value, "reason": e.reason})
}

impl RiskService {
    /// The merchant in the caller's scope, and the path a rule of it (or of its store) hangs at.
    async fn rule_target(
        &self,
        caller: &Caller,
        merchant_id: &MerchantId,
        store_id: Option<&StoreId>,
    ) -> PaymentResult<(Merchant, NodePath)> {
        let merchant =
            self.tenancy.get_merchant(&caller.scope, merchant_id).await?.ok_or(PaymentError::MerchantNotFound)?;
        let Some(store_id) = store_id else {
            let path = merchant.path.clone();
            return Ok((merchant, path));
        };
        let store = self.tenancy.get_store(&caller.scope, store_id).await?.ok_or(PaymentError::NotFound("store"))?;
        if store.merchant_id != merchant.id {
            return Err(PaymentError::NotFound("store"));
        }
        Ok((merchant, store.path))
    }

    /// The limits of a merchant in scope (or of one of its stores); `None` while none are set.
    pub async fn get_rule(
        &self,
        caller: &Caller,
        merchant_id: &MerchantId,
        store_id: Option<&StoreId>,
    ) -> PaymentResult<Option<RiskRule>> {
        need(caller, Permission::HierarchyRead)?;
        self.rule_target(caller, merchant_id, store_id).await?;
        Ok(self.repo.get_rule(&caller.scope, merchant_id, store_id).await?)
    }

    /// Sets (replaces) the limits of a merchant in scope or of one of its stores. `version`, when
    /// given, must be the rule's current one.
    pub async fn set_rule(
        &self,
        caller: &Caller,
        merchant_id: &MerchantId,
        store_id: Option<&StoreId>,
        limits: RiskLimits,
        version: Option<i64>,
    ) -> PaymentResult<RiskRule> {
        need(caller, Permission::MerchantWrite)?;
        limits.validate()?;
        let (merchant, path) = self.rule_target(caller, merchant_id, store_id).await?;
        let now = self.clock.now();
        let existing = self.repo.get_rule(&caller.scope, merchant_id, store_id).await?;
        let stale = |e: RepoError| match e {
            RepoError::Conflict(_) => PaymentError::StaleVersion,
            other => other.into(),
        };
        let Some(before) = existing else {
            if version.is_some_and(|v| v != 0) {
                return Err(PaymentError::StaleVersion);
            }
            let rule = RiskRule {
                id: format!("rr_{}", uuid::Uuid::now_v7().simple()),
                platform_id: merchant.platform_id.clone(),
                merchant_id: merchant.id.clone(),
                store_id: store_id.cloned(),
                path,
                limits,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let audit = self.rule_audit(caller, &rule, "risk_rule.create", None);
            // A concurrent first write of the same rule makes this one stale.
            self.repo.insert_rule(&rule, &audit).await.map_err(stale)?;
            return Ok(rule);
        };
        let mut rule = before.clone();
        rule.limits = limits;
        rule.version = version.unwrap_or(before.version);
        rule.updated_at = now;
        let audit = self.rule_audit(caller, &rule, "risk_rule.update", Some(limits_view(&before.limits)));
        self.repo.update_rule(&rule, &audit).await.map_err(stale)?;
        rule.version += 1;
        Ok(rule)
    }

    fn rule_audit(&self, caller: &Caller, rule: &RiskRule, action: &str, before: Option<Value>) -> AuditEntry {
        let mut after = limits_view(&rule.limits);
        after["merchant_id"] = json!(rule.merchant_id);
        after["store_id"] = json!(rule.store_id);
        AuditEntry::new(
            &rule.platform_id,
            &rule.path,
            &caller.actor(),
            action,
            "risk_rule",
            &rule.id,
            before,
            Some(after),
            rule.updated_at,
        )
    }

    /// Block-list entries in the caller's scope (the platform-wide list for platform users).
    pub async fn list_entries(
        &self,
        caller: &Caller,
        filter: &RiskListFilter,
        page: PageRequest,
    ) -> PaymentResult<Page<RiskListEntry>> {
        need(caller, Permission::MerchantWrite)?;
        let mut filter = filter.clone();
        // Values are stored normalised; without a kind, an address reads as an IP.
        filter.value = match (filter.kind, filter.value.as_deref()) {
            (_, None) => None,
            (Some(kind), Some(v)) => Some(normalize_value(kind, v)?),
            (None, Some(v)) => {
                Some(normalize_value(RiskListKind::Ip, v).or_else(|_| normalize_value(RiskListKind::PayerId, v))?)
            }
        };
        Ok(self.repo.list_entries(&caller.scope, &filter, page).await?)
    }

    /// Blocks a payer id or an IP (block) for one merchant in scope, or platform-wide
    /// (platform users only).
    pub async fn add_entry(&self, caller: &Caller, new: NewRiskListEntry) -> PaymentResult<RiskListEntry> {
        need(caller, Permission::MerchantWrite)?;
        let value = normalize_value(new.kind, &new.value)?;
        let reason = validate::text("reason", &new.reason, 200)?;
        let (merchant_id, path) = match &new.merchant_id {
            None if caller.node_kind == NodeKind::Platform => {
                (None, NodePath::platform_root(&caller.scope.platform_id))
            }
            None => return Err(PaymentError::Forbidden),
            Some(id) => {
                let m = self.tenancy.get_merchant(&caller.scope, id).await?.ok_or(PaymentError::MerchantNotFound)?;
                (Some(m.id), m.path)
            }
        };
        let entry = RiskListEntry {
            id: format!("rl_{}", uuid::Uuid::now_v7().simple()),
            platform_id: caller.scope.platform_id.clone(),
            merchant_id,
            path,
            kind: new.kind,
            value,
            reason,
            created_at: self.clock.now(),
        };
        let audit = AuditEntry::new(
            &entry.platform_id,
            &entry.path,
            &caller.actor(),
            "risk_list.add",
            "risk_list_entry",
            &entry.id,
            None,
            Some(entry_view(&entry)),
            entry.created_at,
        );
        self.repo.insert_entry(&entry, &audit).await.map_err(|e| match e {
            RepoError::Conflict(_) => PaymentError::Duplicate("risk list entry"),
            other => other.into(),
        })?;
        Ok(entry)
    }

    /// Takes an entry off its list.
    pub async fn remove_entry(&self, caller: &Caller, id: &str) -> PaymentResult<()> {
        need(caller, Permission::MerchantWrite)?;
        let not_found = || PaymentError::NotFound("risk_list_entry");
        let entry = self.repo.get_entry(&caller.scope, id).await?.ok_or_else(not_found)?;
        let audit = AuditEntry::new(
            &entry.platform_id,
            &entry.path,
            &caller.actor(),
            "risk_list.remove",
            "risk_list_entry",
            &entry.id,
            Some(entry_view(&entry)),
            None,
            self.clock.now(),
        );
        self.repo.delete_entry(&caller.scope, id, &audit).await.map_err(|e| match e {
            RepoError::NotFound => not_found(),
            other => other.into(),
        })
    }
}

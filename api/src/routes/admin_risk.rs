//! Risk control (风控): `/admin/v1/merchants/{id}/risk-rule` (a merchant's limits, or a store's
//! with `?store_id=`) and `/admin/v1/risk-lists` (block lists of payer ids and IPs, platform-wide
//! or per merchant).

use super::common::{Tag, page_of, parse_id};
use super::text::{Text, opt};
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::ids::{MerchantId, StoreId};
use juhe_domain::money::Money;
use juhe_domain::payments::risk_admin::NewRiskListEntry;
use juhe_domain::payments::risk_rules::{RiskLimits, RiskListEntry, RiskListFilter, RiskListKind, RiskRule};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AdminRiskApi;

/// The limits of a merchant (or of one of its stores, applied on top of the merchant's). Amounts
/// are fen; `null` is no limit. Days and months are UTC.
#[derive(Object)]
pub struct RiskRuleDto {
    /// Absent until limits are first set.
    pub id: Option<String>,
    pub merchant_id: String,
    pub store_id: Option<String>,
    pub single_max: Option<i64>,
    pub daily_amount_max: Option<i64>,
    pub daily_count_max: Option<i64>,
    pub monthly_amount_max: Option<i64>,
    pub monthly_count_max: Option<i64>,
    /// 0 until limits are first set; send it back with a change.
    pub version: i64,
    pub updated_at: Option<OffsetDateTime>,
}

/// Replaces every limit (a missing or `null` one is no limit).
#[derive(Object)]
pub struct SetRiskRule {
    #[oai(validator(minimum(value = "0")))]
    pub single_max: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_amount_max: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_count_max: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub monthly_amount_max: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub monthly_count_max: Option<i64>,
    /// The version read (0 for a rule not set yet); a stale one is a 409 `VERSION_CONFLICT`.
    #[oai(validator(minimum(value = "0")))]
    pub version: Option<i64>,
}

#[derive(Object)]
pub struct RiskListEntryDto {
    pub id: String,
    /// Absent on the platform-wide list.
    pub merchant_id: Option<String>,
    /// payer_id or ip.
    pub kind: String,
    /// A payer id, an IP address or a CIDR block (normalised).
    pub value: String,
    pub reason: String,
    pub created_at: OffsetDateTime,
}

#[derive(Object)]
pub struct CreateRiskListEntry {
    /// payer_id (WeChat openid, Alipay buyer id) or ip (an address or a CIDR block).
    #[oai(validator(max_length = 20))]
    pub kind: Text,
    #[oai(validator(min_length = 1, max_length = 128))]
    pub value: Text,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub reason: Text,
    /// Leave out for the platform-wide list (platform users only).
    #[oai(validator(max_length = 40))]
    pub merchant_id: Option<Text>,
}

page_of!(RiskListPage, RiskListEntryDto);

#[derive(ApiResponse)]
pub enum CreatedEntry {
    #[oai(status = 201)]
    Created(Json<RiskListEntryDto>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

fn rule_dto(merchant_id: &MerchantId, store_id: Option<&StoreId>, rule: Option<RiskRule>) -> RiskRuleDto {
    let limits = rule.as_ref().map(|r| r.limits).unwrap_or_default();
    RiskRuleDto {
        id: rule.as_ref().map(|r| r.id.clone()),
        merchant_id: merchant_id.to_string(),
        store_id: store_id.map(ToString::to_string),
        single_max: limits.single_max.map(Money::fen),
        daily_amount_max: limits.daily_amount_max.map(Money::fen),
        daily_count_max: limits.daily_count_max,
        monthly_amount_max: limits.monthly_amount_max.map(Money::fen),
        monthly_count_max: limits.monthly_count_max,
        version: rule.as_ref().map_or(0, |r| r.version),
        updated_at: rule.map(|r| r.updated_at),
    }
}

impl From<RiskListEntry> for RiskListEntryDto {
    fn from(e: RiskListEntry) -> Self {
        Self {
            id: e.id,
            merchant_id: e.merchant_id.map(|m| m.to_string()),
            kind: e.kind.as_str().into(),
            value: e.value,
            reason: e.reason,
            created_at: e.created_at,
        }
    }
}

fn kind(raw: &str) -> ApiResult<RiskListKind> {
    RiskListKind::parse(raw).ok_or_else(|| ApiError::invalid("kind: payer_id or ip"))
}

/// A store id from the query; a malformed one is simply not found.
fn store(raw: Option<String>) -> ApiResult<Option<StoreId>> {
    raw.map(|s| StoreId::parse(&s).ok_or_else(|| ApiError::not_found("STORE_NOT_FOUND", "store"))).transpose()
}

#[OpenApi(prefix_path = "/admin/v1", tag = "Tag::Risk")]
impl AdminRiskApi {
    /// The limits of a merchant in scope, or of one of its stores (`store_id`).
    #[oai(path = "/merchants/:id/risk-rule", method = "get", operation_id = "risk_rule_get")]
    async fn get_rule(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
        #[oai(validator(max_length = 40))] store_id: Query<Option<String>>,
    ) -> ApiResult<Json<RiskRuleDto>> {
        let merchant = parse_id!(MerchantId, id.0, "MERCHANT_NOT_FOUND", "merchant");
        let store = store(store_id.0)?;
        let rule = state.risk.get_rule(&auth.0, &merchant, store.as_ref()).await?;
        Ok(Json(rule_dto(&merchant, store.as_ref(), rule)))
    }

    /// Sets the limits of a merchant in scope, or of one of its stores (`store_id`); audited.
    #[oai(path = "/merchants/:id/risk-rule", method = "put", operation_id = "risk_rule_set")]
    async fn set_rule(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
        #[oai(validator(max_length = 40))] store_id: Query<Option<String>>,
        body: Json<SetRiskRule>,
    ) -> ApiResult<Json<RiskRuleDto>> {
        let merchant = parse_id!(MerchantId, id.0, "MERCHANT_NOT_FOUND", "merchant");
        let store = store(store_id.0)?;
        let b = body.0;
        let limits = RiskLimits {
            single_max: b.single_max.map(Money),
            daily_amount_max: b.daily_amount_max.map(Money),
            daily_count_max: b.daily_count_max,
            monthly_amount_max: b.monthly_amount_max.map(Money),
            monthly_count_max: b.monthly_count_max,
        };
        let rule = state.risk.set_rule(&auth.0, &merchant, store.as_ref(), limits, b.version).await?;
        Ok(Json(rule_dto(&merchant, store.as_ref(), Some(rule))))
    }

    /// Block-list entries in scope, newest first.
    #[oai(path = "/risk-lists", method = "get", operation_id = "risk_lists_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        /// payer_id or ip.
        #[oai(validator(max_length = 20))]
        kind: Query<Option<String>>,
        #[oai(validator(max_length = 40))] merchant_id: Query<Option<String>>,
        /// Only the platform-wide list.
        platform_wide: Query<Option<bool>>,
        /// An exact payer id, IP address or CIDR block.
        #[oai(validator(max_length = 128))]
        value: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<RiskListPage>> {
        let filter = RiskListFilter {
            kind: kind.0.as_deref().map(self::kind).transpose()?,
            merchant_id: merchant_id
                .0
                .map(|m| MerchantId::parse(&m).ok_or_else(|| ApiError::invalid("merchant_id: not a valid id")))
                .transpose()?,
            platform_wide: platform_wide.0.unwrap_or(false),
            value: value.0,
        };
        let p = state.risk.list_entries(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(RiskListPage::from_page(p, RiskListEntryDto::from)))
    }

    /// Blocks a payer id or an IP (block) for a merchant in scope, or platform-wide; audited.
    #[oai(path = "/risk-lists", method = "post", operation_id = "risk_lists_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateRiskListEntry>,
    ) -> ApiResult<CreatedEntry> {
        let b = body.0;
        let merchant_id = opt(b.merchant_id)
            .map(|m| MerchantId::parse(&m).ok_or_else(|| ApiError::not_found("MERCHANT_NOT_FOUND", "merchant")))
            .transpose()?;
        let new = NewRiskListEntry { merchant_id, kind: kind(&b.kind)?, value: b.value.0, reason: b.reason.0 };
        Ok(CreatedEntry::Created(Json(state.risk.add_entry(&auth.0, new).await?.into())))
    }

    /// Takes an entry off its list; audited.
    #[oai(path = "/risk-lists/:id", method = "delete", operation_id = "risk_lists_delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Deleted> {
        state.risk.remove_entry(&auth.0, &id.0).await?;
        Ok(Deleted::NoContent)
    }
}

//! `/admin/v1/channel-accounts`, `/admin/v1/channel-bindings`: the platform's channel identities
//! and each merchant's openings at them — with routing priority, weight (切量) and caps.

use super::common::{Tag, page_of};
use super::text::{Text, opt};
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::channels::{BindingStatus, ChannelAccount, ChannelBinding, ChannelCode};
use juhe_domain::ids::MerchantId;
use juhe_domain::payments::admin::{BindingPatch, NewAccount, NewBinding};
use juhe_domain::payments::way::PayWay;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::types::Any;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use serde_json::Value;
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AdminChannelsApi;

#[derive(Object)]
pub struct AccountDto {
    pub id: String,
    /// wechat, alipay, unionpay, instant.
    pub channel: String,
    pub name: String,
    /// Public settings; secrets are never returned.
    pub config: Any<Value>,
    pub status: String,
    pub daily_amount_cap: Option<i64>,
    pub daily_count_cap: Option<i64>,
    pub created_at: OffsetDateTime,
}

#[derive(Object)]
pub struct CreateAccount {
    #[oai(validator(max_length = 20))]
    pub channel: Text,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
    pub config: Any<Value>,
    /// Private keys etc.; stored encrypted, never shown again.
    pub secrets: Any<Value>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_amount_cap: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_count_cap: Option<i64>,
}

#[derive(Object)]
pub struct BindingDto {
    pub id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub channel: String,
    pub sub_merchant_id: String,
    pub config: Any<Value>,
    pub ways: Vec<String>,
    /// approved, suspended, restricted.
    pub status: String,
    pub priority: i32,
    pub weight: i32,
    pub daily_amount_cap: Option<i64>,
    pub daily_count_cap: Option<i64>,
    pub version: i64,
    pub updated_at: OffsetDateTime,
}

#[derive(Object)]
pub struct CreateBinding {
    #[oai(validator(max_length = 40))]
    pub merchant_id: Text,
    #[oai(validator(max_length = 40))]
    pub channel_account_id: Text,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub sub_merchant_id: Text,
    pub config: Option<Any<Value>>,
    #[oai(validator(max_items = 12))]
    pub ways: Vec<Text>,
    #[oai(default, validator(minimum(value = "0"), maximum(value = "1000")))]
    pub priority: i32,
    /// Share of traffic among bindings of equal priority.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub weight: Option<i32>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_amount_cap: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_count_cap: Option<i64>,
}

#[derive(Object)]
pub struct UpdateBinding {
    /// approved, suspended, restricted.
    #[oai(validator(max_length = 20))]
    pub status: Option<Text>,
    #[oai(validator(max_items = 12))]
    pub ways: Option<Vec<Text>>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000")))]
    pub priority: Option<i32>,
    #[oai(validator(minimum(value = "0"), maximum(value = "10000")))]
    pub weight: Option<i32>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_amount_cap: Option<i64>,
    #[oai(validator(minimum(value = "0")))]
    pub daily_count_cap: Option<i64>,
    #[oai(validator(minimum(value = "1")))]
    pub version: Option<i64>,
}

page_of!(BindingPage, BindingDto);

#[derive(Object)]
pub struct UsageDto {
    pub binding: BindingDto,
    /// Today (UTC) through this binding.
    pub binding_amount_used: i64,
    pub binding_count_used: i64,
    /// Today through its channel account, across all merchants.
    pub account_amount_used: i64,
    pub account_count_used: i64,
    pub account_daily_amount_cap: Option<i64>,
    pub account_daily_count_cap: Option<i64>,
    /// While open, routing skips the account.
    pub breaker_open: bool,
}

#[derive(ApiResponse)]
pub enum CreatedAccount {
    #[oai(status = 201)]
    Created(Json<AccountDto>),
}

#[derive(ApiResponse)]
pub enum CreatedBinding {
    #[oai(status = 201)]
    Created(Json<BindingDto>),
}

impl From<ChannelAccount> for AccountDto {
    fn from(a: ChannelAccount) -> Self {
        Self {
            id: a.id,
            channel: a.channel.as_str().into(),
            name: a.name,
            config: Any(a.config),
            status: a.status.as_str().into(),
            daily_amount_cap: a.daily_amount_cap.map(|m| m.0),
            daily_count_cap: a.daily_count_cap,
            created_at: a.created_at,
        }
    }
}

impl From<ChannelBinding> for BindingDto {
    fn from(b: ChannelBinding) -> Self {
        Self {
            id: b.id,
            merchant_id: b.merchant_id.to_string(),
            channel_account_id: b.channel_account_id,
            channel: b.channel.as_str().into(),
            sub_merchant_id: b.sub_merchant_id,
            config: Any(b.config),
            ways: b.ways.iter().map(|w| w.as_str().to_owned()).collect(),
            status: b.status.as_str().into(),
            priority: b.priority,
            weight: b.weight,
            daily_amount_cap: b.daily_amount_cap.map(|m| m.0),
            daily_count_cap: b.daily_count_cap,
            version: b.version,
            updated_at: b.updated_at,
        }
    }
}

fn ways(raw: Vec<Text>) -> ApiResult<Vec<PayWay>> {
    raw.iter()
        .map(|w| PayWay::parse(w).ok_or_else(|| ApiError::invalid(format!("ways: unknown way {:?}", &**w))))
        .collect()
}

#[OpenApi(prefix_path = "/admin/v1", tag = "Tag::Channels")]
impl AdminChannelsApi {
    #[oai(path = "/channel-accounts", method = "get", operation_id = "channel_accounts_list")]
    async fn list_accounts(&self, state: Data<&Arc<AppState>>, auth: AdminAuth) -> ApiResult<Json<Vec<AccountDto>>> {
        Ok(Json(state.payment_admin.list_accounts(&auth.0).await?.into_iter().map(Into::into).collect()))
    }

    /// Register the platform's identity at a channel (platform admins).
    #[oai(path = "/channel-accounts", method = "post", operation_id = "channel_accounts_create")]
    async fn create_account(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateAccount>,
    ) -> ApiResult<CreatedAccount> {
        let b = body.0;
        let channel = ChannelCode::parse(&b.channel).ok_or_else(|| ApiError::invalid("channel: unknown"))?;
        let new = NewAccount {
            channel,
            name: b.name.0,
            config: b.config.0,
            secrets: b.secrets.0,
            daily_amount_cap: b.daily_amount_cap,
            daily_count_cap: b.daily_count_cap,
        };
        Ok(CreatedAccount::Created(Json(state.payment_admin.create_account(&auth.0, new).await?.into())))
    }

    #[oai(path = "/channel-bindings", method = "get", operation_id = "channel_bindings_list")]
    async fn list_bindings(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] merchant_id: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<BindingPage>> {
        let merchant = merchant_id
            .0
            .map(|m| MerchantId::parse(&m).ok_or_else(|| ApiError::invalid("merchant_id: not a valid id")))
            .transpose()?;
        let p = state
            .payment_admin
            .list_bindings(&auth.0, merchant.as_ref(), super::common::page(page.0, page_size.0))
            .await?;
        Ok(Json(BindingPage::from_page(p, BindingDto::from)))
    }

    /// Open a merchant at a channel account (the sub-merchant id the channel approved).
    #[oai(path = "/channel-bindings", method = "post", operation_id = "channel_bindings_create")]
    async fn create_binding(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateBinding>,
    ) -> ApiResult<CreatedBinding> {
        let b = body.0;
        let new = NewBinding {
            merchant_id: MerchantId::parse(&b.merchant_id)
                .ok_or_else(|| ApiError::not_found("MERCHANT_NOT_FOUND", "merchant"))?,
            channel_account_id: b.channel_account_id.0,
            sub_merchant_id: b.sub_merchant_id.0,
            config: b.config.map(|c| c.0).unwrap_or_else(|| serde_json::json!({})),
            ways: ways(b.ways)?,
            priority: b.priority,
            weight: b.weight.unwrap_or(100),
            daily_amount_cap: b.daily_amount_cap,
            daily_count_cap: b.daily_count_cap,
        };
        Ok(CreatedBinding::Created(Json(state.payment_admin.create_binding(&auth.0, new).await?.into())))
    }

    /// Today's quota use of a binding and its account, and the account's circuit breaker.
    #[oai(path = "/channel-bindings/:id/usage", method = "get", operation_id = "channel_bindings_usage")]
    async fn usage(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<UsageDto>> {
        let u = state.payment_admin.binding_usage(&auth.0, &id.0).await?;
        Ok(Json(UsageDto {
            binding: u.binding.into(),
            binding_amount_used: u.binding_amount_used,
            binding_count_used: u.binding_count_used,
            account_amount_used: u.account_amount_used,
            account_count_used: u.account_count_used,
            account_daily_amount_cap: u.account_daily_amount_cap,
            account_daily_count_cap: u.account_daily_count_cap,
            breaker_open: u.breaker_open,
        }))
    }

    /// Shift traffic (priority, weight), set caps, suspend or restrict a binding.
    #[oai(path = "/channel-bindings/:id", method = "patch", operation_id = "channel_bindings_update")]
    async fn update_binding(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
        body: Json<UpdateBinding>,
    ) -> ApiResult<Json<BindingDto>> {
        let b = body.0;
        let status = opt(b.status)
            .map(|s| {
                BindingStatus::parse(&s).ok_or_else(|| ApiError::invalid("status: approved, suspended or restricted"))
            })
            .transpose()?;
        let patch = BindingPatch {
            status,
            ways: b.ways.map(ways).transpose()?,
            priority: b.priority,
            weight: b.weight,
            daily_amount_cap: b.daily_amount_cap.map(Some),
            daily_count_cap: b.daily_count_cap.map(Some),
        };
        Ok(Json(state.payment_admin.update_binding(&auth.0, &id.0, b.version, patch).await?.into()))
    }
}

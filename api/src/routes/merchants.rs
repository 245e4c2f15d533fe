//! `/admin/v1/merchants`: merchants (with group parent/child numbers) in the caller's subtree.

use super::common::{Order, SortBy, Status, Tag, page_of, parse_id, sort};
use super::legal_entities::{NewLegalEntityDto, entity_input};
use super::text::Text;
use crate::error::{ApiError, ApiResult, tenancy_error};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::ids::{AgentId, LegalEntityId, MerchantId};
use juhe_domain::tenancy::service::{ContactInput, TenancyError};
use juhe_domain::tenancy::service_merchants::{LegalEntityInput, MerchantPatch, NewMerchant};
use juhe_domain::tenancy::{BusinessScene, Merchant, MerchantFilter, NodeStatus};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct MerchantsApi;

/// Where the merchant sells: offline-only merchants may not use online pay ways.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum SceneDto {
    Offline,
    Online,
    Both,
}

impl From<SceneDto> for BusinessScene {
    fn from(s: SceneDto) -> Self {
        match s {
            SceneDto::Offline => Self::Offline,
            SceneDto::Online => Self::Online,
            SceneDto::Both => Self::Both,
        }
    }
}

impl From<BusinessScene> for SceneDto {
    fn from(s: BusinessScene) -> Self {
        match s {
            BusinessScene::Offline => Self::Offline,
            BusinessScene::Online => Self::Online,
            BusinessScene::Both => Self::Both,
        }
    }
}

#[derive(Object)]
pub struct MerchantDto {
    pub id: String,
    /// Platform-issued merchant number, e.g. `M1000000123`.
    pub merchant_no: String,
    pub agent_id: Option<String>,
    /// Group (parent) merchant of a child number.
    pub parent_id: Option<String>,
    pub legal_entity_id: String,
    pub name: String,
    pub short_name: String,
    pub business_scene: SceneDto,
    pub settle_to_parent: bool,
    pub contact_name: Option<String>,
    /// Masked.
    pub contact_phone: Option<String>,
    pub status: Status,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<Merchant> for MerchantDto {
    fn from(m: Merchant) -> Self {
        Self {
            id: m.id.to_string(),
            merchant_no: m.merchant_no,
            agent_id: m.agent_id.map(|a| a.to_string()),
            parent_id: m.parent_id.map(|p| p.to_string()),
            legal_entity_id: m.legal_entity_id.to_string(),
            name: m.name,
            short_name: m.short_name,
            business_scene: m.business_scene.into(),
            settle_to_parent: m.settle_to_parent,
            contact_name: m.contact_name,
            contact_phone: m.contact_phone_masked,
            status: m.status.into(),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Object)]
pub struct CreateMerchant {
    /// Agent the merchant belongs to; default: you (agent users) or the platform.
    #[oai(validator(max_length = 40))]
    pub agent_id: Option<Text>,
    /// Makes this a child number of a group merchant (agent and legal entity are inherited).
    #[oai(validator(max_length = 40))]
    pub parent_id: Option<Text>,
    /// An existing legal entity …
    #[oai(validator(max_length = 40))]
    pub legal_entity_id: Option<Text>,
    /// … or its details (the same licence/ID number always resolves to the same entity).
    pub legal_entity: Option<NewLegalEntityDto>,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
    #[oai(validator(min_length = 1, max_length = 32))]
    pub short_name: Option<Text>,
    pub business_scene: SceneDto,
    /// Child numbers only.
    #[oai(default)]
    pub settle_to_parent: bool,
    #[oai(validator(max_length = 32))]
    pub contact_name: Option<Text>,
    #[oai(validator(pattern = r"^1[0-9]{10}$"))]
    pub contact_phone: Option<Text>,
}

#[derive(Object)]
pub struct UpdateMerchant {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Option<Text>,
    #[oai(validator(min_length = 1, max_length = 32))]
    pub short_name: Option<Text>,
    pub business_scene: Option<SceneDto>,
    pub settle_to_parent: Option<bool>,
    #[oai(validator(max_length = 32))]
    pub contact_name: Option<Text>,
    #[oai(validator(pattern = r"^1[0-9]{10}$"))]
    pub contact_phone: Option<Text>,
    #[oai(validator(minimum(value = "1")))]
    pub version: Option<i64>,
}

#[derive(Object)]
pub struct MoveMerchant {
    /// Destination agent in your subtree; omit to move directly below the platform.
    #[oai(validator(max_length = 40))]
    pub agent_id: Option<Text>,
    #[oai(validator(minimum(value = "1")))]
    pub version: Option<i64>,
}

page_of!(MerchantPage, MerchantDto);

#[derive(ApiResponse)]
pub enum CreatedMerchant {
    #[oai(status = 201)]
    Created(Json<MerchantDto>),
}

fn err(e: TenancyError) -> ApiError {
    tenancy_error(e, "MERCHANT_NOT_FOUND", "merchant")
}

fn opt_id<T>(raw: Option<String>, parse: fn(&str) -> Option<T>, field: &str) -> ApiResult<Option<T>> {
    raw.map(|r| parse(&r).ok_or_else(|| ApiError::invalid(format!("{field}: not a valid id")))).transpose()
}

#[OpenApi(prefix_path = "/admin/v1/merchants", tag = "Tag::Merchants")]
impl MerchantsApi {
    /// Merchants in your subtree.
    #[oai(path = "/", method = "get", operation_id = "merchants_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        /// Name or merchant number contains (case-insensitive).
        #[oai(validator(max_length = 64))]
        q: Query<Option<String>>,
        status: Query<Option<Status>>,
        #[oai(validator(max_length = 40))] agent_id: Query<Option<String>>,
        #[oai(validator(max_length = 40))] parent_id: Query<Option<String>>,
        #[oai(validator(max_length = 40))] legal_entity_id: Query<Option<String>>,
        sort_by: Query<Option<SortBy>>,
        order: Query<Option<Order>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<MerchantPage>> {
        let filter = MerchantFilter {
            q: q.0,
            status: status.0.map(Into::into),
            agent_id: opt_id(agent_id.0, AgentId::parse, "agent_id")?,
            parent_id: opt_id(parent_id.0, MerchantId::parse, "parent_id")?,
            legal_entity_id: opt_id(legal_entity_id.0, LegalEntityId::parse, "legal_entity_id")?,
            sort: sort(sort_by.0, order.0),
        };
        let p = state
            .tenancy
            .list_merchants(&auth.0, &filter, super::common::page(page.0, page_size.0))
            .await
            .map_err(err)?;
        Ok(Json(MerchantPage::from_page(p, MerchantDto::from)))
    }

    /// Onboard a merchant number (or a child number of a group merchant).
    #[oai(path = "/", method = "post", operation_id = "merchants_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateMerchant>,
    ) -> ApiResult<CreatedMerchant> {
        let b = body.0;
        let legal_entity = match (b.legal_entity_id, b.legal_entity) {
            (Some(_), Some(_)) => return Err(ApiError::invalid("give legal_entity_id or legal_entity, not both")),
            (Some(id), None) => Some(LegalEntityInput::Existing(
                LegalEntityId::parse(&id).ok_or_else(|| ApiError::invalid("legal_entity_id: not a valid id"))?,
            )),
            (None, Some(details)) => Some(LegalEntityInput::Details(entity_input(details))),
            (None, None) => None,
        };
        let new = NewMerchant {
            agent_id: opt_id(super::text::opt(b.agent_id), AgentId::parse, "agent_id")?,
            parent_id: opt_id(super::text::opt(b.parent_id), MerchantId::parse, "parent_id")?,
            legal_entity,
            name: b.name.0,
            short_name: super::text::opt(b.short_name),
            business_scene: b.business_scene.into(),
            settle_to_parent: b.settle_to_parent,
            contact: ContactInput {
                contact_name: super::text::opt(b.contact_name),
                contact_phone: super::text::opt(b.contact_phone),
            },
        };
        let m = state.tenancy.create_merchant(&auth.0, new).await.map_err(err)?;
        Ok(CreatedMerchant::Created(Json(m.into())))
    }

    #[oai(path = "/:id", method = "get", operation_id = "merchants_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> ApiResult<Json<MerchantDto>> {
        let id = parse_id!(MerchantId, id.0, "MERCHANT_NOT_FOUND", "merchant");
        Ok(Json(state.tenancy.get_merchant(&auth.0, &id).await.map_err(err)?.into()))
    }

    #[oai(path = "/:id", method = "patch", operation_id = "merchants_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<UpdateMerchant>,
    ) -> ApiResult<Json<MerchantDto>> {
        let id = parse_id!(MerchantId, id.0, "MERCHANT_NOT_FOUND", "merchant");
        let b = body.0;
        let contact = (b.contact_name.is_some() || b.contact_phone.is_some()).then_some(ContactInput {
            contact_name: super::text::opt(b.contact_name),
            contact_phone: super::text::opt(b.contact_phone),
        });
        let patch = MerchantPatch {
            name: super::text::opt(b.name),
            short_name: super::text::opt(b.short_name),
            business_scene: b.business_scene.map(Into::into),
            settle_to_parent: b.settle_to_parent,
            contact,
        };
        Ok(Json(state.tenancy.update_merchant(&auth.0, &id, b.version, patch).await.map_err(err)?.into()))
    }

    /// Disable a merchant: its Open API calls are refused.
    #[oai(path = "/:id/disable", method = "post", operation_id = "merchants_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1")))] version: Query<Option<i64>>,
    ) -> ApiResult<Json<MerchantDto>> {
        self.set_status(state.0, auth, id, version.0, NodeStatus::Disabled).await
    }

    #[oai(path = "/:id/enable", method = "post", operation_id = "merchants_enable")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1")))] version: Query<Option<i64>>,
    ) -> ApiResult<Json<MerchantDto>> {
        self.set_status(state.0, auth, id, version.0, NodeStatus::Active).await
    }

    /// Move a merchant (with its child numbers, stores, users and apps) to another agent.
    #[oai(path = "/:id/move", method = "post", operation_id = "merchants_move")]
    async fn move_to(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<MoveMerchant>,
    ) -> ApiResult<Json<MerchantDto>> {
        let id = parse_id!(MerchantId, id.0, "MERCHANT_NOT_FOUND", "merchant");
        let to = opt_id(super::text::opt(body.0.agent_id), AgentId::parse, "agent_id")?;
        Ok(Json(state.tenancy.move_merchant(&auth.0, &id, body.0.version, to).await.map_err(err)?.into()))
    }
}

impl MerchantsApi {
    async fn set_status(
        &self,
        state: &Arc<AppState>,
        auth: AdminAuth,
        id: Path<String>,
        version: Option<i64>,
        status: NodeStatus,
    ) -> ApiResult<Json<MerchantDto>> {
        let id = parse_id!(MerchantId, id.0, "MERCHANT_NOT_FOUND", "merchant");
        Ok(Json(state.tenancy.set_merchant_status(&auth.0, &id, version, status).await.map_err(err)?.into()))
    }
}

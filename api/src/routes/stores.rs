//! `/admin/v1/stores`: stores of the merchants in the caller's subtree.

use super::common::{Order, SortBy, Status, Tag, page_of, parse_id, sort};
use super::text::Text;
use crate::error::{ApiError, ApiResult, tenancy_error};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::ids::{MerchantId, StoreId};
use juhe_domain::tenancy::service::TenancyError;
use juhe_domain::tenancy::service_stores::{NewStore, StorePatch};
use juhe_domain::tenancy::{NodeStatus, Store, StoreFilter};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct StoresApi;

#[derive(Object)]
pub struct StoreDto {
    pub id: String,
    pub merchant_id: String,
    pub name: String,
    pub address: String,
    /// Four-digit MCC.
    pub business_category: String,
    pub status: Status,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<Store> for StoreDto {
    fn from(s: Store) -> Self {
        Self {
            id: s.id.to_string(),
            merchant_id: s.merchant_id.to_string(),
            name: s.name,
            address: s.address,
            business_category: s.business_category,
            status: s.status.into(),
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Object)]
pub struct CreateStore {
    /// Default: your own merchant (merchant users).
    #[oai(validator(max_length = 40))]
    pub merchant_id: Option<Text>,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
    #[oai(validator(min_length = 1, max_length = 256))]
    pub address: Text,
    /// Four-digit merchant category code, e.g. `5812`.
    #[oai(validator(pattern = r"^[0-9]{4}$"))]
    pub business_category: Text,
}

#[derive(Object)]
pub struct UpdateStore {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Option<Text>,
    #[oai(validator(min_length = 1, max_length = 256))]
    pub address: Option<Text>,
    #[oai(validator(pattern = r"^[0-9]{4}$"))]
    pub business_category: Option<Text>,
    #[oai(validator(minimum(value = "1")))]
    pub version: Option<i64>,
}

page_of!(StorePage, StoreDto);

#[derive(ApiResponse)]
pub enum CreatedStore {
    #[oai(status = 201)]
    Created(Json<StoreDto>),
}

fn err(e: TenancyError) -> ApiError {
    tenancy_error(e, "STORE_NOT_FOUND", "store")
}

#[OpenApi(prefix_path = "/admin/v1/stores", tag = "Tag::Stores")]
impl StoresApi {
    #[oai(path = "/", method = "get", operation_id = "stores_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 64))] q: Query<Option<String>>,
        status: Query<Option<Status>>,
        #[oai(validator(max_length = 40))] merchant_id: Query<Option<String>>,
        sort_by: Query<Option<SortBy>>,
        order: Query<Option<Order>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<StorePage>> {
        let merchant_id = merchant_id
            .0
            .map(|m| MerchantId::parse(&m).ok_or_else(|| ApiError::invalid("merchant_id: not a valid id")))
            .transpose()?;
        let filter =
            StoreFilter { q: q.0, status: status.0.map(Into::into), merchant_id, sort: sort(sort_by.0, order.0) };
        let p =
            state.tenancy.list_stores(&auth.0, &filter, super::common::page(page.0, page_size.0)).await.map_err(err)?;
        Ok(Json(StorePage::from_page(p, StoreDto::from)))
    }

    #[oai(path = "/", method = "post", operation_id = "stores_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateStore>,
    ) -> ApiResult<CreatedStore> {
        let b = body.0;
        let merchant_id = b
            .merchant_id
            .map(|m| MerchantId::parse(&m).ok_or_else(|| ApiError::invalid("merchant_id: not a valid id")))
            .transpose()?;
        let new =
            NewStore { merchant_id, name: b.name.0, address: b.address.0, business_category: b.business_category.0 };
        Ok(CreatedStore::Created(Json(state.tenancy.create_store(&auth.0, new).await.map_err(err)?.into())))
    }

    #[oai(path = "/:id", method = "get", operation_id = "stores_get")]
    async fn get(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, id: Path<String>) -> ApiResult<Json<StoreDto>> {
        let id = parse_id!(StoreId, id.0, "STORE_NOT_FOUND", "store");
        Ok(Json(state.tenancy.get_store(&auth.0, &id).await.map_err(err)?.into()))
    }

    #[oai(path = "/:id", method = "patch", operation_id = "stores_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<UpdateStore>,
    ) -> ApiResult<Json<StoreDto>> {
        let id = parse_id!(StoreId, id.0, "STORE_NOT_FOUND", "store");
        let b = body.0;
        let patch = StorePatch {
            name: super::text::opt(b.name),
            address: super::text::opt(b.address),
            business_category: super::text::opt(b.business_category),
        };
        Ok(Json(state.tenancy.update_store(&auth.0, &id, b.version, patch).await.map_err(err)?.into()))
    }

    #[oai(path = "/:id/disable", method = "post", operation_id = "stores_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1")))] version: Query<Option<i64>>,
    ) -> ApiResult<Json<StoreDto>> {
        self.set_status(state.0, auth, id, version.0, NodeStatus::Disabled).await
    }

    #[oai(path = "/:id/enable", method = "post", operation_id = "stores_enable")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1")))] version: Query<Option<i64>>,
    ) -> ApiResult<Json<StoreDto>> {
        self.set_status(state.0, auth, id, version.0, NodeStatus::Active).await
    }
}

impl StoresApi {
    async fn set_status(
        &self,
        state: &Arc<AppState>,
        auth: AdminAuth,
        id: Path<String>,
        version: Option<i64>,
        status: NodeStatus,
    ) -> ApiResult<Json<StoreDto>> {
        let id = parse_id!(StoreId, id.0, "STORE_NOT_FOUND", "store");
        Ok(Json(state.tenancy.set_store_status(&auth.0, &id, version, status).await.map_err(err)?.into()))
    }
}

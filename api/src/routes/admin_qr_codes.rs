//! `/admin/v1/qr-codes`: printable store QR codes of one-code pay (一码付 / 台牌), in the
//! caller's subtree: create, list, disable / enable (audited), PNG and SVG downloads.

use super::common::{Status, Tag, page_of};
use super::text::Text;
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::cashier::service_codes::NewQrCode;
use juhe_domain::cashier::{QrCode, QrCodeFilter, QrCodeStatus};
use juhe_domain::ids::StoreId;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AdminQrCodesApi;

#[derive(Object)]
pub struct QrCodeDto {
    /// Random, URL-safe; printed as `{public_url}/cashier/{code}`.
    pub code: String,
    /// What the QR code encodes.
    pub url: String,
    pub merchant_id: String,
    pub store_id: String,
    pub name: String,
    pub status: Status,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

fn status(s: QrCodeStatus) -> Status {
    match s {
        QrCodeStatus::Active => Status::Active,
        QrCodeStatus::Disabled => Status::Disabled,
    }
}

fn dto(state: &AppState, q: QrCode) -> QrCodeDto {
    QrCodeDto {
        url: state.qr_codes.url(&q),
        code: q.code,
        merchant_id: q.merchant_id.to_string(),
        store_id: q.store_id.to_string(),
        name: q.name,
        status: status(q.status),
        created_at: q.created_at,
        updated_at: q.updated_at,
    }
}

#[derive(Object)]
pub struct CreateQrCode {
    /// A store in your scope.
    #[oai(validator(min_length = 1, max_length = 40))]
    pub store_id: Text,
    /// A label, e.g. `收银台 1` or `2 号桌`.
    #[oai(validator(min_length = 1, max_length = 32))]
    pub name: Text,
}

page_of!(QrCodePage, QrCodeDto);

#[derive(ApiResponse)]
pub enum CreatedQrCode {
    #[oai(status = 201)]
    Created(Json<QrCodeDto>),
}

#[derive(ApiResponse)]
pub enum PngImage {
    /// The QR code as a PNG (10 px per module, with the quiet zone).
    #[oai(status = 200, content_type = "image/png")]
    Ok(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

#[derive(ApiResponse)]
pub enum SvgImage {
    /// The QR code as an SVG with the store's name and the code's label under it.
    #[oai(status = 200, content_type = "image/svg+xml")]
    Ok(PlainText<String>, #[oai(header = "Content-Disposition")] String),
}

fn store_id(raw: &str) -> ApiResult<StoreId> {
    StoreId::parse(raw).ok_or_else(|| ApiError::invalid("store_id: not a valid id"))
}

#[OpenApi(prefix_path = "/admin/v1/qr-codes", tag = "Tag::QrCodes")]
impl AdminQrCodesApi {
    /// Issues a new printable code for a store.
    #[oai(path = "/", method = "post", operation_id = "qr_codes_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateQrCode>,
    ) -> ApiResult<CreatedQrCode> {
        let new = NewQrCode { store_id: store_id(&body.0.store_id)?, name: body.0.name.0 };
        let qr = state.qr_codes.create(&auth.0, new).await?;
        Ok(CreatedQrCode::Created(Json(dto(&state, qr))))
    }

    #[oai(path = "/", method = "get", operation_id = "qr_codes_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] store_id: Query<Option<String>>,
        status: Query<Option<Status>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<QrCodePage>> {
        let filter = QrCodeFilter {
            store_id: store_id.0.as_deref().map(self::store_id).transpose()?,
            status: status.0.map(|s| match s {
                Status::Active => QrCodeStatus::Active,
                Status::Disabled => QrCodeStatus::Disabled,
            }),
        };
        let p = state.qr_codes.list(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(QrCodePage::from_page(p, |q| dto(&state, q))))
    }

    #[oai(path = "/:code", method = "get", operation_id = "qr_codes_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        code: Path<String>,
    ) -> ApiResult<Json<QrCodeDto>> {
        Ok(Json(dto(&state, state.qr_codes.get(&auth.0, &code.0).await?)))
    }

    /// The code stops taking payments (its page says so); audited.
    #[oai(path = "/:code/disable", method = "post", operation_id = "qr_codes_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        code: Path<String>,
    ) -> ApiResult<Json<QrCodeDto>> {
        Ok(Json(dto(&state, state.qr_codes.set_status(&auth.0, &code.0, QrCodeStatus::Disabled).await?)))
    }

    #[oai(path = "/:code/enable", method = "post", operation_id = "qr_codes_enable")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        code: Path<String>,
    ) -> ApiResult<Json<QrCodeDto>> {
        Ok(Json(dto(&state, state.qr_codes.set_status(&auth.0, &code.0, QrCodeStatus::Active).await?)))
    }

    /// Printable PNG of the code.
    #[oai(path = "/:code/png", method = "get", operation_id = "qr_codes_png")]
    async fn png(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, code: Path<String>) -> ApiResult<PngImage> {
        let bytes = state.qr_codes.png(&auth.0, &code.0).await?;
        Ok(PngImage::Ok(Binary(bytes), format!("inline; filename=\"qr-{}.png\"", code.0)))
    }

    /// Printable SVG of the code, with the store's name under it.
    #[oai(path = "/:code/svg", method = "get", operation_id = "qr_codes_svg")]
    async fn svg(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, code: Path<String>) -> ApiResult<SvgImage> {
        let svg = state.qr_codes.svg(&auth.0, &code.0).await?;
        Ok(SvgImage::Ok(PlainText(svg), format!("inline; filename=\"qr-{}.svg\"", code.0)))
    }
}

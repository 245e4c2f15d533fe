//! `/admin/v1/exceptions`: payment exceptions (异常单) in the caller's scope, and their
//! resolution by platform operators (refund the payer, accept, dismiss), audited.

use super::common::{Tag, page_of, parse_opt};
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::payments::exception::{ExceptionKind, ExceptionStatus, PaymentException, Resolution};
use juhe_domain::payments::ports::ExceptionFilter;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::types::Any;
use poem_openapi::{Object, OpenApi, payload::Json};
use serde_json::Value;
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AdminExceptionsApi;

/// A payment exception.
#[derive(Object)]
#[oai(rename = "PaymentException")]
pub struct ExceptionDto {
    pub exception_id: String,
    /// `paid_after_close`, `unknown_at_channel`, `refund_not_received`.
    pub kind: String,
    pub order_no: String,
    pub refund_no: Option<String>,
    /// `open` or `resolved`.
    pub status: String,
    /// `refund`, `hold` (waiting for an operator), `accept`, `closed`, `dismiss`.
    pub resolution: String,
    /// What was observed (the channel's report, the states involved).
    pub evidence: Any<Value>,
    pub note: Option<String>,
    pub resolved_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
}

impl From<PaymentException> for ExceptionDto {
    fn from(e: PaymentException) -> Self {
        Self {
            exception_id: e.id.to_string(),
            kind: e.kind.as_str().into(),
            order_no: e.order_no,
            refund_no: e.refund_no,
            status: e.status.as_str().into(),
            resolution: e.resolution.as_str().into(),
            evidence: Any(e.evidence),
            note: e.note,
            resolved_by: e.resolved_by,
            created_at: e.created_at,
            resolved_at: e.resolved_at,
        }
    }
}

#[derive(Object)]
pub struct ResolveException {
    /// `refund` (the payer gets the money back through a refund), `accept` (the merchant keeps
    /// it) or `dismiss`.
    #[oai(validator(max_length = 20))]
    pub resolution: String,
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
}

page_of!(ExceptionPage, ExceptionDto);

#[OpenApi(prefix_path = "/admin/v1", tag = "Tag::Exceptions")]
impl AdminExceptionsApi {
    /// Payment exceptions in your subtree, newest first.
    #[oai(path = "/exceptions", method = "get", operation_id = "admin_exceptions_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] kind: Query<Option<String>>,
        /// open or resolved.
        #[oai(validator(max_length = 20))]
        status: Query<Option<String>>,
        #[oai(validator(max_length = 40))] order_no: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<ExceptionPage>> {
        let filter = ExceptionFilter {
            kind: parse_opt(kind.0, ExceptionKind::parse, "kind: unknown")?,
            status: parse_opt(status.0, ExceptionStatus::parse, "status: unknown")?,
            order_no: order_no.0,
        };
        let p = state.payments.list_exceptions(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(ExceptionPage::from_page(p, ExceptionDto::from)))
    }

    /// One payment exception.
    #[oai(path = "/exceptions/:id", method = "get", operation_id = "admin_exceptions_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<ExceptionDto>> {
        Ok(Json(state.payments.get_exception(&auth.0, &id.0).await?.into()))
    }

    /// Resolve an open exception (platform operators); audited.
    #[oai(path = "/exceptions/:id/resolve", method = "post", operation_id = "admin_exceptions_resolve")]
    async fn resolve(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
        body: Json<ResolveException>,
    ) -> ApiResult<Json<ExceptionDto>> {
        let resolution = Resolution::parse(&body.0.resolution)
            .ok_or_else(|| ApiError::invalid("resolution: refund, accept or dismiss"))?;
        let resolved = state.payments.resolve_exception(&auth.0, &id.0, resolution, body.0.note).await?;
        Ok(Json(resolved.into()))
    }
}

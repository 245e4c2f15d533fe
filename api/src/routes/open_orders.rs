//! `/open/v1/orders` and `/open/v1/refunds`: the unified order and refunds (OPEN_API.md).

use super::common::Tag;
use super::open_ping::OpenSignature;
use super::schemas::{OrderObject, RefundObject, WayDto};
use super::text::{Text, opt};
use crate::error::ApiResult;
use crate::state::AppState;
use juhe_domain::payments::input::NewOrder;
use juhe_domain::payments::service_refund::NewRefund;
use juhe_domain::secret::Secret;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use std::sync::Arc;

pub struct OpenOrdersApi;

#[derive(Object)]
pub struct CreateOrderRequest {
    #[oai(validator(min_length = 1, max_length = 32))]
    pub merchant_no: Text,
    #[oai(validator(max_length = 40))]
    pub store_id: Option<Text>,
    /// Unique per merchant: 6–32 characters of `[A-Za-z0-9_-]` (the characters are checked with
    /// the order; a `pattern` validator here would compile its regex on every request).
    #[oai(validator(min_length = 6, max_length = 32))]
    pub out_trade_no: Text,
    /// Fen.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000000000")))]
    pub amount: i64,
    /// `CNY` (the default).
    #[oai(validator(max_length = 3))]
    pub currency: Option<Text>,
    pub way: WayDto,
    #[oai(validator(min_length = 1, max_length = 128))]
    pub subject: Text,
    /// The payer's payment code, for `BARCODE`.
    #[oai(validator(max_length = 32))]
    pub auth_code: Option<Text>,
    /// WeChat payer id, for `WX_JSAPI` / `WX_MINI`.
    #[oai(validator(max_length = 128))]
    pub openid: Option<Text>,
    /// Alipay payer id, for `ALI_JSAPI`.
    #[oai(validator(max_length = 128))]
    pub buyer_id: Option<Text>,
    #[oai(validator(max_length = 512))]
    pub notify_url: Option<Text>,
    #[oai(validator(max_length = 512))]
    pub return_url: Option<Text>,
    /// Default 900.
    #[oai(validator(minimum(value = "60"), maximum(value = "86400")))]
    pub expire_seconds: Option<i64>,
    #[oai(validator(max_length = 45))]
    pub client_ip: Option<Text>,
    /// Returned untouched.
    #[oai(validator(max_length = 256))]
    pub attach: Option<Text>,
}

#[derive(Object)]
pub struct CreateRefundRequest {
    #[oai(validator(max_length = 40))]
    pub order_no: Option<Text>,
    #[oai(validator(max_length = 32))]
    pub merchant_no: Option<Text>,
    #[oai(validator(max_length = 32))]
    pub out_trade_no: Option<Text>,
    /// Unique per merchant: 6–64 characters of `[A-Za-z0-9_-]` (checked with the refund).
    #[oai(validator(min_length = 6, max_length = 64))]
    pub out_refund_no: Text,
    /// Fen; several partial refunds may add up to the paid amount.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000000000")))]
    pub amount: i64,
    #[oai(validator(max_length = 80))]
    pub reason: Option<Text>,
    #[oai(validator(max_length = 512))]
    pub notify_url: Option<Text>,
}

/// The order object (OPEN_API.md "Orders").
#[derive(ApiResponse)]
pub enum OrderReply {
    /// A new order.
    #[oai(status = 201)]
    Created(Json<OrderObject>),
    /// The same request made before: the same order.
    #[oai(status = 200)]
    Ok(Json<OrderObject>),
}

/// The refund object (OPEN_API.md "Refunds").
#[derive(ApiResponse)]
pub enum RefundReply {
    /// A new refund.
    #[oai(status = 201)]
    Created(Json<RefundObject>),
    /// The same request made before: the same refund.
    #[oai(status = 200)]
    Ok(Json<RefundObject>),
}

#[OpenApi(prefix_path = "/open/v1", tag = "Tag::Open")]
impl OpenOrdersApi {
    /// Unified order (统一下单) for every way; idempotent per (merchant, out_trade_no).
    #[oai(path = "/orders", method = "post", operation_id = "open_orders_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        body: Json<CreateOrderRequest>,
    ) -> ApiResult<OrderReply> {
        let b = body.0;
        let req = NewOrder {
            merchant_no: b.merchant_no.0,
            store_id: opt(b.store_id),
            out_trade_no: b.out_trade_no.0,
            amount: b.amount,
            currency: opt(b.currency).unwrap_or_else(|| "CNY".into()),
            way: b.way.into(),
            subject: b.subject.0,
            auth_code: opt(b.auth_code).map(Secret::new),
            openid: opt(b.openid),
            buyer_id: opt(b.buyer_id),
            notify_url: opt(b.notify_url),
            return_url: opt(b.return_url),
            expire_seconds: b.expire_seconds,
            client_ip: opt(b.client_ip),
            attach: opt(b.attach),
        };
        let created = state.payments.create_order(&auth.0, req).await?;
        let body = Json(OrderObject::from(&created.order));
        Ok(if created.new { OrderReply::Created(body) } else { OrderReply::Ok(body) })
    }

    /// An order by its order_no (refreshed from the channel while unpaid).
    #[oai(path = "/orders/:order_no", method = "get", operation_id = "open_orders_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        #[oai(validator(max_length = 40))] order_no: Path<String>,
    ) -> ApiResult<Json<OrderObject>> {
        let order = state.payments.query_order(&auth.0, &order_no.0).await?;
        Ok(Json(OrderObject::from(&order)))
    }

    /// An order by the merchant's own number.
    #[oai(path = "/orders", method = "get", operation_id = "open_orders_find")]
    async fn find(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        #[oai(validator(max_length = 32))] merchant_no: Query<String>,
        #[oai(validator(max_length = 32))] out_trade_no: Query<String>,
    ) -> ApiResult<Json<OrderObject>> {
        let order = state.payments.find_order(&auth.0, &merchant_no.0, &out_trade_no.0).await?;
        let order = state.payments.sync_with_channel(order).await?;
        Ok(Json(OrderObject::from(&order)))
    }

    /// Close an unpaid order (关单).
    #[oai(path = "/orders/:order_no/close", method = "post", operation_id = "open_orders_close")]
    async fn close(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        #[oai(validator(max_length = 40))] order_no: Path<String>,
    ) -> ApiResult<Json<OrderObject>> {
        let order = state.payments.close_order(&auth.0, &order_no.0).await?;
        Ok(Json(OrderObject::from(&order)))
    }

    /// Reverse an order (撤销): closes an unpaid one, refunds a paid barcode one.
    #[oai(path = "/orders/:order_no/cancel", method = "post", operation_id = "open_orders_cancel")]
    async fn cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        #[oai(validator(max_length = 40))] order_no: Path<String>,
    ) -> ApiResult<Json<OrderObject>> {
        let order = state.payments.cancel_order(&auth.0, &order_no.0).await?;
        Ok(Json(OrderObject::from(&order)))
    }

    /// Refund (part of) a paid order; idempotent per (merchant, out_refund_no).
    #[oai(path = "/refunds", method = "post", operation_id = "open_refunds_create")]
    async fn refund(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        body: Json<CreateRefundRequest>,
    ) -> ApiResult<RefundReply> {
        let b = body.0;
        let req = NewRefund {
            order_no: opt(b.order_no),
            merchant_no: opt(b.merchant_no),
            out_trade_no: opt(b.out_trade_no),
            out_refund_no: b.out_refund_no.0,
            amount: b.amount,
            reason: opt(b.reason),
            notify_url: opt(b.notify_url),
        };
        let created = state.payments.create_refund(&auth.0, req).await?;
        let body = Json(RefundObject::from(&created.refund));
        Ok(if created.new { RefundReply::Created(body) } else { RefundReply::Ok(body) })
    }

    /// A refund by its refund_no.
    #[oai(path = "/refunds/:refund_no", method = "get", operation_id = "open_refunds_get")]
    async fn get_refund(
        &self,
        state: Data<&Arc<AppState>>,
        auth: OpenSignature,
        #[oai(validator(max_length = 40))] refund_no: Path<String>,
    ) -> ApiResult<Json<RefundObject>> {
        let refund = state.payments.get_refund(&auth.0, &refund_no.0).await?;
        Ok(Json(RefundObject::from(&refund)))
    }
}

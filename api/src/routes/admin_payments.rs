//! `/admin/v1/orders`, `/admin/v1/notifications`: payments in the caller's scope.

use super::common::{Tag, page_of, parse_opt};
use super::schemas::{DeliveryAttemptObject, NotificationObject, OrderObject, RefundObject};
use crate::error::ApiResult;
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::channels::ChannelCode;
use juhe_domain::ids::MerchantId;
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::ports::OrderFilter;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AdminPaymentsApi;

page_of!(OrderPage, OrderObject);

#[derive(Object)]
pub struct OrderDetail {
    pub order: OrderObject,
    pub refunds: Vec<RefundObject>,
}

#[derive(Object)]
pub struct NotificationDetail {
    pub notification: NotificationObject,
    pub attempts: Vec<DeliveryAttemptObject>,
}

page_of!(NotificationPage, NotificationObject);

#[OpenApi(prefix_path = "/admin/v1", tag = "Tag::Payments")]
impl AdminPaymentsApi {
    /// Orders in your subtree, newest first.
    #[oai(path = "/orders", method = "get", operation_id = "admin_orders_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list_orders(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] merchant_id: Query<Option<String>>,
        /// created, paying, paid, partially_refunded, refunded, closed, cancelled, failed.
        #[oai(validator(max_length = 20))]
        status: Query<Option<String>>,
        #[oai(validator(max_length = 20))] channel: Query<Option<String>>,
        #[oai(validator(max_length = 32))] out_trade_no: Query<Option<String>>,
        since: Query<Option<OffsetDateTime>>,
        until: Query<Option<OffsetDateTime>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<OrderPage>> {
        let filter = OrderFilter {
            merchant_id: parse_opt(merchant_id.0, MerchantId::parse, "merchant_id: not a valid id")?,
            status: parse_opt(status.0, OrderStatus::parse, "status: unknown")?,
            channel: parse_opt(channel.0, ChannelCode::parse, "channel: unknown")?,
            out_trade_no: out_trade_no.0,
            since: since.0,
            until: until.0,
        };
        let p = state.payment_admin.list_orders(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(OrderPage::from_page(p, |o| OrderObject::from(&o))))
    }

    /// One order with its refunds.
    #[oai(path = "/orders/:order_no", method = "get", operation_id = "admin_orders_get")]
    async fn get_order(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] order_no: Path<String>,
    ) -> ApiResult<Json<OrderDetail>> {
        let (order, refunds) = state.payment_admin.get_order(&auth.0, &order_no.0).await?;
        Ok(Json(OrderDetail {
            order: OrderObject::from(&order),
            refunds: refunds.iter().map(RefundObject::from).collect(),
        }))
    }

    /// Merchant notifications, newest first (optionally for one order or refund).
    #[oai(path = "/notifications", method = "get", operation_id = "admin_notifications_list")]
    async fn list_notifications(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] resource_no: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<NotificationPage>> {
        let p = state
            .payment_admin
            .list_notifications(&auth.0, resource_no.0.as_deref(), super::common::page(page.0, page_size.0))
            .await?;
        Ok(Json(NotificationPage::from_page(p, NotificationObject::from)))
    }

    /// A notification with every delivery attempt.
    #[oai(path = "/notifications/:id", method = "get", operation_id = "admin_notifications_get")]
    async fn get_notification(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<NotificationDetail>> {
        let (n, attempts) = state.payment_admin.get_notification(&auth.0, &id.0).await?;
        Ok(Json(NotificationDetail {
            notification: n.into(),
            attempts: attempts.into_iter().map(Into::into).collect(),
        }))
    }

    /// Send a notification again now.
    #[oai(path = "/notifications/:id/resend", method = "post", operation_id = "admin_notifications_resend")]
    async fn resend(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] id: Path<String>,
    ) -> ApiResult<Json<NotificationObject>> {
        Ok(Json(state.payment_admin.resend(&auth.0, &id.0).await?.into()))
    }
}

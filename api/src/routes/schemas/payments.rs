//! The order object and the refund object (OPEN_API.md "Orders", "Refunds").

use super::enums::{ChannelDto, OrderStatusDto, RefundStatusDto, WayDto};
use super::wire::{FreeForm, Nullable};
use juhe_domain::payments::order::Order;
use juhe_domain::payments::refund::Refund;
use poem_openapi::Object;
use time::{OffsetDateTime, UtcOffset};

/// A time as the contract sends it: UTC, at most microseconds (the domain's `order_object`
/// does the same, so an object reads the same from the database as fresh from memory).
fn wire_time(t: OffsetDateTime) -> OffsetDateTime {
    juhe_domain::clock::micros(t.to_offset(UtcOffset::UTC))
}

/// The order object. Amounts are fen; every key is always sent (`null` when empty).
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(rename = "Order")]
pub struct OrderObject {
    pub order_no: String,
    pub merchant_no: String,
    pub store_id: Nullable<String>,
    /// The merchant's own number, unique per merchant.
    pub out_trade_no: String,
    /// Fen.
    pub amount: i64,
    pub currency: String,
    pub way: WayDto,
    /// `null` until routing chose one.
    pub channel: Nullable<ChannelDto>,
    pub status: OrderStatusDto,
    /// Fen, refunds that succeeded.
    pub refunded_amount: i64,
    /// Fen, the merchant's fee on this order.
    pub fee: i64,
    /// What the payer's side needs, by way: `{code_url}` (native/QR), `{jsapi: {appId,
    /// timeStamp, nonceStr, package, signType, paySign}}` (WeChat JSAPI), `{trade_no}` (Alipay
    /// JSAPI), `{h5_url}`, `{cashier_url}`.
    pub pay_data: Nullable<FreeForm>,
    pub channel_trade_no: Nullable<String>,
    pub subject: String,
    /// Returned untouched.
    pub attach: Nullable<String>,
    pub created_at: OffsetDateTime,
    pub paid_at: Nullable<OffsetDateTime>,
    pub expire_at: OffsetDateTime,
}

impl From<&Order> for OrderObject {
    fn from(o: &Order) -> Self {
        Self {
            order_no: o.order_no.clone(),
            merchant_no: o.merchant_no.clone(),
            store_id: o.store_id.as_ref().map(ToString::to_string).into(),
            out_trade_no: o.out_trade_no.clone(),
            amount: o.amount.0,
            currency: o.currency.clone(),
            way: o.way.into(),
            channel: o.channel.map(ChannelDto::from).into(),
            status: o.status.into(),
            refunded_amount: o.refunded_amount.0,
            fee: o.fee.0,
            pay_data: o.pay_data.clone().map(FreeForm).into(),
            channel_trade_no: o.channel_trade_no.clone().into(),
            subject: o.subject.clone(),
            attach: o.attach.clone().into(),
            created_at: wire_time(o.created_at),
            paid_at: o.paid_at.map(wire_time).into(),
            expire_at: wire_time(o.expire_at),
        }
    }
}

/// The refund object. Amounts are fen; every key is always sent (`null` when empty).
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(rename = "Refund")]
pub struct RefundObject {
    pub refund_no: String,
    pub order_no: String,
    /// The merchant's own number, unique per merchant.
    pub out_refund_no: String,
    /// Fen.
    pub amount: i64,
    /// Fen, the share of the order's fee returned with this refund.
    pub fee_refunded: i64,
    pub status: RefundStatusDto,
    pub reason: Nullable<String>,
    pub created_at: OffsetDateTime,
    pub succeeded_at: Nullable<OffsetDateTime>,
}

impl From<&Refund> for RefundObject {
    fn from(r: &Refund) -> Self {
        Self {
            refund_no: r.refund_no.clone(),
            order_no: r.order_no.clone(),
            out_refund_no: r.out_refund_no.clone(),
            amount: r.amount.0,
            fee_refunded: r.fee_refunded.0,
            status: r.status.into(),
            reason: r.reason.clone().into(),
            created_at: wire_time(r.created_at),
            succeeded_at: r.succeeded_at.map(wire_time).into(),
        }
    }
}

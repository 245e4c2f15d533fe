//! The order and refund objects of OPEN_API.md, and the outbox notifications built from them.

use super::exception::PaymentException;
use super::notification::{DeliveryStatus, EventType, Notification};
use super::order::Order;
use super::refund::Refund;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// RFC 3339 in UTC with at most microseconds, the same however the time was obtained.
pub fn timestamp(t: OffsetDateTime) -> Value {
    ts(t)
}

fn ts(t: OffsetDateTime) -> Value {
    crate::clock::micros(t.to_offset(time::UtcOffset::UTC)).format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}

/// The order object exactly as the Open API returns it.
pub fn order_object(o: &Order) -> Value {
    json!({
        "order_no": o.order_no,
        "merchant_no": o.merchant_no,
        "store_id": o.store_id,
        "out_trade_no": o.out_trade_no,
        "amount": o.amount.0,
        "currency": o.currency,
        "way": o.way.as_str(),
        "channel": o.channel.map(|c| c.as_str()),
        "status": o.status.as_str(),
        "refunded_amount": o.refunded_amount.0,
        "fee": o.fee.0,
        "pay_data": o.pay_data,
        "channel_trade_no": o.channel_trade_no,
        "subject": o.subject,
        "attach": o.attach,
        "created_at": ts(o.created_at),
        "paid_at": o.paid_at.map(ts),
        "expire_at": ts(o.expire_at),
    })
}

/// The refund object exactly as the Open API returns it.
pub fn refund_object(r: &Refund) -> Value {
    json!({
        "refund_no": r.refund_no,
        "order_no": r.order_no,
        "out_refund_no": r.out_refund_no,
        "amount": r.amount.0,
        "fee_refunded": r.fee_refunded.0,
        "status": r.status.as_str(),
        "reason": r.reason,
        "created_at": ts(r.created_at),
        "succeeded_at": r.succeeded_at.map(ts),
    })
}

fn event(
    event_type: EventType,
    data: Value,
    url: Option<&String>,
    base: (&Order, &str),
    now: OffsetDateTime,
) -> Option<Notification> {
    let (order, resource_no) = base;
    let url = url?.clone();
    let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    let payload = json!({"id": id, "type": event_type.as_str(), "created_at": ts(now), "data": data}).to_string();
    Some(Notification {
        id,
        platform_id: order.platform_id.clone(),
        merchant_id: order.merchant_id.clone(),
        path: order.path.clone(),
        app_id: order.app_id.clone(),
        event_type,
        resource_no: resource_no.to_owned(),
        url,
        payload,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        delivered_at: None,
        created_at: now,
    })
}

/// The notification for an order event, if the order has somewhere to send it.
pub fn order_event(event_type: EventType, order: &Order, now: OffsetDateTime) -> Vec<Notification> {
    event(event_type, order_object(order), order.notify_url.as_ref(), (order, &order.order_no), now)
        .into_iter()
        .collect()
}

/// `order.exception`: the order object plus `exception {exception_id, kind, resolution}`.
pub fn exception_event(order: &Order, exception: &PaymentException, now: OffsetDateTime) -> Vec<Notification> {
    let mut data = order_object(order);
    data["exception"] = json!({
        "exception_id": exception.id,
        "kind": exception.kind.as_str(),
        "resolution": exception.resolution.as_str(),
    });
    event(EventType::OrderException, data, order.notify_url.as_ref(), (order, &order.order_no), now)
        .into_iter()
        .collect()
}

/// The notification for a refund event (to the refund's URL, else the order's).
pub fn refund_event(event_type: EventType, refund: &Refund, order: &Order, now: OffsetDateTime) -> Vec<Notification> {
    let url = refund.notify_url.as_ref().or(order.notify_url.as_ref());
    event(event_type, refund_object(refund), url, (order, &refund.refund_no), now).into_iter().collect()
}

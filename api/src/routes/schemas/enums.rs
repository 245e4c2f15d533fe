//! The string enums of the contract's objects, each mirroring one domain enum (the exhaustive
//! `match`es stop the build when the domain gains a variant the spec does not list).

use juhe_domain::channels::ChannelCode;
use juhe_domain::payments::notification::{DeliveryStatus, EventType};
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::refund::RefundStatus;
use juhe_domain::payments::way::PayWay;
use poem_openapi::Enum;

/// A way to pay (支付方式).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WayDto {
    WxJsapi,
    WxNative,
    WxH5,
    WxApp,
    WxMini,
    AliQr,
    AliJsapi,
    AliWap,
    AliApp,
    UpQr,
    /// The wallet comes from `auth_code`.
    Barcode,
    /// A cashier page that detects the wallet.
    Cashier,
}

/// Pairs each typed variant with its domain variant, both ways.
macro_rules! mirror {
    ($dto:ident, $domain:ident { $($variant:ident),+ $(,)? }) => {
        impl From<$domain> for $dto {
            fn from(v: $domain) -> Self {
                match v {
                    $($domain::$variant => $dto::$variant,)+
                }
            }
        }

        impl From<$dto> for $domain {
            fn from(v: $dto) -> Self {
                match v {
                    $($dto::$variant => $domain::$variant,)+
                }
            }
        }
    };
}

mirror!(
    WayDto,
    PayWay { WxJsapi, WxNative, WxH5, WxApp, WxMini, AliQr, AliJsapi, AliWap, AliApp, UpQr, Barcode, Cashier }
);

/// The channel an order went to.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "Channel", rename_all = "snake_case")]
pub enum ChannelDto {
    Wechat,
    Alipay,
    Unionpay,
    /// In-process load-test channel (only when enabled).
    Instant,
}

mirror!(ChannelDto, ChannelCode { Wechat, Alipay, Unionpay, Instant });

/// `created` → `paying` → `paid` → `partially_refunded` / `refunded`; or `closed` /
/// `cancelled` / `failed` before payment.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "OrderStatus", rename_all = "snake_case")]
pub enum OrderStatusDto {
    Created,
    Paying,
    Paid,
    PartiallyRefunded,
    Refunded,
    Closed,
    Cancelled,
    Failed,
}

mirror!(OrderStatusDto, OrderStatus { Created, Paying, Paid, PartiallyRefunded, Refunded, Closed, Cancelled, Failed });

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "RefundStatus", rename_all = "snake_case")]
pub enum RefundStatusDto {
    Processing,
    Succeeded,
    Failed,
    Closed,
}

mirror!(RefundStatusDto, RefundStatus { Processing, Succeeded, Failed, Closed });

/// The `type` of a notification.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "EventType")]
pub enum EventTypeDto {
    #[oai(rename = "order.paid")]
    OrderPaid,
    #[oai(rename = "order.closed")]
    OrderClosed,
    #[oai(rename = "order.cancelled")]
    OrderCancelled,
    /// Money moved on an order already closed, failed or cancelled (`data.exception`).
    #[oai(rename = "order.exception")]
    OrderException,
    #[oai(rename = "refund.succeeded")]
    RefundSucceeded,
    #[oai(rename = "refund.failed")]
    RefundFailed,
}

mirror!(
    EventTypeDto,
    EventType { OrderPaid, OrderClosed, OrderCancelled, OrderException, RefundSucceeded, RefundFailed }
);

/// `pending` (more attempts to come), `delivered`, or `exhausted` (every attempt failed; it can
/// still be resent by hand).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "DeliveryStatus", rename_all = "snake_case")]
pub enum DeliveryStatusDto {
    Pending,
    Delivered,
    Exhausted,
}

mirror!(DeliveryStatusDto, DeliveryStatus { Pending, Delivered, Exhausted });

#[cfg(test)]
mod tests {
    use super::*;
    use poem_openapi::types::ToJSON;
    use serde_json::Value;

    /// The typed value sends exactly the domain's own string.
    fn same<D: ToJSON>(typed: D, domain: &str) {
        assert_eq!(typed.to_json(), Some(Value::String(domain.to_owned())));
    }

    #[test]
    fn every_variant_sends_the_domain_string() {
        for w in PayWay::ALL {
            same(WayDto::from(w), w.as_str());
            assert_eq!(PayWay::from(WayDto::from(w)), w);
        }
        for c in ChannelCode::ALL {
            same(ChannelDto::from(c), c.as_str());
        }
        use OrderStatus as O;
        for s in [O::Created, O::Paying, O::Paid, O::PartiallyRefunded, O::Refunded, O::Closed, O::Cancelled, O::Failed]
        {
            same(OrderStatusDto::from(s), s.as_str());
        }
        use RefundStatus as R;
        for s in [R::Processing, R::Succeeded, R::Failed, R::Closed] {
            same(RefundStatusDto::from(s), s.as_str());
        }
        use EventType as E;
        for e in [E::OrderPaid, E::OrderClosed, E::OrderCancelled, E::RefundSucceeded, E::RefundFailed] {
            same(EventTypeDto::from(e), e.as_str());
        }
        use DeliveryStatus as D;
        for s in [D::Pending, D::Delivered, D::Exhausted] {
            same(DeliveryStatusDto::from(s), s.as_str());
        }
    }
}

//! Orders (统一下单) and their state machine.

use super::way::PayWay;
use crate::channels::ChannelCode;
use crate::ids::{AppId, MerchantId, PlatformId, StoreId};
use crate::money::Money;
use crate::scope::NodePath;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created at the channel, waiting for the payer.
    Created,
    /// Barcode: the payer still has to confirm (the server keeps polling).
    Paying,
    Paid,
    PartiallyRefunded,
    Refunded,
    /// Closed or expired before payment.
    Closed,
    /// Reversed (撤销).
    Cancelled,
    Failed,
}

/// What can happen to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    /// Barcode pay answered "waiting for the payer".
    AwaitPayer,
    Pay,
    /// The channel reports a payment on an order already closed, failed or cancelled: the money
    /// is real, so the order is paid (and a payment exception decides what happens to it).
    LatePay,
    Close,
    Cancel,
    Fail,
    /// A refund succeeded; `full` when the refunded total reaches the amount.
    Refund {
        full: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("order in state {from:?} cannot take {event:?}")]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub event: OrderEvent,
}

impl OrderStatus {
    /// The one transition function. Impossible transitions are errors, never overwrites.
    pub fn apply(self, event: OrderEvent) -> Result<OrderStatus, InvalidTransition> {
        use OrderEvent as E;
        use OrderStatus as S;
        let next = match (self, event) {
            (S::Created, E::AwaitPayer) => S::Paying,
            (S::Created | S::Paying, E::Pay) => S::Paid,
            (S::Closed | S::Failed | S::Cancelled, E::LatePay) => S::Paid,
            (S::Created | S::Paying, E::Close) => S::Closed,
            (S::Created | S::Paying, E::Fail) => S::Failed,
            // A paid barcode order may be reversed too (the channel refunds it).
            (S::Created | S::Paying | S::Paid, E::Cancel) => S::Cancelled,
            (S::Paid | S::PartiallyRefunded, E::Refund { full: false }) => S::PartiallyRefunded,
            (S::Paid | S::PartiallyRefunded, E::Refund { full: true }) => S::Refunded,
            (from, event) => return Err(InvalidTransition { from, event }),
        };
        Ok(next)
    }

    /// No further payment can happen.
    pub fn is_final_unpaid(self) -> bool {
        matches!(self, OrderStatus::Closed | OrderStatus::Cancelled | OrderStatus::Failed)
    }

    /// Money was received (refunds may follow).
    pub fn is_paid(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::PartiallyRefunded | OrderStatus::Refunded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Paying => "paying",
            OrderStatus::Paid => "paid",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Closed => "closed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            OrderStatus::Created,
            OrderStatus::Paying,
            OrderStatus::Paid,
            OrderStatus::PartiallyRefunded,
            OrderStatus::Refunded,
            OrderStatus::Closed,
            OrderStatus::Cancelled,
            OrderStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// An order as stored. `order_no` is ours and is the channel's `out_trade_no`.
#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub order_no: String,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    pub merchant_no: String,
    /// The merchant's path (orders are scoped like their merchant).
    pub path: NodePath,
    pub store_id: Option<StoreId>,
    pub app_id: AppId,
    pub out_trade_no: String,
    pub amount: Money,
    pub currency: String,
    /// The way asked for (BARCODE / CASHIER stay as asked).
    pub way: PayWay,
    pub channel: Option<ChannelCode>,
    pub channel_account_id: Option<String>,
    pub binding_id: Option<String>,
    pub sub_merchant_id: Option<String>,
    pub status: OrderStatus,
    /// Sum of succeeded refunds.
    pub refunded_amount: Money,
    /// Sum of processing and succeeded refunds (what may no longer be refunded); kept by the
    /// refund repository with conditional updates.
    pub refund_reserved: Money,
    pub fee: Money,
    pub pay_data: Option<Value>,
    pub channel_trade_no: Option<String>,
    pub subject: String,
    pub attach: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub client_ip: Option<String>,
    /// WeChat openid / Alipay buyer id of the payer, when known.
    pub payer_id: Option<String>,
    /// SHA-256 of the canonical request: the same `out_trade_no` with another body is a 409.
    pub request_hash: String,
    pub expire_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

impl Order {
    /// What may still be refunded.
    pub fn refundable(&self) -> Money {
        if self.status.is_paid() { Money(self.amount.0 - self.refund_reserved.0) } else { Money(0) }
    }
}

/// A new order number: UTC `yyyyMMddHHmmss` + 16 random digits (30 characters, sortable, valid
/// as every channel's `out_trade_no`).
pub fn new_order_no(now: OffsetDateTime) -> String {
    new_number(now)
}

pub(crate) fn new_number(now: OffsetDateTime) -> String {
    let random = uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000_000;
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{random:016}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderEvent as E;
    use OrderStatus as S;

    #[test]
    fn transitions() {
        assert_eq!(S::Created.apply(E::Pay), Ok(S::Paid));
        assert_eq!(S::Created.apply(E::AwaitPayer), Ok(S::Paying));
        assert_eq!(S::Paying.apply(E::Cancel), Ok(S::Cancelled));
        assert_eq!(S::Paid.apply(E::Refund { full: false }), Ok(S::PartiallyRefunded));
        assert_eq!(S::PartiallyRefunded.apply(E::Refund { full: true }), Ok(S::Refunded));
        assert!(S::Paid.apply(E::Close).is_err());
        assert!(S::Closed.apply(E::Pay).is_err());
        assert!(S::Refunded.apply(E::Refund { full: false }).is_err());
        assert!(S::Paid.apply(E::Pay).is_err(), "a second payment is not a silent overwrite");
        assert_eq!(S::Closed.apply(E::LatePay), Ok(S::Paid));
        assert!(S::Created.apply(E::LatePay).is_err(), "an open order is paid by Pay");
    }

    #[test]
    fn order_numbers() {
        let now = time::macros::datetime!(2026-11-22 03:04:05 UTC);
        let no = new_order_no(now);
        assert_eq!(no.len(), 30);
        assert!(no.starts_with("20261122030405"));
        assert!(no.bytes().all(|b| b.is_ascii_digit()));
    }
}

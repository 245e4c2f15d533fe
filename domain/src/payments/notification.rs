//! Merchant notifications (异步通知): an outbox row written with the state change that causes it,
//! delivered by workers on dax-pay's 16-attempt schedule, every attempt recorded.

use crate::ids::{AppId, MerchantId, PlatformId};
use crate::scope::NodePath;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Delay before each attempt, in seconds: 0s, 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m,
/// 3h, 3h, 3h, 6h, 6h (≈ 24 h in all).
pub const RETRY_SCHEDULE_SECS: [i64; 16] =
    [0, 15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "order.paid")]
    OrderPaid,
    #[serde(rename = "order.closed")]
    OrderClosed,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// Money moved on an order that was already closed, failed or cancelled.
    #[serde(rename = "order.exception")]
    OrderException,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
    #[serde(rename = "refund.failed")]
    RefundFailed,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderPaid => "order.paid",
            EventType::OrderClosed => "order.closed",
            EventType::OrderCancelled => "order.cancelled",
            EventType::OrderException => "order.exception",
            EventType::RefundSucceeded => "refund.succeeded",
            EventType::RefundFailed => "refund.failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::OrderPaid,
            Self::OrderClosed,
            Self::OrderCancelled,
            Self::OrderException,
            Self::RefundSucceeded,
            Self::RefundFailed,
        ]
        .into_iter()
        .find(|e| e.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// All 16 attempts failed; can still be resent by hand.
    Exhausted,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Exhausted => "exhausted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "exhausted" => Some(Self::Exhausted),
            _ => None,
        }
    }
}

/// One event to deliver to one merchant URL.
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    /// `evt_…`, sent as `id` and `Juhe-Event-Id`.
    pub id: String,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    pub path: NodePath,
    /// The app whose key signs the delivery.
    pub app_id: AppId,
    pub event_type: EventType,
    /// The order or refund number the event is about.
    pub resource_no: String,
    pub url: String,
    /// The exact JSON body, frozen when the event happened.
    pub payload: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// One delivery attempt, kept for the merchant and the operator to see.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryAttempt {
    pub notification_id: String,
    /// 1-based.
    pub attempt_no: i32,
    pub started_at: OffsetDateTime,
    pub http_status: Option<i32>,
    pub latency_ms: i64,
    /// The first 512 characters of the response body, or the transport error.
    pub response_excerpt: String,
    pub success: bool,
}

/// When the attempt after `attempts_made` is due, or `None` when the schedule is exhausted.
pub fn next_attempt_at(attempts_made: i32, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let idx = usize::try_from(attempts_made).ok()?;
    RETRY_SCHEDULE_SECS.get(idx).map(|secs| now + time::Duration::seconds(*secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_has_16_attempts_over_about_a_day() {
        let total: i64 = RETRY_SCHEDULE_SECS.iter().sum();
        assert_eq!(RETRY_SCHEDULE_SECS.len(), 16);
        assert!((22 * 3600..=26 * 3600).contains(&total), "{total}");
        let now = time::OffsetDateTime::UNIX_EPOCH;
        assert_eq!(next_attempt_at(1, now), Some(now + time::Duration::seconds(15)));
        assert_eq!(next_attempt_at(16, now), None);
    }
}

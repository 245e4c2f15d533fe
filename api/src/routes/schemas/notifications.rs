//! The notification object and its delivery attempts, as the admin console sees them
//! (OPEN_API.md "Notifications": every attempt is recorded and visible).

use super::enums::{DeliveryStatusDto, EventTypeDto};
use super::wire::Nullable;
use juhe_domain::payments::notification::{DeliveryAttempt, Notification};
use poem_openapi::Object;
use time::OffsetDateTime;

/// One event for one merchant URL, with where its delivery stands.
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(rename = "Notification")]
pub struct NotificationObject {
    /// `evt_…`, also sent as `Juhe-Event-Id`.
    pub id: String,
    pub event_type: EventTypeDto,
    /// The order_no or refund_no the event is about.
    pub resource_no: String,
    pub url: String,
    pub status: DeliveryStatusDto,
    /// Attempts made so far.
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub delivered_at: Nullable<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    /// The exact body sent.
    pub payload: String,
}

impl From<Notification> for NotificationObject {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            event_type: n.event_type.into(),
            resource_no: n.resource_no,
            url: n.url,
            status: n.status.into(),
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            delivered_at: n.delivered_at.into(),
            created_at: n.created_at,
            payload: n.payload,
        }
    }
}

/// One delivery attempt of a notification.
#[derive(Object, Clone, Debug, PartialEq)]
#[oai(rename = "DeliveryAttempt")]
pub struct DeliveryAttemptObject {
    /// 1 for the first attempt.
    pub attempt_no: i32,
    pub started_at: OffsetDateTime,
    /// `null` when no HTTP answer came (connection error, timeout).
    pub http_status: Nullable<i32>,
    pub latency_ms: i64,
    /// The first 512 characters of the response body, or the transport error.
    pub response_excerpt: String,
    pub success: bool,
}

impl From<DeliveryAttempt> for DeliveryAttemptObject {
    fn from(a: DeliveryAttempt) -> Self {
        Self {
            attempt_no: a.attempt_no,
            started_at: a.started_at,
            http_status: a.http_status.into(),
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            success: a.success,
        }
    }
}

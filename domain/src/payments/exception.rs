//! Payment exceptions (异常单): money states that went off the happy path, each a visible record
//! with its kind, the evidence and a resolution — never only a log line.

use crate::ids::{ExceptionId, MerchantId, PlatformId};
use crate::scope::NodePath;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// The channel says paid (callback or query) on an order that was already closed, failed
    /// or cancelled: the payment is real and must be refunded or kept by decision.
    PaidAfterClose,
    /// The channel never saw the order (a crash after the insert, a lost create); expiry
    /// closed it locally.
    UnknownAtChannel,
    /// The channel never received (or lost) a refund request; it was re-submitted with the same
    /// refund number and finally failed, its amount released.
    RefundNotReceived,
    /// An action refused because another one on the same order was in flight (a cancel while a
    /// refund is processing).
    ConflictingAction,
}

impl ExceptionKind {
    pub const ALL: [ExceptionKind; 4] = [
        ExceptionKind::PaidAfterClose,
        ExceptionKind::UnknownAtChannel,
        ExceptionKind::RefundNotReceived,
        ExceptionKind::ConflictingAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::PaidAfterClose => "paid_after_close",
            ExceptionKind::UnknownAtChannel => "unknown_at_channel",
            ExceptionKind::RefundNotReceived => "refund_not_received",
            ExceptionKind::ConflictingAction => "conflicting_action",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    /// Waiting for the automatic resolution or an operator.
    Open,
    Resolved,
}

impl ExceptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionStatus::Open => "open",
            ExceptionStatus::Resolved => "resolved",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Resolved].into_iter().find(|s| s.as_str() == raw)
    }
}

/// How an exception is (to be) resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The money goes back to the payer through the normal refund flow.
    Refund,
    /// Held for an operator (the platform's policy says so).
    Hold,
    /// An operator decided the merchant keeps the payment.
    Accept,
    /// Nothing moved: the order was closed (or the refund failed) and that is final.
    Closed,
    /// An operator looked and found nothing to do.
    Dismiss,
}

impl Resolution {
    pub const ALL: [Resolution; 5] =
        [Resolution::Refund, Resolution::Hold, Resolution::Accept, Resolution::Closed, Resolution::Dismiss];

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Refund => "refund",
            Resolution::Hold => "hold",
            Resolution::Accept => "accept",
            Resolution::Closed => "closed",
            Resolution::Dismiss => "dismiss",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// What the platform does with money that arrived on a closed order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LatePaymentPolicy {
    /// Refund it at once through the normal refund flow (the default).
    #[default]
    Refund,
    /// Keep the exception open for an operator to refund or accept.
    Hold,
}

impl LatePaymentPolicy {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "refund" => Some(Self::Refund),
            "hold" => Some(Self::Hold),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PaymentException {
    pub id: ExceptionId,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    /// The merchant's path: exceptions are scoped like their orders.
    pub path: NodePath,
    pub kind: ExceptionKind,
    pub order_no: String,
    pub refund_no: Option<String>,
    /// What was observed (the channel's report, the states involved), for the operator.
    pub evidence: Value,
    pub status: ExceptionStatus,
    /// The intended or final resolution (`hold` while waiting for an operator).
    pub resolution: Resolution,
    pub note: Option<String>,
    pub resolved_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
}

impl PaymentException {
    /// A new exception about `order_no` of the merchant at `path`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        platform_id: &PlatformId,
        merchant_id: &MerchantId,
        path: &NodePath,
        kind: ExceptionKind,
        order_no: &str,
        evidence: Value,
        resolution: Resolution,
        now: OffsetDateTime,
    ) -> Self {
        let resolved = matches!(resolution, Resolution::Closed);
        Self {
            id: ExceptionId::generate(),
            platform_id: platform_id.clone(),
            merchant_id: merchant_id.clone(),
            path: path.clone(),
            kind,
            order_no: order_no.to_owned(),
            refund_no: None,
            evidence,
            status: if resolved { ExceptionStatus::Resolved } else { ExceptionStatus::Open },
            resolution,
            note: None,
            resolved_by: resolved.then(|| "system".to_owned()),
            created_at: now,
            resolved_at: resolved.then_some(now),
        }
    }

    /// The merchant number the automatic refund uses as `out_refund_no` (stable per exception,
    /// so a re-run of the resolution job finds the refund it made).
    pub fn refund_key(&self) -> String {
        format!("EXC{}", &self.id.as_str()[4..])
    }
}

//! Refunds (退款) and their state machine.

use crate::ids::{MerchantId, PlatformId};
use crate::money::Money;
use crate::scope::NodePath;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Processing,
    Succeeded,
    Failed,
    Closed,
}

impl RefundStatus {
    /// Only a processing refund changes; final states stay final.
    pub fn settle(self, to: RefundStatus) -> Result<RefundStatus, (RefundStatus, RefundStatus)> {
        match (self, to) {
            (RefundStatus::Processing, next) => Ok(next),
            (from, to) if from == to => Ok(from),
            (from, to) => Err((from, to)),
        }
    }

    /// Whether the refund's amount still counts against what may be refunded.
    pub fn holds_amount(self) -> bool {
        matches!(self, RefundStatus::Processing | RefundStatus::Succeeded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Processing => "processing",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "processing" => Some(Self::Processing),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Refund {
    pub refund_no: String,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    pub path: NodePath,
    pub order_no: String,
    pub out_refund_no: String,
    pub amount: Money,
    /// The share of the order's fee returned with this refund.
    pub fee_refunded: Money,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    pub channel_refund_no: Option<String>,
    pub request_hash: String,
    pub created_at: OffsetDateTime,
    pub succeeded_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

/// A new refund number (same shape as order numbers, prefixed `R`).
pub fn new_refund_no(now: OffsetDateTime) -> String {
    format!("R{}", super::order::new_number(now))
}

#[cfg(test)]
mod tests {
    use super::RefundStatus as R;

    #[test]
    fn final_states_stay_final() {
        assert_eq!(R::Processing.settle(R::Succeeded), Ok(R::Succeeded));
        assert_eq!(R::Succeeded.settle(R::Succeeded), Ok(R::Succeeded));
        assert!(R::Succeeded.settle(R::Failed).is_err());
        assert!(R::Processing.holds_amount() && !R::Failed.holds_amount());
    }
}

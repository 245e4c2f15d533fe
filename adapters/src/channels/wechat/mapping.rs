//! WeChat's states and times in the domain's terms.

use super::protocol::{Refund, Transaction};
use juhe_domain::channels::{RefundState, RefundStatus, TradeState, TradeStatus};
use juhe_domain::money::Money;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// China Standard Time: WeChat writes its times with +08:00.
pub(crate) const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// `trade_state` → domain state. REFUND is still a paid trade (refunds are tracked apart).
pub(crate) fn trade_state(raw: &str) -> Option<TradeState> {
    Some(match raw {
        "SUCCESS" | "REFUND" => TradeState::Paid,
        "NOTPAY" => TradeState::NotPaid,
        "USERPAYING" => TradeState::Paying,
        "CLOSED" => TradeState::Closed,
        "REVOKED" => TradeState::Revoked,
        "PAYERROR" => TradeState::Failed,
        _ => return None,
    })
}

/// A trade as reported; an unknown `trade_state` is reported as still in progress, never as a
/// final state we cannot be sure of.
pub(crate) fn trade_status(tx: &Transaction) -> TradeStatus {
    let state = trade_state(&tx.trade_state).unwrap_or(TradeState::Paying);
    let message = match (&tx.trade_state_desc, trade_state(&tx.trade_state)) {
        (Some(desc), _) => Some(desc.clone()),
        (None, None) => Some(format!("unknown trade_state {}", tx.trade_state)),
        _ => None,
    };
    TradeStatus {
        state,
        channel_trade_no: tx.transaction_id.clone().filter(|t| !t.is_empty()),
        amount: tx.amount.as_ref().and_then(|a| a.total).map(Money),
        paid_at: tx.success_time.as_deref().and_then(parse_time),
        message,
    }
}

/// Refund `status` (also the notification's `refund_status`) → domain state.
pub(crate) fn refund_state(raw: &str) -> RefundState {
    match raw {
        "SUCCESS" => RefundState::Succeeded,
        "CLOSED" => RefundState::Closed,
        // ABNORMAL: the money could not reach the payer (closed card…): needs an operator.
        "ABNORMAL" => RefundState::Failed,
        _ => RefundState::Processing,
    }
}

pub(crate) fn refund_status(refund: &Refund) -> RefundStatus {
    let state = refund_state(&refund.status);
    RefundStatus {
        state,
        channel_refund_no: Some(refund.refund_id.clone()).filter(|r| !r.is_empty()),
        succeeded_at: refund.success_time.as_deref().and_then(parse_time),
        message: (state == RefundState::Failed).then(|| format!("refund {}", refund.status)),
    }
}

pub(crate) fn parse_time(raw: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(raw, &Rfc3339).ok()
}

/// RFC 3339 in +08:00 without fractions, as WeChat writes and expects (`time_expire`).
pub(crate) fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(CST).replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_like_wechat() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time");
        assert_eq!(format_time(at), "2023-11-15T06:13:20+08:00");
        assert_eq!(parse_time("2023-11-15T06:13:20+08:00"), Some(at));
    }

    #[test]
    fn maps_states() {
        assert_eq!(trade_state("REFUND"), Some(TradeState::Paid));
        assert_eq!(trade_state("WHAT"), None);
        assert_eq!(refund_state("ABNORMAL"), RefundState::Failed);
        assert_eq!(refund_state("PROCESSING"), RefundState::Processing);
    }
}

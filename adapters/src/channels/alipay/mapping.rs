//! From verified Alipay answers to the port's types, and the error rule the order service relies
//! on. A verified answer that is not `10000`:
//! - `20000` (service unavailable), `ACQ.SYSTEM_ERROR`, or a sub code saying a trade already
//!   exists under this `out_trade_no` (`ACQ.TRADE_HAS_SUCCESS`, `ACQ.CONTEXT_INCONSISTENT`) →
//!   `Unknown`: money may have moved, query first;
//! - any other code (`40004` business failure, `40001`/`40002`/`40006` argument or permission
//!   errors, `20001` bad `app_auth_token`) → `Declined { code: sub_code, message: sub_msg }`:
//!   Alipay says explicitly that the call did nothing.

use super::amount::yuan_to_fen;
use super::protocol::{self, Reply};
use juhe_domain::channels::{ChannelError, ChannelResult, TradeState, TradeStatus};
use juhe_domain::money::Money;

const SYSTEM_ERROR: &str = "ACQ.SYSTEM_ERROR";
const CONTEXT_INCONSISTENT: &str = "ACQ.CONTEXT_INCONSISTENT";

/// The error for a verified non-success answer (see the module doc).
pub fn failure(method: &str, reply: &Reply) -> ChannelError {
    let (code, message) = reply.failure();
    let outcome_unknown = reply.code() == protocol::CODE_UNKNOWN
        || matches!(reply.sub_code(), SYSTEM_ERROR | CONTEXT_INCONSISTENT | protocol::TRADE_HAS_SUCCESS);
    if outcome_unknown {
        ChannelError::Unknown(format!("{method}: {code}: {message}"))
    } else {
        ChannelError::Declined { code, message }
    }
}

/// Whether a verified answer says the trade does not exist.
pub fn is_trade_not_exist(reply: &Reply) -> bool {
    reply.sub_code() == protocol::TRADE_NOT_EXIST
}

/// An amount field of a verified answer; present but malformed means we cannot trust our reading
/// of the answer, so `Unknown`.
pub fn amount(method: &str, reply: &Reply, key: &str) -> ChannelResult<Option<Money>> {
    match reply.str(key) {
        None => Ok(None),
        Some(text) => yuan_to_fen(text)
            .map(Some)
            .ok_or_else(|| ChannelError::Unknown(format!("{method}: malformed amount in `{key}`"))),
    }
}

/// A required string field of a verified success answer.
pub fn required<'a>(method: &str, reply: &'a Reply, key: &str) -> ChannelResult<&'a str> {
    reply.str(key).ok_or_else(|| ChannelError::Unknown(format!("{method}: success answer without `{key}`")))
}

/// Alipay `trade_status` as the port's state. A `TRADE_CLOSED` trade that had been paid (fully
/// refunded, or reversed after payment) is still `Paid`: the refunds are juhe's to track.
pub fn trade_state(trade_status: &str, was_paid: bool) -> Option<TradeState> {
    match trade_status {
        protocol::WAIT_BUYER_PAY => Some(TradeState::NotPaid),
        protocol::TRADE_SUCCESS | protocol::TRADE_FINISHED => Some(TradeState::Paid),
        protocol::TRADE_CLOSED if was_paid => Some(TradeState::Paid),
        protocol::TRADE_CLOSED => Some(TradeState::Closed),
        _ => None,
    }
}

/// A `trade.query` / `trade.pay` success answer as a `TradeStatus`.
pub fn trade_status(method: &str, reply: &Reply, state: TradeState) -> ChannelResult<TradeStatus> {
    let paid_at_text = reply.str("gmt_payment").or(reply.str("send_pay_date"));
    let paid_at = match paid_at_text {
        None => None,
        Some(text) => Some(
            protocol::parse_time(text)
                .ok_or_else(|| ChannelError::Unknown(format!("{method}: malformed payment time")))?,
        ),
    };
    Ok(TradeStatus {
        state,
        channel_trade_no: reply.str("trade_no").map(str::to_owned),
        amount: amount(method, reply, "total_amount")?,
        paid_at: if state == TradeState::Paid { paid_at } else { None },
        message: reply.str("trade_status").map(str::to_owned),
    })
}

/// A `trade.query` answer (success or not) as a `TradeStatus`.
pub fn query_status(reply: &Reply) -> ChannelResult<TradeStatus> {
    let method = protocol::QUERY;
    if !reply.is_success() {
        return if is_trade_not_exist(reply) {
            Ok(TradeStatus::of(TradeState::NotFound))
        } else {
            Err(failure(method, reply))
        };
    }
    let status = required(method, reply, "trade_status")?;
    let was_paid = reply.str("send_pay_date").is_some();
    let state = trade_state(status, was_paid)
        .ok_or_else(|| ChannelError::Unknown(format!("{method}: unknown trade_status {status}")))?;
    trade_status(method, reply, state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(json: &str) -> Reply {
        Reply::parse(json).expect("object")
    }

    #[test]
    fn failures_follow_the_rule() {
        let declined =
            reply(r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TOTAL_FEE_EXCEED","sub_msg":"x"}"#);
        assert_eq!(
            failure("m", &declined),
            ChannelError::Declined { code: "ACQ.TOTAL_FEE_EXCEED".into(), message: "x".into() }
        );
        for unknown in [
            r#"{"code":"20000","msg":"Service Currently Unavailable","sub_code":"aop.unknow-error"}"#,
            r#"{"code":"40004","sub_code":"ACQ.SYSTEM_ERROR"}"#,
            r#"{"code":"40004","sub_code":"ACQ.TRADE_HAS_SUCCESS"}"#,
        ] {
            assert!(failure("m", &reply(unknown)).money_may_have_moved(), "{unknown}");
        }
    }

    #[test]
    fn closed_after_payment_is_paid() {
        assert_eq!(trade_state("TRADE_CLOSED", true), Some(TradeState::Paid));
        assert_eq!(trade_state("TRADE_CLOSED", false), Some(TradeState::Closed));
        assert_eq!(trade_state("WHATEVER", false), None);
    }
}

//! From verified UnionPay answers to the port's types, and the error rule the order service relies
//! on. A verified answer whose `respCode` is not `00`:
//!
//! | respCode | meaning | order creation (QR apply) | every other call |
//! |---|---|---|---|
//! | `03` `04` `05` `06` | timeout, status unknown, in progress, busy | `Declined` | `Unknown` (1) |
//! | `12` | the orderNo is already paid | `Unknown` | `Unknown` |
//! | `36` | the orderNo is taken with other content | `Unknown` | `Unknown` |
//! | any other (`11` `13` `30` `31` `33` `35` `45` `46` `60` …) | explicit reject | `Declined` | `Declined` |
//!
//! (1) Except where the operation reads the code itself: barcode pay `05` is `Paying`, refund
//! `05` is `Processing`, reversal `03`–`06` is `ReverseOutcome::Retry`.
//!
//! On a QR apply, a failure means no `qrCode` was handed out, so nothing is payable — except when
//! the code says a transaction already exists under the order number (`12`, `36`): that one may
//! be paid. Query `34` (no such transaction) is `NotFound`; void and reversal treat it as done.

use super::message::Message;
use super::protocol::{self, code, field};
use juhe_domain::channels::{ChannelError, ChannelResult, RefundState, TradeState, TradeStatus};
use juhe_domain::money::Money;
use time::OffsetDateTime;

/// What an operation risks, which decides how a failure code is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stakes {
    Creation,
    Effectful,
}

pub fn resp_code(answer: &Message) -> &str {
    answer.get(field::RESP_CODE).unwrap_or("")
}

fn outcome_open(resp_code: &str, stakes: Stakes) -> bool {
    matches!(resp_code, code::DUPLICATE | code::INCONSISTENT)
        || (stakes == Stakes::Effectful && code::is_pending(resp_code))
}

/// The error for a verified answer that is not `00` (see the module doc).
pub fn failure(answer: &Message, stakes: Stakes) -> ChannelError {
    let resp_code = resp_code(answer);
    let message = answer.get(field::RESP_MSG).unwrap_or("").to_owned();
    if outcome_open(resp_code, stakes) {
        let req_type = answer.get(field::REQ_TYPE).unwrap_or("");
        ChannelError::Unknown(format!("{req_type}: respCode {resp_code}: {message}"))
    } else {
        ChannelError::Declined { code: resp_code.to_owned(), message }
    }
}

/// An amount field; present but malformed means we cannot trust our reading, so `Unknown`.
pub fn amount(answer: &Message, key: &str) -> ChannelResult<Option<Money>> {
    match answer.get(key) {
        None => Ok(None),
        Some(text) => protocol::parse_fen(text)
            .map(Some)
            .ok_or_else(|| ChannelError::Unknown(format!("malformed amount in `{key}`"))),
    }
}

/// A `yyyyMMddHHmmss` field, `Unknown` when malformed.
pub fn time(answer: &Message, key: &str) -> ChannelResult<Option<OffsetDateTime>> {
    match answer.get(key) {
        None => Ok(None),
        Some(text) => {
            protocol::parse_time(text).map(Some).ok_or_else(|| ChannelError::Unknown(format!("malformed `{key}`")))
        }
    }
}

/// The state of a payment transaction from the code of its outcome (`origRespCode` of a query or
/// a notification) and its request type: pending is "not paid" for a QR code, "paying" for a
/// barcode; closed and reversed are told apart; any other code is a failed payment.
pub fn trade_state(orig_req_type: &str, orig_resp_code: &str) -> TradeState {
    match orig_resp_code {
        code::SUCCESS => TradeState::Paid,
        pending if code::is_pending(pending) => {
            if orig_req_type == protocol::PAY {
                TradeState::Paying
            } else {
                TradeState::NotPaid
            }
        }
        code::CLOSED => TradeState::Closed,
        code::REVERSED => TradeState::Revoked,
        _ => TradeState::Failed,
    }
}

pub fn refund_state(orig_resp_code: &str) -> RefundState {
    match orig_resp_code {
        code::SUCCESS => RefundState::Succeeded,
        pending if code::is_pending(pending) => RefundState::Processing,
        code::CLOSED | code::REVERSED => RefundState::Closed,
        _ => RefundState::Failed,
    }
}

/// A payment's status from a verified answer (barcode pay, query, notification).
pub fn trade_status(answer: &Message, state: TradeState) -> ChannelResult<TradeStatus> {
    let paid_at = time(answer, field::TXN_TIME)?;
    Ok(TradeStatus {
        state,
        channel_trade_no: answer.get(field::QUERY_ID).map(str::to_owned),
        amount: amount(answer, field::TXN_AMT)?,
        paid_at: if state == TradeState::Paid { paid_at } else { None },
        message: answer.get(field::ORIG_RESP_MSG).or(answer.get(field::RESP_MSG)).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(resp_code: &str) -> Message {
        Message::new().with("reqType", "0310000903").with("respCode", resp_code).with("respMsg", "m")
    }

    #[test]
    fn failures_follow_the_table() {
        for declined in ["11", "30", "33", "35", "45", "60"] {
            for stakes in [Stakes::Creation, Stakes::Effectful] {
                assert_eq!(
                    failure(&answer(declined), stakes),
                    ChannelError::Declined { code: declined.into(), message: "m".into() }
                );
            }
        }
        for pending in ["03", "04", "05", "06"] {
            assert!(matches!(failure(&answer(pending), Stakes::Creation), ChannelError::Declined { .. }));
            assert!(failure(&answer(pending), Stakes::Effectful).money_may_have_moved());
        }
        for exists in ["12", "36"] {
            assert!(failure(&answer(exists), Stakes::Creation).money_may_have_moved());
        }
    }

    #[test]
    fn states_by_request_type() {
        assert_eq!(trade_state(protocol::PAY, "05"), TradeState::Paying);
        assert_eq!(trade_state("0210000903", "05"), TradeState::NotPaid);
        assert_eq!(trade_state(protocol::PAY, "00"), TradeState::Paid);
        assert_eq!(trade_state(protocol::PAY, "45"), TradeState::Closed);
        assert_eq!(trade_state(protocol::PAY, "46"), TradeState::Revoked);
        assert_eq!(trade_state(protocol::PAY, "60"), TradeState::Failed);
        assert_eq!(refund_state("00"), RefundState::Succeeded);
        assert_eq!(refund_state("04"), RefundState::Processing);
    }
}

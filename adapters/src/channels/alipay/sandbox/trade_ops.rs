//! The methods on existing trades — query, close, cancel, refund, refund query — and the bill
//! URL. A trade is named by `trade_no` or `out_trade_no` (`locate`), within the caller's scope.

use super::super::amount::yuan_to_fen;
use super::super::protocol::{self, format_time};
use super::AlipaySandbox;
use super::book::{self, Book, Fail, Refunded, Status, Trade};
use super::notify;
use super::trade_api::{Biz, CANCEL_BUSY, Common, INVALID, Outcome, text, trade_fields, yuan};
use serde_json::{Value, json};
use time::Date;

const NO_TRADE_NUMBER: Fail = Fail("ACQ.INVALID_PARAMETER", "trade_no 和 out_trade_no 不能同时为空");
const BILL_NOT_EXIST: Fail = Fail("isp.bill_not_exist", "账单不存在");

/// The trade a call names. Alipay prefers `trade_no` when both numbers are given (they must then
/// name the same trade); either alone is enough. A precreated trade nobody scanned does not
/// exist for Alipay yet.
fn locate<'b>(book: &'b mut Book, c: &Common, biz: &Biz) -> Result<&'b mut Trade, Fail> {
    let trade = match (text(biz, "trade_no"), text(biz, "out_trade_no")) {
        (None, None) => return Err(NO_TRADE_NUMBER),
        (Some(trade_no), out_trade_no) => {
            let trade = book.by_trade_no(&c.scope, trade_no, c.now).ok_or(book::NOT_EXIST)?;
            if out_trade_no.is_some_and(|o| o != trade.out_trade_no) {
                return Err(book::NOT_EXIST);
            }
            trade
        }
        (None, Some(out_trade_no)) => book.get(&c.scope, out_trade_no, c.now).ok_or(book::NOT_EXIST)?,
    };
    if trade.scanned { Ok(trade) } else { Err(book::NOT_EXIST) }
}

pub fn query(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let mut book = sandbox.book();
    let trade = locate(&mut book, c, biz)?;
    let mut fields = trade_fields(trade);
    if let Some(obj) = fields.as_object_mut() {
        obj.insert("trade_status".into(), Value::String(trade.status.as_str().into()));
        if let Some(paid_at) = trade.paid_at {
            obj.insert("send_pay_date".into(), Value::String(format_time(paid_at)));
        }
    }
    Ok(fields)
}

/// Closes an unpaid trade. A QR code nobody scanned is not a trade yet: `ACQ.TRADE_NOT_EXIST`,
/// and the code stays payable until its `time_expire`.
pub fn close(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let mut book = sandbox.book();
    let trade = locate(&mut book, c, biz)?;
    match trade.status {
        Status::Success => return Err(book::STATUS_ERROR),
        Status::WaitBuyerPay | Status::Closed => trade.status = Status::Closed,
    }
    Ok(json!({ "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no }))
}

/// Reverse: an unpaid trade closes, a paid one is refunded in full. A trade Alipay does not know
/// by this `out_trade_no` (never created, or a QR code nobody scanned) is closed for good, so
/// that a late payment fails.
pub fn cancel(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let mut book = sandbox.book();
    if let (None, Some(out_trade_no)) = (text(biz, "trade_no"), text(biz, "out_trade_no")) {
        let unknown = book.get(&c.scope, out_trade_no, c.now).is_none_or(|t| !t.scanned);
        if unknown {
            let trade = book.tombstone(&c.app_id, &c.scope, out_trade_no, c.now);
            trade.status = Status::Closed;
            trade.scanned = true;
            return Ok(json!({ "out_trade_no": trade.out_trade_no, "retry_flag": "N", "action": "close" }));
        }
    }
    let trade = locate(&mut book, c, biz)?;
    if trade.cancel_busy {
        trade.cancel_busy = false;
        return Err(CANCEL_BUSY);
    }
    let action = match trade.status {
        Status::WaitBuyerPay | Status::Closed => {
            trade.status = Status::Closed;
            "close"
        }
        Status::Success => {
            let rest = trade.total - trade.refunded();
            let request_no = format!("{}_cancel", trade.trade_no);
            if let Ok(Refunded::New(refund)) = book::refund(trade, &request_no, rest, None, c.now) {
                sandbox.send(notify::refund(&sandbox.keys, trade, &refund, c.now));
            }
            trade.status = Status::Closed;
            "refund"
        }
    };
    Ok(json!({ "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "retry_flag": "N", "action": action }))
}

pub fn refund(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let amount = text(biz, "refund_amount").and_then(yuan_to_fen).ok_or(INVALID)?.fen();
    let reason = text(biz, "refund_reason").map(str::to_owned);
    let mut book = sandbox.book();
    let trade = locate(&mut book, c, biz)?;
    // Without out_request_no Alipay treats the request as a full refund of the trade number.
    let request_no = text(biz, "out_request_no").unwrap_or(&trade.trade_no).to_owned();
    let (refund, fund_change) = match book::refund(trade, &request_no, amount, reason, c.now)? {
        Refunded::New(refund) => {
            sandbox.send(notify::refund(&sandbox.keys, trade, &refund, c.now));
            (refund, "Y")
        }
        Refunded::Repeated(refund) => (refund, "N"),
    };
    Ok(json!({
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_logon_id": "san***@sandbox.com",
        "buyer_user_id": trade.buyer_id,
        "fund_change": fund_change,
        "refund_fee": yuan(trade.refunded()),
        "gmt_refund_pay": format_time(refund.at),
    }))
}

pub fn refund_query(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let request_no = text(biz, "out_request_no").ok_or(INVALID)?;
    let mut book = sandbox.book();
    let trade = locate(&mut book, c, biz)?;
    let Some(refund) = trade.refunds.iter().find(|r| r.out_request_no == request_no) else {
        // Alipay answers success without refund fields when there is no such refund.
        return Ok(json!({}));
    };
    Ok(json!({
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "out_request_no": refund.out_request_no,
        "total_amount": yuan(trade.total),
        "refund_amount": yuan(refund.amount),
        "refund_status": "REFUND_SUCCESS",
        "gmt_refund_pay": format_time(refund.at),
    }))
}

pub fn bill_url(c: &Common, biz: &Biz) -> Outcome {
    if text(biz, "bill_type") != Some("trade") {
        return Err(INVALID);
    }
    let date_text = text(biz, "bill_date").ok_or(INVALID)?;
    let date =
        Date::parse(date_text, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| INVALID)?;
    // Bills exist for past days; the sandbox also serves today's, so demos need not wait.
    if date > c.now.to_offset(protocol::BEIJING).date() {
        return Err(BILL_NOT_EXIST);
    }
    let scope: String = form_urlencoded::byte_serialize(c.scope.as_bytes()).collect();
    Ok(json!({ "bill_download_url": format!("{}/bill?date={date_text}&scope={scope}", c.base_url) }))
}

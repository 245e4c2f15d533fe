//! The trade methods behind the sandbox gateway: each reads `biz_content`, acts on the order book
//! and answers Alipay's response fields. Barcode outcomes follow the auth code's last four
//! digits: `0000` paid at once, `1111` waiting for the payer (`10003`) until `simulate/pay`,
//! `2222` declined (`40004`), `3333` unknown (`20000`, the trade waits and its first cancel asks
//! for a retry); any other code pays at once.

use super::super::amount::{fen_to_yuan, yuan_to_fen};
use super::super::protocol::{self, format_time};
use super::AlipaySandbox;
use super::book::{self, Fail, NewTrade, Refunded, Status, Trade};
use super::notify;
use juhe_domain::money::Money;
use juhe_domain::payments::way::Wallet;
use serde_json::{Map, Value, json};
use time::{Date, OffsetDateTime};

/// What the gateway answers: a response object, or (mobile web) Alipay's cashier page.
pub enum Answer {
    Object(Map<String, Value>),
    Page(String),
}

/// The checked common parameters of a call.
pub struct Common {
    pub app_id: String,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub base_url: String,
    pub now: OffsetDateTime,
}

type Biz = Map<String, Value>;
type Outcome = Result<Value, Fail>;

const INVALID: Fail = Fail("ACQ.INVALID_PARAMETER", "参数无效");
const AMOUNT_LIMIT: Fail = Fail("ACQ.TOTAL_FEE_EXCEED", "订单金额超过限额");
const AUTH_CODE_INVALID: Fail =
    Fail("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款");
/// Answered with `retry_flag=Y`.
const CANCEL_BUSY: Fail = Fail("ACQ.SYSTEM_ERROR", "系统错误");
const BILL_NOT_EXIST: Fail = Fail("isp.bill_not_exist", "账单不存在");
/// 100 000 000.00 yuan: the largest single Alipay trade.
const MAX_TOTAL: i64 = 10_000_000_000;

pub fn dispatch(sandbox: &AlipaySandbox, method: &str, c: &Common, biz: &Biz) -> Answer {
    let outcome = match method {
        protocol::PRECREATE => precreate(sandbox, c, biz),
        protocol::CREATE => create(sandbox, c, biz),
        protocol::WAP_PAY => return wap_pay(sandbox, c, biz),
        protocol::APP_PAY => app_pay(sandbox, c, biz),
        protocol::PAY => return barcode_pay(sandbox, c, biz),
        protocol::QUERY => query(sandbox, c, biz),
        protocol::CLOSE => close(sandbox, c, biz),
        protocol::CANCEL => cancel(sandbox, c, biz),
        protocol::REFUND => refund(sandbox, c, biz),
        protocol::REFUND_QUERY => refund_query(sandbox, c, biz),
        _ => bill_url(c, biz),
    };
    Answer::Object(match outcome {
        Ok(fields) => success(fields),
        Err(CANCEL_BUSY) if method == protocol::CANCEL => {
            let mut busy = failed(CANCEL_BUSY);
            busy.insert("retry_flag".into(), "Y".into());
            busy
        }
        Err(fail) => failed(fail),
    })
}

fn success(fields: Value) -> Map<String, Value> {
    let mut out = json!({ "code": protocol::CODE_SUCCESS, "msg": "Success" }).as_object().cloned().unwrap_or_default();
    if let Value::Object(more) = fields {
        out.extend(more);
    }
    out
}

fn failed(Fail(sub_code, sub_msg): Fail) -> Map<String, Value> {
    let value = json!({
        "code": protocol::CODE_BUSINESS_FAILED,
        "msg": "Business Failed",
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    });
    value.as_object().cloned().unwrap_or_default()
}

fn text<'a>(biz: &'a Biz, key: &str) -> Option<&'a str> {
    biz.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn yuan(fen: i64) -> String {
    fen_to_yuan(Money(fen)).unwrap_or_default()
}

/// Reads and checks the fields every trade-creating call carries.
fn new_trade(c: &Common, biz: &Biz, method: &str) -> Result<NewTrade, Fail> {
    let out_trade_no = text(biz, "out_trade_no").filter(|o| o.len() <= 64).ok_or(INVALID)?;
    let total = text(biz, "total_amount").and_then(yuan_to_fen).ok_or(INVALID)?.fen();
    if !(1..=MAX_TOTAL).contains(&total) {
        return Err(AMOUNT_LIMIT);
    }
    let subject = text(biz, "subject").ok_or(INVALID)?;
    let smid = match biz.get("sub_merchant") {
        None => String::new(),
        Some(sub) => {
            let smid = sub.get("merchant_id").and_then(Value::as_str).unwrap_or("");
            let well_formed = smid.len() == 16 && smid.starts_with("2088") && smid.bytes().all(|b| b.is_ascii_digit());
            if !well_formed {
                return Err(Fail("ACQ.INVALID_PARAMETER", "sub_merchant.merchant_id 无效"));
            }
            smid.to_owned()
        }
    };
    let expire_at = match text(biz, "time_expire") {
        None => None,
        Some(at) => Some(protocol::parse_time(at).ok_or(INVALID)?),
    };
    let buyer_id = text(biz, "buyer_id").map(str::to_owned);
    let buyer_open_id = text(biz, "buyer_open_id").map(str::to_owned);
    let auth_code = text(biz, "auth_code").unwrap_or("");
    let payer = buyer_id.as_deref().or(buyer_open_id.as_deref()).unwrap_or("");
    Ok(NewTrade {
        app_id: c.app_id.clone(),
        out_trade_no: out_trade_no.to_owned(),
        fingerprint: format!("{method}|{total}|{subject}|{smid}|{payer}|{auth_code}"),
        total,
        subject: subject.to_owned(),
        store_id: text(biz, "store_id").map(str::to_owned),
        buyer_id,
        buyer_open_id,
        expire_at,
        notify_url: c.notify_url.clone(),
    })
}

fn precreate(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let new = new_trade(c, biz, protocol::PRECREATE)?;
    let mut book = sandbox.book();
    let trade = book.open(new, c.now)?;
    // The same request again shows the same code.
    let qr_code =
        trade.qr_code.get_or_insert_with(|| format!("{}/qr/bax{}", c.base_url, super::keys::random_digits(20))).clone();
    Ok(json!({ "out_trade_no": trade.out_trade_no, "qr_code": qr_code }))
}

fn create(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let new = new_trade(c, biz, protocol::CREATE)?;
    if new.buyer_id.is_none() && new.buyer_open_id.is_none() {
        return Err(Fail("ACQ.INVALID_PARAMETER", "buyer_id 与 buyer_open_id 不能同时为空"));
    }
    let mut book = sandbox.book();
    let trade = book.open(new, c.now)?;
    Ok(json!({ "out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no }))
}

/// Mobile web: the payer's browser opened the signed URL; Alipay shows its cashier.
fn wap_pay(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Answer {
    let opened = new_trade(c, biz, protocol::WAP_PAY).and_then(|new| {
        let mut book = sandbox.book();
        book.open(new, c.now).map(|trade| trade.clone())
    });
    match opened {
        Ok(trade) => Answer::Page(super::cashier::page(&c.base_url, &trade, c.return_url.as_deref())),
        Err(Fail(code, message)) => Answer::Page(super::cashier::error_page(code, message)),
    }
}

/// App: the Alipay app submitted the order string it was handed.
fn app_pay(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let new = new_trade(c, biz, protocol::APP_PAY)?;
    let mut book = sandbox.book();
    let trade = book.open(new, c.now)?;
    Ok(json!({
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "total_amount": yuan(trade.total),
        "seller_id": sandbox.keys.pid,
    }))
}

fn trade_fields(trade: &Trade) -> Value {
    let mut fields = json!({
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "buyer_user_id": trade.buyer_id,
        "buyer_logon_id": "san***@sandbox.com",
        "total_amount": yuan(trade.total),
    });
    if let (Some(paid_at), Some(obj)) = (trade.paid_at, fields.as_object_mut()) {
        let paid = yuan(trade.total);
        obj.insert("receipt_amount".into(), Value::String(paid.clone()));
        obj.insert("buyer_pay_amount".into(), Value::String(paid.clone()));
        obj.insert("gmt_payment".into(), Value::String(format_time(paid_at)));
        obj.insert("fund_bill_list".into(), json!([{ "fund_channel": "ALIPAYACCOUNT", "amount": paid }]));
    }
    fields
}

fn barcode_pay(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Answer {
    let object = |outcome: Result<Map<String, Value>, Fail>| Answer::Object(outcome.unwrap_or_else(failed));
    let auth_code = text(biz, "auth_code").unwrap_or("");
    if text(biz, "scene") != Some("bar_code") && text(biz, "scene") != Some("wave_code") {
        return object(Err(INVALID));
    }
    if Wallet::from_auth_code(auth_code) != Some(Wallet::Alipay) || auth_code.ends_with("2222") {
        return object(Err(AUTH_CODE_INVALID));
    }
    let new = match new_trade(c, biz, protocol::PAY) {
        Ok(new) => new,
        Err(fail) => return object(Err(fail)),
    };
    let mut book = sandbox.book();
    let trade = match book.open(new, c.now) {
        Ok(trade) => trade,
        Err(fail) => return object(Err(fail)),
    };
    if auth_code.ends_with("1111") {
        let mut fields = success(trade_fields(trade));
        fields.insert("code".into(), protocol::CODE_PAYING.into());
        fields.insert("msg".into(), " order success pay inprocess".into());
        return Answer::Object(fields);
    }
    if auth_code.ends_with("3333") {
        trade.cancel_busy = true;
        let unknown = json!({
            "code": protocol::CODE_UNKNOWN,
            "msg": "Service Currently Unavailable",
            "sub_code": "isp.unknow-error",
            "sub_msg": "系统繁忙",
        });
        return Answer::Object(unknown.as_object().cloned().unwrap_or_default());
    }
    match book::pay(trade, c.now) {
        Ok(newly_paid) => {
            if newly_paid {
                sandbox.send(notify::payment(&sandbox.keys, trade, c.now));
            }
            Answer::Object(success(trade_fields(trade)))
        }
        Err(fail) => object(Err(fail)),
    }
}

fn out_trade_no(biz: &Biz) -> Result<&str, Fail> {
    text(biz, "out_trade_no").ok_or(INVALID)
}

fn query(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let mut book = sandbox.book();
    let trade = book.get(&c.app_id, out_trade_no(biz)?, c.now).ok_or(book::NOT_EXIST)?;
    let mut fields = trade_fields(trade);
    if let Some(obj) = fields.as_object_mut() {
        obj.insert("trade_status".into(), Value::String(trade.status.as_str().into()));
        if let Some(paid_at) = trade.paid_at {
            obj.insert("send_pay_date".into(), Value::String(format_time(paid_at)));
        }
    }
    Ok(fields)
}

fn close(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let mut book = sandbox.book();
    let trade = book.get(&c.app_id, out_trade_no(biz)?, c.now).ok_or(book::NOT_EXIST)?;
    match trade.status {
        Status::Success => return Err(book::STATUS_ERROR),
        Status::WaitBuyerPay | Status::Closed => trade.status = Status::Closed,
    }
    Ok(json!({ "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no }))
}

/// Reverse: an unpaid trade closes, a paid one is refunded in full; an unknown one is remembered
/// as cancelled so a late payment fails.
fn cancel(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let out_trade_no = out_trade_no(biz)?;
    let mut book = sandbox.book();
    if book.get(&c.app_id, out_trade_no, c.now).is_none() {
        let trade = book.tombstone(&c.app_id, out_trade_no, c.now);
        return Ok(json!({ "out_trade_no": trade.out_trade_no, "retry_flag": "N", "action": "close" }));
    }
    let trade = book.get(&c.app_id, out_trade_no, c.now).ok_or(book::NOT_EXIST)?;
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

fn refund(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let amount = text(biz, "refund_amount").and_then(yuan_to_fen).ok_or(INVALID)?.fen();
    let reason = text(biz, "refund_reason").map(str::to_owned);
    let mut book = sandbox.book();
    let trade = book.get(&c.app_id, out_trade_no(biz)?, c.now).ok_or(book::NOT_EXIST)?;
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

fn refund_query(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let request_no = text(biz, "out_request_no").ok_or(INVALID)?;
    let mut book = sandbox.book();
    let trade = book.get(&c.app_id, out_trade_no(biz)?, c.now).ok_or(book::NOT_EXIST)?;
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

fn bill_url(c: &Common, biz: &Biz) -> Outcome {
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
    Ok(json!({ "bill_download_url": format!("{}/bill?date={date_text}", c.base_url) }))
}

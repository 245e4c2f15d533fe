//! The trade-creating methods: precreate (QR), create (JSAPI), wap.pay and app.pay (what the
//! payer's browser or app submits), and pay (barcode). Each checks the merchant the trade is for
//! (see `merchants`) before anything is stored.
//!
//! A precreated trade is not known to Alipay until the payer scans its code (`book::scan`), so
//! until then query, close and refund answer `ACQ.TRADE_NOT_EXIST`.
//!
//! Barcode outcomes follow the auth code's last four digits: `0000` paid at once, `1111` waiting
//! for the payer (`10003`) until `simulate/pay`, `2222` declined (`40004`), `3333` unknown
//! (`20000`, the trade waits and its first cancel asks for a retry); any other code pays at once.

use super::super::amount::yuan_to_fen;
use super::super::protocol;
use super::AlipaySandbox;
use super::book::{self, Fail, NewTrade};
use super::merchants::Principal;
use super::notify;
use super::trade_api::{Answer, Biz, Common, INVALID, Outcome, failed, success, text, trade_fields, yuan};
use juhe_domain::payments::way::Wallet;
use serde_json::{Map, Value, json};

const AMOUNT_LIMIT: Fail = Fail("ACQ.TOTAL_FEE_EXCEED", "订单金额超过限额");
const AUTH_CODE_INVALID: Fail =
    Fail("ACQ.PAYMENT_AUTH_CODE_INVALID", "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款");
/// 100 000 000.00 yuan: the largest single Alipay trade.
const MAX_TOTAL: i64 = 10_000_000_000;

/// Reads and checks the fields every trade-creating call carries.
fn new_trade(sandbox: &AlipaySandbox, c: &Common, biz: &Biz, method: &str) -> Result<NewTrade, Fail> {
    let out_trade_no = text(biz, "out_trade_no").filter(|o| o.len() <= 64).ok_or(INVALID)?;
    let total = text(biz, "total_amount").and_then(yuan_to_fen).ok_or(INVALID)?.fen();
    if !(1..=MAX_TOTAL).contains(&total) {
        return Err(AMOUNT_LIMIT);
    }
    let subject = text(biz, "subject").ok_or(INVALID)?;
    let smid = sandbox.merchants.sub_merchant(&c.principal, biz)?;
    let expire_at = match text(biz, "time_expire") {
        None => None,
        Some(at) => Some(protocol::parse_time(at).ok_or(INVALID)?),
    };
    let buyer_id = text(biz, "buyer_id").map(str::to_owned);
    let buyer_open_id = text(biz, "buyer_open_id").map(str::to_owned);
    let auth_code = text(biz, "auth_code").unwrap_or("");
    let payer = buyer_id.as_deref().or(buyer_open_id.as_deref()).unwrap_or("");
    let (seller_id, auth_app_id) = match &c.principal {
        Principal::Platform => (sandbox.keys.pid.clone(), c.app_id.clone()),
        Principal::Merchant { user_id, auth_app_id } => (user_id.clone(), auth_app_id.clone()),
    };
    Ok(NewTrade {
        app_id: c.app_id.clone(),
        scope: c.scope.clone(),
        seller_id,
        auth_app_id,
        out_trade_no: out_trade_no.to_owned(),
        fingerprint: format!("{method}|{total}|{subject}|{smid}|{payer}|{auth_code}"),
        total,
        subject: subject.to_owned(),
        store_id: text(biz, "store_id").map(str::to_owned),
        buyer_id,
        buyer_open_id,
        expire_at,
        notify_url: c.notify_url.clone(),
        awaits_scan: method == protocol::PRECREATE,
    })
}

pub fn precreate(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let new = new_trade(sandbox, c, biz, protocol::PRECREATE)?;
    let mut book = sandbox.book();
    let trade = book.open(new, c.now)?;
    // The same request again shows the same code.
    let qr_code =
        trade.qr_code.get_or_insert_with(|| format!("{}/qr/bax{}", c.base_url, super::keys::random_digits(20))).clone();
    Ok(json!({ "out_trade_no": trade.out_trade_no, "qr_code": qr_code }))
}

pub fn create(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let new = new_trade(sandbox, c, biz, protocol::CREATE)?;
    if new.buyer_id.is_none() && new.buyer_open_id.is_none() {
        return Err(Fail("ACQ.INVALID_PARAMETER", "buyer_id 与 buyer_open_id 不能同时为空"));
    }
    let mut book = sandbox.book();
    let trade = book.open(new, c.now)?;
    Ok(json!({ "out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no }))
}

/// Mobile web: the payer's browser opened the signed URL; Alipay shows its cashier.
pub fn wap_pay(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Answer {
    let opened = new_trade(sandbox, c, biz, protocol::WAP_PAY).and_then(|new| {
        let mut book = sandbox.book();
        book.open(new, c.now).map(|trade| trade.clone())
    });
    match opened {
        Ok(trade) => Answer::Page(super::cashier::page(&c.base_url, &trade, c.return_url.as_deref())),
        Err(Fail(code, message)) => Answer::Page(super::cashier::error_page(code, message)),
    }
}

/// App: the Alipay app submitted the order string it was handed.
pub fn app_pay(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Outcome {
    let new = new_trade(sandbox, c, biz, protocol::APP_PAY)?;
    let mut book = sandbox.book();
    let trade = book.open(new, c.now)?;
    Ok(json!({
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "total_amount": yuan(trade.total),
        "seller_id": trade.seller_id,
    }))
}

pub fn barcode_pay(sandbox: &AlipaySandbox, c: &Common, biz: &Biz) -> Answer {
    let object = |outcome: Result<Map<String, Value>, Fail>| Answer::Object(outcome.unwrap_or_else(failed));
    let auth_code = text(biz, "auth_code").unwrap_or("");
    if text(biz, "scene") != Some("bar_code") && text(biz, "scene") != Some("wave_code") {
        return object(Err(INVALID));
    }
    if Wallet::from_auth_code(auth_code) != Some(Wallet::Alipay) || auth_code.ends_with("2222") {
        return object(Err(AUTH_CODE_INVALID));
    }
    let new = match new_trade(sandbox, c, biz, protocol::PAY) {
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

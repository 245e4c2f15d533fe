//! The trade methods behind the sandbox gateway: dispatch on `method`, and the answer shapes they
//! share. Trade creation is in `trade_create`, the methods on existing trades in `trade_ops`.

use super::super::amount::fen_to_yuan;
use super::super::protocol::{self, format_time};
use super::AlipaySandbox;
use super::book::{Fail, Trade};
use super::merchants::Principal;
use super::{trade_create, trade_ops};
use juhe_domain::money::Money;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// What the gateway answers: a response object, or (mobile web) Alipay's cashier page.
pub enum Answer {
    Object(Map<String, Value>),
    Page(String),
}

/// The checked common parameters of a call.
pub struct Common {
    pub app_id: String,
    /// Whom the call acts for (the platform, or the merchant behind `app_auth_token`).
    pub principal: Principal,
    /// `principal.scope(app_id)`: where the call's trades are kept.
    pub scope: String,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub base_url: String,
    pub now: OffsetDateTime,
}

pub type Biz = Map<String, Value>;
pub type Outcome = Result<Value, Fail>;

pub const INVALID: Fail = Fail("ACQ.INVALID_PARAMETER", "参数无效");
/// Answered with `retry_flag=Y`.
pub const CANCEL_BUSY: Fail = Fail("ACQ.SYSTEM_ERROR", "系统错误");

pub fn dispatch(sandbox: &AlipaySandbox, method: &str, c: &Common, biz: &Biz) -> Answer {
    let outcome = match method {
        protocol::PRECREATE => trade_create::precreate(sandbox, c, biz),
        protocol::CREATE => trade_create::create(sandbox, c, biz),
        protocol::WAP_PAY => return trade_create::wap_pay(sandbox, c, biz),
        protocol::APP_PAY => trade_create::app_pay(sandbox, c, biz),
        protocol::PAY => return trade_create::barcode_pay(sandbox, c, biz),
        protocol::QUERY => trade_ops::query(sandbox, c, biz),
        protocol::CLOSE => trade_ops::close(sandbox, c, biz),
        protocol::CANCEL => trade_ops::cancel(sandbox, c, biz),
        protocol::REFUND => trade_ops::refund(sandbox, c, biz),
        protocol::REFUND_QUERY => trade_ops::refund_query(sandbox, c, biz),
        _ => trade_ops::bill_url(c, biz),
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

pub fn success(fields: Value) -> Map<String, Value> {
    let mut out = json!({ "code": protocol::CODE_SUCCESS, "msg": "Success" }).as_object().cloned().unwrap_or_default();
    if let Value::Object(more) = fields {
        out.extend(more);
    }
    out
}

pub fn failed(Fail(sub_code, sub_msg): Fail) -> Map<String, Value> {
    let value = json!({
        "code": protocol::CODE_BUSINESS_FAILED,
        "msg": "Business Failed",
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    });
    value.as_object().cloned().unwrap_or_default()
}

pub fn text<'a>(biz: &'a Biz, key: &str) -> Option<&'a str> {
    biz.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub fn yuan(fen: i64) -> String {
    fen_to_yuan(Money(fen)).unwrap_or_default()
}

/// The trade as `trade.pay` and `trade.query` show it.
pub fn trade_fields(trade: &Trade) -> Value {
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

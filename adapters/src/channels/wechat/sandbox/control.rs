//! Sandbox control (OPEN_API.md "Sandbox control"): the payer pays, the next calls fail, the
//! day's bill. Plain JSON, unsigned: these stand for the outside world, not for WeChat's API.

use super::bill;
use super::{FaultMode, WechatSandbox};
use poem::http::StatusCode;
use poem::{Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use time::macros::format_description;

/// At most this many planned faults at once.
const MAX_FAULTS: u32 = 100;

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

fn bad_request(message: &str) -> Response {
    reply(StatusCode::BAD_REQUEST, json!({ "code": "INVALID_REQUEST", "message": message }))
}

async fn body_json<T: for<'de> Deserialize<'de>>(req: &mut Request) -> Result<T, Response> {
    let bytes = req.take_body().into_bytes_limit(64 * 1024).await.map_err(|_| bad_request("unreadable body"))?;
    serde_json::from_slice(&bytes).map_err(|e| bad_request(&format!("bad JSON: {e}")))
}

#[derive(Deserialize)]
struct Pay {
    out_trade_no: String,
    /// `false`: the notification is lost (never sent); the merchant must query to learn it.
    #[serde(default = "yes")]
    notify: bool,
}

fn yes() -> bool {
    true
}

/// `POST /simulate/pay {"out_trade_no", "notify"?}`: the payer pays an open order; the merchant
/// is told, unless `"notify": false`.
pub(super) async fn simulate_pay(sb: Arc<WechatSandbox>, mut req: Request) -> Response {
    let pay: Pay = match body_json(&mut req).await {
        Ok(pay) => pay,
        Err(resp) => return resp,
    };
    let result = sb.book().pay(&pay.out_trade_no, sb.now());
    match result {
        Ok(event) => {
            if pay.notify {
                sb.notify(event);
            }
            let tx = sb.book().orders().find(|o| o.out_trade_no == pay.out_trade_no).map(|o| o.transaction());
            reply(StatusCode::OK, json!(tx))
        }
        Err(err) => {
            let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
            reply(status, json!({ "code": err.code, "message": err.message }))
        }
    }
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    mode: String,
}

/// `POST /simulate/fail-next {"count", "mode": "error"|"timeout"|"lost_reply"}`: the next
/// `count` API calls fail: `error` answers 500 SYSTEM_ERROR without acting; `timeout` acts and
/// answers late; `lost_reply` acts and cuts the connection instead of answering.
pub(super) async fn fail_next(sb: Arc<WechatSandbox>, mut req: Request) -> Response {
    let plan: FailNext = match body_json(&mut req).await {
        Ok(plan) => plan,
        Err(resp) => return resp,
    };
    let mode = match plan.mode.as_str() {
        "error" => FaultMode::Error,
        "timeout" => FaultMode::Timeout,
        "lost_reply" => FaultMode::LostReply,
        _ => return bad_request("mode must be \"error\", \"timeout\" or \"lost_reply\""),
    };
    if plan.count > MAX_FAULTS {
        return bad_request("count must be at most 100");
    }
    sb.set_faults(plan.count, mode);
    reply(StatusCode::OK, json!({ "count": plan.count, "mode": plan.mode }))
}

/// `GET /bill?date=YYYY-MM-DD`: the day's ALL trade bill as it stands (uncompressed, also
/// before WeChat would publish it): the outside world's view, for demos and tests.
pub(super) async fn bill(sb: Arc<WechatSandbox>, req: Request) -> Response {
    let query: std::collections::HashMap<String, String> = req.params().unwrap_or_default();
    let Some(date) = query.get("date").and_then(|d| parse_date(d)) else {
        return bad_request("date=YYYY-MM-DD is required");
    };
    let file = bill::render_or_empty(&sb.book(), date);
    Response::builder().content_type("text/csv; charset=utf-8").body(file)
}

pub(super) fn parse_date(raw: &str) -> Option<time::Date> {
    time::Date::parse(raw, format_description!("[year]-[month]-[day]")).ok()
}

#[derive(Deserialize)]
struct Forged {
    out_trade_no: String,
    /// Claimed paid amount (fen) instead of the order's.
    amount: Option<i64>,
    /// Claimed sub-merchant instead of the order's.
    sub_mchid: Option<String>,
}

/// `POST /simulate/forged-notify {"out_trade_no", "amount"?, "sub_mchid"?}`: sends a correctly
/// signed and encrypted TRANSACTION.SUCCESS for an order whose facts are altered, without
/// changing the book — to prove the merchant side checks amount and sub-merchant, not just the
/// signature. Sent once, synchronously: the answer says whether the merchant accepted it.
pub(super) async fn forged_notify(sb: Arc<WechatSandbox>, mut req: Request) -> Response {
    let forged: Forged = match body_json(&mut req).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let found = sb.book().orders().find(|o| o.out_trade_no == forged.out_trade_no).map(|o| {
        let mut paid = o.clone();
        paid.mark_paid(sb.now());
        (o.notify_url.clone(), paid.transaction())
    });
    let Some((Some(notify_url), mut transaction)) = found else {
        return reply(StatusCode::NOT_FOUND, json!({ "code": "ORDER_NOT_EXIST", "message": "no such order" }));
    };
    if let (Some(total), Some(amount)) = (forged.amount, transaction.amount.as_mut()) {
        amount.total = Some(total);
        amount.payer_total = Some(total);
    }
    if let Some(sub) = forged.sub_mchid {
        transaction.sub_mchid = Some(sub);
    }
    let event = super::model::Event::Paid { notify_url, transaction };
    match sb.send_once(&event).await {
        Ok(()) => reply(StatusCode::OK, json!({ "sent": true, "accepted": true })),
        Err(reason) => reply(StatusCode::OK, json!({ "sent": true, "accepted": false, "answer": reason })),
    }
}

/// `GET /calls`: how many authenticated API calls reached the sandbox, by `METHOD path` (e.g.
/// `GET /v3/pay/partner/transactions/out-trade-no/<no>`), so a test can prove a job queried once.
pub(super) async fn calls(sb: Arc<WechatSandbox>) -> Response {
    reply(StatusCode::OK, json!(sb.calls()))
}

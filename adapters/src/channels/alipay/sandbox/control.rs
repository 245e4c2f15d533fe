//! Sandbox control (OPEN_API.md "Sandbox control") and the pages a payer reaches: `simulate/pay`,
//! `simulate/fail-next`, the day's bill, and the cashier behind a sandbox QR code.

use super::AlipaySandbox;
use super::book::{self, Fail};
use super::gateway::{FailMode, base_url};
use super::{bill, cashier, notify};
use crate::channels::sandbox_control::{json_body, json_response, problem};
use poem::http::StatusCode;
use poem::{Request, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::macros::format_description;

#[derive(Deserialize)]
struct Pay {
    out_trade_no: String,
}

/// The payer pays: the trade becomes TRADE_SUCCESS and its notification goes out.
pub async fn simulate_pay(sandbox: &AlipaySandbox, mut req: Request) -> Response {
    let body: Pay = match json_body(&mut req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let now = OffsetDateTime::now_utc();
    let mut book = sandbox.book();
    let Some(trade) = book.find(&body.out_trade_no, now).filter(|t| !t.fingerprint.is_empty()) else {
        return problem(StatusCode::NOT_FOUND, "TRADE_NOT_EXIST", "no such out_trade_no at the Alipay sandbox");
    };
    match book::pay(trade, now) {
        Ok(newly_paid) => {
            if newly_paid {
                sandbox.send(notify::payment(&sandbox.keys, trade, now));
            }
            json_response(
                StatusCode::OK,
                json!({
                    "out_trade_no": trade.out_trade_no,
                    "trade_no": trade.trade_no,
                    "trade_status": trade.status.as_str(),
                }),
            )
        }
        Err(Fail(code, message)) => problem(StatusCode::CONFLICT, code, message),
    }
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    mode: String,
}

/// The next `count` gateway calls fail: `error` → HTTP 502 without acting, `timeout` → acted on
/// but answered 15 s late.
pub async fn simulate_fail_next(sandbox: &AlipaySandbox, mut req: Request) -> Response {
    let body: FailNext = match json_body(&mut req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let mode = match body.mode.as_str() {
        "error" => FailMode::Error,
        "timeout" => FailMode::Timeout,
        _ => return problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "mode must be error or timeout"),
    };
    sandbox.failures.plan(body.count, mode);
    json_response(StatusCode::OK, json!({ "count": body.count, "mode": body.mode }))
}

/// `GET /bill?date=YYYY-MM-DD`: the ZIP Alipay's bill download URL points at.
pub async fn bill(sandbox: &AlipaySandbox, req: Request) -> Response {
    let date = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "date")
        .and_then(|(_, v)| time::Date::parse(&v, format_description!("[year]-[month]-[day]")).ok());
    let Some(date) = date else {
        return problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "date=YYYY-MM-DD is required");
    };
    let zipped = {
        let book = sandbox.book();
        bill::zip_bill(&sandbox.keys.pid, book.trades(), date, OffsetDateTime::now_utc())
    };
    match zipped {
        Ok(bytes) => Response::builder()
            .content_type("application/zip")
            .header("content-disposition", format!("attachment; filename=\"{}0156_{date}.csv.zip\"", sandbox.keys.pid))
            .body(bytes),
        Err(err) => problem(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &err.to_string()),
    }
}

/// The cashier page behind a sandbox QR code (what the payer's phone opens after scanning).
pub async fn qr_page(sandbox: &AlipaySandbox, req: Request) -> Response {
    let token = req.uri().path().rsplit('/').next().unwrap_or("");
    let base = base_url(&req);
    let trade = sandbox.book().find_by_qr(token, OffsetDateTime::now_utc()).map(|t| t.clone());
    let html = match trade {
        Some(trade) => cashier::page(&base, &trade, None),
        None => cashier::error_page("ACQ.TRADE_NOT_EXIST", "交易不存在"),
    };
    Response::builder().content_type("text/html; charset=utf-8").body(html)
}

//! Sandbox control (OPEN_API.md "Sandbox control") and the pages a payer reaches: `simulate/pay`,
//! `simulate/fail-next`, the day's bill, and the cashier behind a sandbox QR code (opening it is
//! the payer's scan).

use super::AlipaySandbox;
use super::book::{self, Fail};
use super::gateway::base_url;
use super::{bill, cashier, notify};
use crate::channels::sandbox_control::{SimulatePay, fail_next_body, json_body, json_response, problem};
use poem::http::StatusCode;
use poem::{Request, Response};
use serde_json::json;
use time::macros::format_description;

/// The payer scans (if it is a QR code) and pays: the trade becomes TRADE_SUCCESS and its
/// notification goes out, unless `"notify": false`.
pub async fn simulate_pay(sandbox: &AlipaySandbox, mut req: Request) -> Response {
    let body: SimulatePay = match json_body(&mut req).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let now = sandbox.clock.now();
    let mut book = sandbox.book();
    let Some(trade) = book.find(&body.out_trade_no, now).filter(|t| !t.fingerprint.is_empty()) else {
        return problem(StatusCode::NOT_FOUND, "TRADE_NOT_EXIST", "no such out_trade_no at the Alipay sandbox");
    };
    match book::pay(trade, now) {
        Ok(newly_paid) => {
            if newly_paid && body.notify {
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

/// The next `count` gateway calls fail (see `gateway::handle` for what each mode does).
pub async fn simulate_fail_next(sandbox: &AlipaySandbox, mut req: Request) -> Response {
    let (count, mode) = match fail_next_body(&mut req).await {
        Ok(planned) => planned,
        Err(response) => return response,
    };
    sandbox.failures.plan(count, mode);
    json_response(StatusCode::OK, json!({ "count": count, "mode": mode.as_str() }))
}

/// `GET /bill?date=YYYY-MM-DD[&scope=…]`: the ZIP Alipay's bill download URL points at — the
/// trades of the scope that asked for it (the platform's own, or one authorizing merchant's),
/// or every trade of the sandbox when no scope is named (demos).
pub async fn bill(sandbox: &AlipaySandbox, req: Request) -> Response {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let param = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let date = param("date").and_then(|v| time::Date::parse(v, format_description!("[year]-[month]-[day]")).ok());
    let Some(date) = date else {
        return problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "date=YYYY-MM-DD is required");
    };
    let scope = param("scope");
    let zipped = {
        let book = sandbox.book();
        let trades = book.trades().filter(|t| scope.is_none_or(|s| t.scope == s));
        bill::zip_bill(&sandbox.keys.pid, trades, date, sandbox.clock.now())
    };
    match zipped {
        Ok(bytes) => Response::builder()
            .content_type("application/zip")
            .header("content-disposition", format!("attachment; filename=\"{}0156_{date}.csv.zip\"", sandbox.keys.pid))
            .body(bytes),
        Err(err) => problem(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &err.to_string()),
    }
}

/// The cashier page behind a sandbox QR code: the payer scanned it, so from now on the trade
/// exists for Alipay (unless it closed first).
pub async fn qr_page(sandbox: &AlipaySandbox, req: Request) -> Response {
    let token = req.uri().path().rsplit('/').next().unwrap_or("");
    let base = base_url(&req);
    let scanned = {
        let mut book = sandbox.book();
        book.find_by_qr(token, sandbox.clock.now())
            .ok_or(book::NOT_EXIST)
            .and_then(|trade| book::scan(trade).map(|()| trade.clone()))
    };
    let html = match scanned {
        Ok(trade) => cashier::page(&base, &trade, None),
        Err(Fail(code, message)) => cashier::error_page(code, message),
    };
    Response::builder().content_type("text/html; charset=utf-8").body(html)
}

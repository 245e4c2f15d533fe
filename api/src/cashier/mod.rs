//! The cashier of one-code pay (`/cashier/*`): the pages a payer's phone opens from a store's
//! printed QR code or a `way=CASHIER` order's link. Plain poem handlers, outside the OpenAPI spec
//! (they serve browsers, not integrations); every rule lives in the domain's `CashierService`.
//!
//! - `GET /cashier/{code}` — detect the wallet, go through its OAuth step, show the amount form;
//! - `POST /cashier/{code}/pay` — form token (CSRF) + amount → a JSAPI order → the wallet call;
//! - `GET /cashier/o/{order_no}?exp&sig` and `POST …/pay` — the same for a CASHIER order;
//! - `GET /cashier/r/{order_no}?t` and `…/status` — the result page and its polling.

mod code;
mod errors;
mod order;
pub mod pages;

use crate::state::AppState;
use juhe_domain::cashier::service_pay::{PayForm, Paying};
use juhe_domain::cashier::{CashierError, Target, cashier_way, parse_wallet};
use juhe_domain::payments::way::Wallet;
use juhe_domain::validate::FieldError;
use poem::http::StatusCode;
use poem::{Request, Response, Route, get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn routes() -> Route {
    Route::new()
        .at("/:code", get(code::visit))
        .at("/:code/pay", post(code::pay))
        .at("/o/:order_no", get(order::visit))
        .at("/o/:order_no/pay", post(order::pay))
        .at("/r/:order_no", get(order::result_page))
        .at("/r/:order_no/status", get(order::status))
}

/// Pages are never cached, framed, or allowed to load anything from elsewhere.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header("Cache-Control", "no-store")
        .header("X-Frame-Options", "DENY")
        .header("Content-Security-Policy", CSP)
        .body(body)
}

pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .header("Cache-Control", "no-store")
        .body(body.to_string())
}

/// The wallet the browser belongs to, if the cashier can pay through it.
fn payable_wallet(req: &Request) -> Result<Wallet, Option<Wallet>> {
    match req.header("user-agent").and_then(Wallet::from_user_agent) {
        Some(w) if cashier_way(w).is_some() => Ok(w),
        other => Err(other),
    }
}

/// The code and `state` a wallet's OAuth step sends back (WeChat `code`, Alipay `auth_code`).
fn oauth_back(q: &HashMap<String, String>) -> Option<(&str, &str)> {
    let code = q.get("auth_code").or_else(|| q.get("code"))?;
    Some((code.as_str(), q.get("state")?.as_str()))
}

/// Sends the browser through the wallet's OAuth step, back to `here`.
async fn to_wallet(state: &AppState, target: &Target, wallet: Wallet, here: &str) -> Response {
    match state.cashier.payer_auth_url(target, wallet, here).await {
        Ok(url) => Response::builder()
            .status(StatusCode::FOUND)
            .header("Location", url)
            .header("Cache-Control", "no-store")
            .finish(),
        Err(e) => errors::page(&e),
    }
}

/// A posted form is refused when the browser says it came from another site.
fn same_origin(req: &Request, state: &AppState) -> bool {
    let Some(origin) = req.header("origin") else { return true };
    let ours: Vec<&str> = state.config.public_url.splitn(4, '/').take(3).collect();
    origin.trim_end_matches('/') == ours.join("/")
}

/// Yuan as typed (`12`, `12.3`, `12.34`) → fen; anything else is `None`.
fn parse_yuan(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 8 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    Some(whole * 100 + frac)
}

/// The posted amount form as the domain takes it.
fn pay_form(
    req: &Request,
    state: &AppState,
    target: Target,
    f: &HashMap<String, String>,
    with_amount: bool,
) -> Result<PayForm, CashierError> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let wallet = parse_wallet(get("wallet")).ok_or(CashierError::BadToken)?;
    let amount = if with_amount {
        Some(parse_yuan(get("amount")).ok_or_else(|| FieldError::new("amount", "yuan with at most 2 decimals"))?)
    } else {
        None
    };
    Ok(PayForm {
        target,
        wallet,
        payer_id: get("payer").to_owned(),
        token: get("token").to_owned(),
        amount,
        client_ip: crate::http::client_ip::client_ip(req, state.config.trust_proxy_headers),
    })
}

/// What the page's script needs to invoke the wallet (or, with the sandboxes on, to pay the
/// sandbox), and where the result page is.
fn pay_answer(state: &AppState, paying: &Paying) -> Response {
    let o = &paying.order;
    let unpaid = !(o.status.is_paid() || o.status.is_final_unpaid());
    let sandbox_pay_url = match (&state.sandboxes, o.channel) {
        (Some(_), Some(channel)) if unpaid => Some(format!("/sandbox/{}/simulate/pay", channel.as_str())),
        _ => None,
    };
    json(
        StatusCode::OK,
        &json!({
            "order_no": o.order_no,
            "status": o.status.as_str(),
            "amount": o.amount.0,
            "wallet": o.channel.map(|c| c.as_str()),
            "invoke": o.pay_data,
            "result_url": format!("/cashier/r/{}?t={}", o.order_no, paying.result_token),
            "sandbox_pay_url": sandbox_pay_url,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_amounts() {
        assert_eq!(parse_yuan("12"), Some(1200));
        assert_eq!(parse_yuan("12.3"), Some(1230));
        assert_eq!(parse_yuan("0.05"), Some(5));
        assert_eq!(parse_yuan(" 1.00 "), Some(100));
        for bad in ["", ".5", "1.234", "-1", "1e3", "abc", "123456789", "1.2.3"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}

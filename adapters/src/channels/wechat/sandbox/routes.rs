//! The sandbox's HTTP surface: one entry for the signed API (authenticate → planned fault →
//! operation → signed answer) and the unsigned control endpoints.

use super::super::protocol::{CodepayRequest, PrepayRequest, RefundCreate};
use super::model::{ApiError, Event, fail, param};
use super::{FaultMode, TIMEOUT_FAULT_DELAY, WechatSandbox, control, oauth, respond, tradebill, validate};
use poem::endpoint::make;
use poem::http::Method;
use poem::{Request, Response, Route, get, post};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// Request bodies above this are refused (WeChat's own limit is far smaller for these APIs).
const MAX_BODY: usize = 1 << 20;
const PARTNER: &str = "/v3/pay/partner/transactions/";

pub(super) fn routes(sandbox: Arc<WechatSandbox>) -> Route {
    let (pay, fail_next, bill, forged) = (sandbox.clone(), sandbox.clone(), sandbox.clone(), sandbox.clone());
    let (authorize, token, calls) = (sandbox.clone(), sandbox.clone(), sandbox.clone());
    let api = sandbox;
    Route::new()
        .at("/simulate/pay", post(make(move |req| control::simulate_pay(pay.clone(), req))))
        .at("/simulate/fail-next", post(make(move |req| control::fail_next(fail_next.clone(), req))))
        .at("/simulate/forged-notify", post(make(move |req| control::forged_notify(forged.clone(), req))))
        .at("/bill", get(make(move |req| control::bill(bill.clone(), req))))
        .at("/calls", get(make(move |_| control::calls(calls.clone()))))
        .at("/oauth2/authorize", get(make(move |req| oauth::authorize(authorize.clone(), req))))
        .at("/sns/oauth2/access_token", get(make(move |req| oauth::access_token(token.clone(), req))))
        .at("/v3/*rest", make(move |req| handle(api.clone(), req)))
}

async fn handle(sb: Arc<WechatSandbox>, mut req: Request) -> Response {
    let Ok(body) = req.take_body().into_bytes_limit(MAX_BODY).await else {
        return respond::error(&sb, &param("请求体过大或不可读"));
    };
    // WeChat signs "the URL minus the domain": the path the client asked for, with the prefix
    // the sandbox is mounted at, and the query.
    let requested = req.original_uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let auth = respond::authenticate(&sb, req.header("Authorization"), req.method().as_str(), &requested, &body);
    if let Err(err) = auth {
        return respond::error(&sb, &err);
    }
    sb.count_call(format!("{} {}", req.method(), req.uri().path()));
    let fault = sb.take_fault();
    if fault == Some(FaultMode::Error) {
        return respond::error(&sb, &fail(500, "SYSTEM_ERROR", "系统错误"));
    }
    let answer = dispatch(&sb, &req, &body);
    match fault {
        Some(FaultMode::Timeout) => {
            // The realistic worst case: the operation happened, the caller gave up waiting.
            tokio::time::sleep(TIMEOUT_FAULT_DELAY).await;
            answer
        }
        Some(FaultMode::LostReply) => respond::lost(),
        _ => answer,
    }
}

fn dispatch(sb: &WechatSandbox, req: &Request, body: &[u8]) -> Response {
    let id = &sb.identity;
    let path = req.uri().path();
    let query: HashMap<String, String> = req.params().unwrap_or_default();
    let q = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let now = sb.now();
    let is_post = req.method() == Method::POST;
    let result = if let Some(rest) = path.strip_prefix(PARTNER) {
        let segments: Vec<&str> = rest.split('/').collect();
        match (is_post, segments.as_slice()) {
            (true, [kind @ ("jsapi" | "app" | "h5" | "native")]) => prepay(sb, kind, body, now),
            (true, ["codepay"]) => codepay(sb, body, now),
            (false, ["out-trade-no", no]) => validate::sp(id, q("sp_mchid"), None)
                .and_then(|()| validate::sub_mchid(id, q("sub_mchid")))
                .and_then(|()| sb.book().query(q("sub_mchid"), no).map(|tx| respond::json(sb, 200, &tx))),
            (false, ["id", tx_id]) => validate::sp(id, q("sp_mchid"), None)
                .and_then(|()| validate::sub_mchid(id, q("sub_mchid")))
                .and_then(|()| sb.book().query_by_id(q("sub_mchid"), tx_id).map(|tx| respond::json(sb, 200, &tx))),
            (true, ["out-trade-no", no, "close"]) => close(sb, no, body),
            (true, ["out-trade-no", no, "reverse"]) => reverse(sb, no, body),
            _ => Err(not_found()),
        }
    } else {
        match (is_post, path) {
            (true, "/v3/refund/domestic/refunds") => refund(sb, body, now),
            (false, _) if path.starts_with("/v3/refund/domestic/refunds/") => {
                let no = path.trim_start_matches("/v3/refund/domestic/refunds/");
                validate::sub_mchid(id, q("sub_mchid"))
                    .and_then(|()| sb.book().refund_query(q("sub_mchid"), no).map(|r| respond::json(sb, 200, &r)))
            }
            (false, "/v3/bill/tradebill") => tradebill::link(sb, req, &query),
            (false, "/v3/billdownload/file") => tradebill::download(sb, q("token")),
            _ => Err(not_found()),
        }
    };
    result.unwrap_or_else(|err| respond::error(sb, &err))
}

fn not_found() -> ApiError {
    fail(404, "NOT_FOUND", "请求的资源不存在")
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| param(format!("请求参数格式错误: {e}")))
}

fn prepay(sb: &WechatSandbox, kind: &str, body: &[u8], now: OffsetDateTime) -> Result<Response, ApiError> {
    let trade_type = match kind {
        "jsapi" => "JSAPI",
        "app" => "APP",
        "h5" => "MWEB",
        _ => "NATIVE",
    };
    let req: PrepayRequest = decode(body)?;
    let checked = validate::prepay(&sb.identity, trade_type, &req)?;
    let prepay = sb.book().prepay(trade_type, &req, checked, now)?;
    Ok(respond::json(sb, 200, &prepay))
}

fn codepay(sb: &WechatSandbox, body: &[u8], now: OffsetDateTime) -> Result<Response, ApiError> {
    let req: CodepayRequest = decode(body)?;
    validate::codepay(&sb.identity, &req)?;
    let tx = sb.book().codepay(&req, now)?;
    Ok(respond::json(sb, 200, &tx))
}

#[derive(serde::Deserialize)]
struct Parties {
    sp_mchid: String,
    #[serde(default)]
    sp_appid: Option<String>,
    #[serde(default)]
    sub_appid: Option<String>,
    sub_mchid: String,
}

impl Parties {
    fn check(&self, sb: &WechatSandbox) -> Result<(), ApiError> {
        validate::sp(&sb.identity, &self.sp_mchid, self.sp_appid.as_deref())?;
        validate::sub_mchid(&sb.identity, &self.sub_mchid)?;
        validate::sub_appid(&sb.identity, &self.sub_mchid, self.sub_appid.as_deref())
    }
}

fn close(sb: &WechatSandbox, no: &str, body: &[u8]) -> Result<Response, ApiError> {
    let parties: Parties = decode(body)?;
    parties.check(sb)?;
    sb.book().close(&parties.sub_mchid, no)?;
    Ok(respond::no_content(sb))
}

fn reverse(sb: &WechatSandbox, no: &str, body: &[u8]) -> Result<Response, ApiError> {
    let parties: Parties = decode(body)?;
    parties.check(sb)?;
    sb.book().reverse(&parties.sub_mchid, no)?;
    Ok(respond::no_content(sb))
}

fn refund(sb: &WechatSandbox, body: &[u8], now: OffsetDateTime) -> Result<Response, ApiError> {
    let req: RefundCreate = decode(body)?;
    validate::refund(&sb.identity, &req)?;
    let mut events: Vec<Event> = Vec::new();
    let answer = {
        let mut book = sb.book();
        let (answer, new) = book.refund(&req, now)?;
        // Refunds to the payer's balance settle within moments: answered PROCESSING, then done.
        if new {
            events.extend(book.settle_refund(&req.sub_mchid, &req.out_refund_no, now));
        }
        answer
    };
    sb.notify(events);
    Ok(respond::json(sb, 200, &answer))
}

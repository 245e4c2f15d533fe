//! Sandbox only: a stand-in for Alipay's web authorization, so one-code pay can learn a payer's
//! `user_id` without a real Alipay app. Silent `auth_base` only: the "payer" is a fresh
//! `2088…` user per authorization.
//!
//! - `GET /oauth2/publicAppAuthorize.htm?app_id&scope=auth_base&redirect_uri&state` → 302 to
//!   `redirect_uri?app_id=…&source=alipay_wallet&scope=auth_base&auth_code=…&state=…`
//!   (single-use code, valid 5 minutes);
//! - gateway method `alipay.system.oauth.token` (`grant_type=authorization_code`, `code`) →
//!   `{user_id, access_token, expires_in, refresh_token, re_expires_in, auth_start}`, or an
//!   `error_response` with `isv.code-invalid`.

use super::super::oauth::OAUTH_TOKEN;
use super::AlipaySandbox;
use super::keys::random_digits;
use poem::http::StatusCode;
use poem::{Request, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const CODE_TTL: Duration = Duration::from_secs(300);
const MAX_CODES: usize = 10_000;

/// `code`, `msg`, `sub_code`, `sub_msg` of a refusal.
pub type Refusal = (&'static str, &'static str, &'static str, &'static str);

/// Authorization codes issued and not yet exchanged: code → (user_id, issued).
#[derive(Default)]
pub struct Codes(Mutex<HashMap<String, (String, Instant)>>);

impl Codes {
    fn issue(&self) -> String {
        let code = format!("sbx{}", uuid::Uuid::new_v4().simple());
        let user_id = format!("2088{}", random_digits(12));
        let mut codes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        codes.retain(|_, (_, issued)| issued.elapsed() < CODE_TTL);
        if codes.len() >= MAX_CODES {
            codes.clear();
        }
        codes.insert(code.clone(), (user_id, Instant::now()));
        code
    }

    fn spend(&self, code: &str) -> Option<String> {
        let mut codes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (user_id, issued) = codes.remove(code)?;
        (issued.elapsed() < CODE_TTL).then_some(user_id)
    }
}

fn text(status: StatusCode, body: &str) -> Response {
    Response::builder().status(status).content_type("text/plain; charset=utf-8").body(body.to_owned())
}

/// `GET /oauth2/publicAppAuthorize.htm`: authorizes silently and sends the browser back.
pub async fn authorize(sandbox: &AlipaySandbox, req: Request) -> Response {
    let q: HashMap<String, String> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if get("app_id") != sandbox.keys.app_id {
        return text(StatusCode::BAD_REQUEST, "支付宝沙箱: app_id 无效");
    }
    if !matches!(get("scope"), "auth_base" | "auth_user") {
        return text(StatusCode::BAD_REQUEST, "支付宝沙箱: scope 应为 auth_base");
    }
    let redirect = get("redirect_uri");
    let valid = (redirect.starts_with("https://") || redirect.starts_with("http://"))
        && !redirect.contains(char::is_whitespace)
        && redirect.len() <= 1024;
    if !valid {
        return text(StatusCode::BAD_REQUEST, "支付宝沙箱: redirect_uri 无效");
    }
    let back = form_urlencoded::Serializer::new(String::new())
        .append_pair("app_id", get("app_id"))
        .append_pair("source", "alipay_wallet")
        .append_pair("scope", get("scope"))
        .append_pair("auth_code", &sandbox.oauth.issue())
        .append_pair("state", get("state"))
        .finish();
    let joiner = if redirect.contains('?') { '&' } else { '?' };
    Response::builder().status(StatusCode::FOUND).header("Location", format!("{redirect}{joiner}{back}")).finish()
}

/// `alipay.system.oauth.token`: the answer object, or the refusal for `error_response`.
pub fn token(sandbox: &AlipaySandbox, params: &HashMap<String, String>) -> Result<Map<String, Value>, Refusal> {
    debug_assert!(params.get("method").is_some_and(|m| m == OAUTH_TOKEN));
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    if get("grant_type") != "authorization_code" {
        return Err(("40002", "Invalid Arguments", "isv.grant-type-invalid", "不支持的授权类型"));
    }
    let Some(user_id) = sandbox.oauth.spend(get("code")) else {
        return Err(("40002", "Invalid Arguments", "isv.code-invalid", "授权码code无效"));
    };
    let answer = json!({
        "user_id": user_id,
        "access_token": format!("authbseB{}", uuid::Uuid::new_v4().simple()),
        "expires_in": 1296000,
        "refresh_token": format!("authbseR{}", uuid::Uuid::new_v4().simple()),
        "re_expires_in": 2592000,
        "auth_start": super::super::protocol::format_time(sandbox.clock.now()),
    });
    Ok(answer.as_object().cloned().unwrap_or_default())
}

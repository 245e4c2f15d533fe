//! Sandbox only: a stand-in for WeChat's web authorization (网页授权), so one-code pay can learn
//! a payer's openid without a real WeChat. Silent `snsapi_base` only: the "payer" is a fresh
//! openid per authorization.
//!
//! - `GET /oauth2/authorize?appid&redirect_uri&response_type=code&scope=snsapi_base&state`
//!   → 302 to `redirect_uri?code=…&state=…` (the code is single-use, valid 5 minutes);
//! - `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`
//!   → `{access_token, expires_in, refresh_token, openid, scope}` or `{errcode, errmsg}`
//!   (40013 invalid appid, 40125 invalid appsecret, 40029 invalid code, 40002 invalid grant_type).
//!
//! The app secret is derived from the sandbox's persisted API v3 key, so it survives restarts.

use super::super::sign::random_from;
use super::WechatSandbox;
use super::keys::Identity;
use aws_lc_rs::digest;
use poem::http::StatusCode;
use poem::{Request, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CODE_TTL: Duration = Duration::from_secs(300);
/// Outstanding codes kept at most (older ones are dropped first when full).
const MAX_CODES: usize = 10_000;
const OPENID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

struct Grant {
    appid: String,
    openid: String,
    issued: Instant,
}

/// Authorization codes issued and not yet exchanged.
#[derive(Default)]
pub(super) struct Codes(Mutex<HashMap<String, Grant>>);

impl Codes {
    fn issue(&self, appid: &str) -> (String, String) {
        let code = random_from(OPENID_ALPHABET, 32);
        let openid = format!("o{}", random_from(OPENID_ALPHABET, 27));
        let mut codes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        codes.retain(|_, g| g.issued.elapsed() < CODE_TTL);
        if codes.len() >= MAX_CODES {
            codes.clear();
        }
        codes.insert(code.clone(), Grant { appid: appid.to_owned(), openid: openid.clone(), issued: Instant::now() });
        (code, openid)
    }

    /// Spends a code: the openid when it was issued for `appid` and is still fresh.
    fn spend(&self, code: &str, appid: &str) -> Option<String> {
        let mut codes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let grant = codes.remove(code)?;
        (grant.appid == appid && grant.issued.elapsed() < CODE_TTL).then_some(grant.openid)
    }
}

/// The AppSecret of the sandbox's `sp_appid` (32 hex characters, as WeChat's).
pub(crate) fn app_secret(id: &Identity) -> String {
    let seed = format!("juhe-wechat-sandbox-oauth\n{}", id.api_v3_key_text.expose());
    hex::encode(digest::digest(&digest::SHA256, seed.as_bytes()))[..32].to_owned()
}

fn text(status: StatusCode, body: &str) -> Response {
    Response::builder().status(status).content_type("text/plain; charset=utf-8").body(body.to_owned())
}

fn answer(body: Value) -> Response {
    Response::builder().content_type("application/json; charset=utf-8").body(body.to_string())
}

/// `GET /oauth2/authorize`: authorizes silently and sends the browser back with a code.
pub(super) async fn authorize(sb: Arc<WechatSandbox>, req: Request) -> Response {
    let q: HashMap<String, String> = req.params().unwrap_or_default();
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    if get("appid") != sb.identity.sp_appid {
        return text(StatusCode::BAD_REQUEST, "微信沙箱: appid 无效 (40013)");
    }
    if get("response_type") != "code" || !matches!(get("scope"), "snsapi_base" | "snsapi_userinfo") {
        return text(StatusCode::BAD_REQUEST, "微信沙箱: response_type 应为 code, scope 应为 snsapi_base");
    }
    let redirect = get("redirect_uri");
    let valid_redirect = (redirect.starts_with("https://") || redirect.starts_with("http://"))
        && !redirect.contains(char::is_whitespace)
        && redirect.len() <= 1024;
    if !valid_redirect {
        return text(StatusCode::BAD_REQUEST, "微信沙箱: redirect_uri 无效");
    }
    let (code, _) = sb.oauth.issue(get("appid"));
    let back = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("state", get("state"))
        .finish();
    let joiner = if redirect.contains('?') { '&' } else { '?' };
    Response::builder().status(StatusCode::FOUND).header("Location", format!("{redirect}{joiner}{back}")).finish()
}

/// `GET /sns/oauth2/access_token`: the code for the payer's openid (single use).
pub(super) async fn access_token(sb: Arc<WechatSandbox>, req: Request) -> Response {
    let q: HashMap<String, String> = req.params().unwrap_or_default();
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let fail = |code: i64, msg: &str| answer(json!({ "errcode": code, "errmsg": msg }));
    if get("grant_type") != "authorization_code" {
        return fail(40002, "invalid grant_type");
    }
    if get("appid") != sb.identity.sp_appid {
        return fail(40013, "invalid appid");
    }
    if get("secret") != app_secret(&sb.identity) {
        return fail(40125, "invalid appsecret");
    }
    match sb.oauth.spend(get("code"), get("appid")) {
        Some(openid) => answer(json!({
            "access_token": format!("SBX_AT_{}", random_from(OPENID_ALPHABET, 40)),
            "expires_in": 7200,
            "refresh_token": format!("SBX_RT_{}", random_from(OPENID_ALPHABET, 40)),
            "openid": openid,
            "scope": "snsapi_base",
        })),
        None => fail(40029, "invalid code"),
    }
}

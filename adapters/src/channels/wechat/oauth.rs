//! WeChat web authorization (网页授权, `snsapi_base`) for one-code pay: the payer's browser is
//! sent to WeChat's authorize page and comes back with a `code`, which the server exchanges at
//! `/sns/oauth2/access_token` for the payer's `openid` of the service provider's official
//! account (`sp_appid`). JSAPI orders then name that payer as `sp_openid` (a binding with its own
//! `sub_appid` would need the merchant's account authorization and is not served here).
//!
//! Account keys: `config.oauth_authorize_url` (default WeChat's), `config.oauth_api_url`
//! (default `https://api.weixin.qq.com`), `secrets.oauth_app_secret` (the AppSecret of
//! `sp_appid`). The sandbox provisions all three.

use juhe_domain::channels::{ChannelContext, ChannelError, ChannelResult};
use serde_json::Value;

pub(crate) const DEFAULT_AUTHORIZE_URL: &str = "https://open.weixin.qq.com/connect/oauth2/authorize";
pub(crate) const DEFAULT_API_URL: &str = "https://api.weixin.qq.com";

/// Answers are tiny JSON objects.
const MAX_ANSWER: usize = 16 * 1024;

fn config_or<'a>(ctx: &'a ChannelContext, key: &str, default: &'a str) -> &'a str {
    ctx.account.config.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty()).unwrap_or(default)
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `…/connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=snsapi_base&state=…#wechat_redirect`
pub(crate) fn authorize_url(ctx: &ChannelContext, redirect_uri: &str, state: &str) -> ChannelResult<String> {
    let base = config_or(ctx, "oauth_authorize_url", DEFAULT_AUTHORIZE_URL).trim_end_matches('/');
    let appid = ctx.config_str("sp_appid")?;
    Ok(format!(
        "{base}?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}#wechat_redirect",
        encode(appid),
        encode(redirect_uri),
        encode(state)
    ))
}

/// Exchanges the authorization code for the payer's openid. A WeChat error (`errcode`) is a
/// decline (the code is spent or forged); no money is involved either way.
pub(crate) async fn openid(http: &reqwest::Client, ctx: &ChannelContext, code: &str) -> ChannelResult<String> {
    let api = config_or(ctx, "oauth_api_url", DEFAULT_API_URL).trim_end_matches('/');
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("appid", ctx.config_str("sp_appid")?)
        .append_pair("secret", ctx.secret_str("oauth_app_secret")?)
        .append_pair("code", code)
        .append_pair("grant_type", "authorization_code")
        .finish();
    let resp = http.get(format!("{api}/sns/oauth2/access_token?{query}")).send().await.map_err(|e| {
        if e.is_builder() {
            ChannelError::Config(format!("oauth_api_url: {e}"))
        } else if e.is_connect() {
            ChannelError::Unreachable(e.to_string())
        } else {
            ChannelError::Unknown(e.to_string())
        }
    })?;
    let body = resp.bytes().await.map_err(|e| ChannelError::Unknown(e.to_string()))?;
    if body.len() > MAX_ANSWER {
        return Err(ChannelError::Unknown("oauth answer too large".into()));
    }
    let answer: Value =
        serde_json::from_slice(&body).map_err(|e| ChannelError::Unknown(format!("unreadable oauth answer: {e}")))?;
    if let Some(errcode) = answer.get("errcode").and_then(Value::as_i64).filter(|c| *c != 0) {
        let message = answer.get("errmsg").and_then(Value::as_str).unwrap_or_default().to_owned();
        return Err(ChannelError::Declined { code: errcode.to_string(), message });
    }
    answer
        .get("openid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ChannelError::Unknown("oauth answer without openid".into()))
}

//! Alipay web authorization (网页授权, `auth_base`) for one-code pay: the payer's browser is
//! sent to Alipay's `publicAppAuthorize.htm` and comes back with an `auth_code`, which the
//! server exchanges through the gateway (`alipay.system.oauth.token`) for the payer's `user_id`
//! (`2088…`) — or `open_id` for apps on OpenID — of the ISV app. The ISV app authorizes itself:
//! no `app_auth_token` is sent.
//!
//! Account key: `config.oauth_authorize_url` (default Alipay's); the sandbox provisions it.

use super::account::Account;
use super::key_cache::KeyCache;
use super::mapping::failure;
use super::transport;
use juhe_domain::channels::{ChannelContext, ChannelError, ChannelResult};
use serde_json::{Value, json};

pub const OAUTH_TOKEN: &str = "alipay.system.oauth.token";
pub const DEFAULT_AUTHORIZE_URL: &str = "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm";
/// Account `config` key of the authorize page.
pub const OAUTH_AUTHORIZE_URL: &str = "oauth_authorize_url";

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `publicAppAuthorize.htm?app_id=…&scope=auth_base&redirect_uri=…&state=…`
pub fn authorize_url(ctx: &ChannelContext, redirect_uri: &str, state: &str) -> ChannelResult<String> {
    let base = ctx
        .account
        .config
        .get(OAUTH_AUTHORIZE_URL)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(DEFAULT_AUTHORIZE_URL);
    let app_id = ctx.config_str(super::account::APP_ID)?;
    Ok(format!(
        "{base}?app_id={}&scope=auth_base&redirect_uri={}&state={}",
        encode(app_id),
        encode(redirect_uri),
        encode(state)
    ))
}

/// Exchanges the `auth_code` for the payer's id. A verified failure (spent or forged code) is a
/// decline; no money is involved either way.
pub async fn user_id(
    http: &reqwest::Client,
    keys: &KeyCache,
    ctx: &ChannelContext,
    code: &str,
    now: time::OffsetDateTime,
) -> ChannelResult<String> {
    let mut own = ctx.clone();
    own.binding = None;
    let account = Account::from_ctx(&own, keys, now).await?;
    let extra = [("grant_type", "authorization_code"), ("code", code)];
    let reply = transport::call(http, &account, OAUTH_TOKEN, &json!({}), &extra).await?;
    // A success carries no `code`; a failure carries one other than 10000.
    if !reply.code().is_empty() && !reply.is_success() {
        return Err(failure(OAUTH_TOKEN, &reply));
    }
    reply
        .str("user_id")
        .or(reply.str("open_id"))
        .map(str::to_owned)
        .ok_or_else(|| ChannelError::Unknown(format!("{OAUTH_TOKEN}: answer without user_id or open_id")))
}

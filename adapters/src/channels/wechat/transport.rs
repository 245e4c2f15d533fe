//! One signed call to WeChat Pay and the verification of its answer.
//!
//! Every answer, success or error, must carry a valid platform signature within the ±300 s
//! window before anything in it is believed; an answer that cannot be verified (or a transport
//! failure after the request may have left) is `Unknown`: the request may have taken effect.
//! Only a failure to connect at all is `Unreachable`. How a verified error answer is read depends
//! on the operation: see [`Failure::into_error`].

use super::account::Account;
use super::protocol::ErrorBody;
use super::sign::{Authorization, H_SERIAL, WechatpaySignature};
use juhe_domain::channels::{ChannelError, ChannelResult};
use juhe_domain::clock::Clock;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

const AGENT: &str = concat!("juhe/", env!("CARGO_PKG_VERSION"), " (wechatpay-apiv3)");

/// A verified answer.
pub(crate) enum Answer {
    /// 2xx, body as received (empty for 204).
    Success(Vec<u8>),
    /// Verified non-2xx with WeChat's error body (or none).
    Failure(Failure),
}

#[derive(Debug)]
pub(crate) struct Failure {
    pub status: u16,
    /// WeChat's error `code`; `None` when the verified answer had no error body.
    pub code: Option<String>,
    pub message: String,
}

/// What an operation risks, which decides how an explicit error answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stakes {
    /// Order creation (jsapi/native/h5/app): an explicit, verified error — 4xx, or 5xx with a
    /// WeChat error body such as SYSTEM_ERROR — means no prepay id was issued, so nothing is
    /// payable: `Declined` (safe to fail over).
    Creation,
    /// Barcode pay, reverse, refund, close and the read-only calls: a 5xx, SYSTEM_ERROR,
    /// BANKERROR or USERPAYING answer leaves the outcome open: `Unknown` (money may have moved).
    /// Any other verified 4xx is `Declined`.
    Effectful,
}

/// Codes that never settle the outcome of an effectful call.
const AMBIGUOUS_CODES: [&str; 3] = ["SYSTEM_ERROR", "BANKERROR", "USERPAYING"];

impl Failure {
    pub(crate) fn is_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    pub(crate) fn into_error(self, stakes: Stakes) -> ChannelError {
        let described = format!("HTTP {}: {}", self.status, self.message);
        match (stakes, self.code) {
            (Stakes::Creation, Some(code)) => ChannelError::Declined { code, message: self.message },
            (Stakes::Creation, None) if self.status < 500 => {
                ChannelError::Declined { code: format!("HTTP_{}", self.status), message: self.message }
            }
            (Stakes::Effectful, Some(code)) if self.status < 500 && !AMBIGUOUS_CODES.contains(&code.as_str()) => {
                ChannelError::Declined { code, message: self.message }
            }
            (Stakes::Effectful, None) if self.status < 500 => {
                ChannelError::Declined { code: format!("HTTP_{}", self.status), message: self.message }
            }
            _ => ChannelError::Unknown(described),
        }
    }
}

/// Sends one signed request. `path_and_query` is relative to the account's base URL; what is
/// signed is the whole path and query of the URL called (see [`send`]).
pub(crate) async fn call<B: Serialize>(
    http: &reqwest::Client,
    clock: &dyn Clock,
    account: &Account,
    method: Method,
    path_and_query: &str,
    body: Option<&B>,
) -> ChannelResult<Answer> {
    let (status, headers, received) = send(http, clock, account, method, path_and_query, body).await?;
    let now = clock.now().unix_timestamp();
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    WechatpaySignature::from_headers(get)
        .and_then(|sig| sig.verify(&account.platform, &received, now))
        .map_err(|err| ChannelError::Unknown(format!("unverifiable answer (HTTP {status}): {err}")))?;
    if (200..300).contains(&status) {
        return Ok(Answer::Success(received));
    }
    if status < 400 {
        return Err(ChannelError::Unknown(format!("unexpected HTTP {status}")));
    }
    let failure = match serde_json::from_slice::<ErrorBody>(&received) {
        Ok(err) if !err.code.is_empty() => Failure { status, code: Some(err.code), message: err.message },
        _ => Failure { status, code: None, message: format!("HTTP {status} without an error body") },
    };
    Ok(Answer::Failure(failure))
}

/// Downloads a bill file: the request is signed, the answer is not (WeChat checks it by hash).
pub(crate) async fn download(
    http: &reqwest::Client,
    clock: &dyn Clock,
    account: &Account,
    path_and_query: &str,
) -> ChannelResult<Vec<u8>> {
    let (status, _, body) = send::<()>(http, clock, account, Method::GET, path_and_query, None).await?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(ChannelError::Unknown(format!("bill download answered HTTP {status}")))
    }
}

async fn send<B: Serialize>(
    http: &reqwest::Client,
    clock: &dyn Clock,
    account: &Account,
    method: Method,
    path_and_query: &str,
    body: Option<&B>,
) -> ChannelResult<(u16, HeaderMap, Vec<u8>)> {
    let payload = match body {
        Some(b) => serde_json::to_vec(b).map_err(|e| ChannelError::Config(format!("cannot encode request: {e}")))?,
        None => Vec::new(),
    };
    let url = Url::parse(&format!("{}{}", account.base_url, path_and_query))
        .map_err(|e| ChannelError::Config(format!("bad base_url or path: {e}")))?;
    let now = clock.now().unix_timestamp();
    let auth = Authorization::sign(
        &account.private_key,
        &account.sp_mchid,
        &account.serial_no,
        method.as_str(),
        &signed_target(&url),
        &payload,
        now,
    )
    .map_err(|e| ChannelError::Config(format!("cannot sign with private_key_pem: {e}")))?;
    let mut request = http
        .request(method, url)
        .header(AUTHORIZATION, auth.header_value())
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, AGENT)
        // Names the platform key we trust, as the official SDKs do.
        .header(H_SERIAL, account.platform.request_serial(now));
    if body.is_some() {
        request = request.header(CONTENT_TYPE, "application/json").body(payload);
    }
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let received = response.bytes().await.map_err(transport_error)?;
    Ok((status, headers, received.to_vec()))
}

/// WeChat signs "the URL minus the domain": the path exactly as sent — including any path the
/// base URL carries (the mounted sandbox's `/sandbox/wechat`) — and the query.
fn signed_target(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Only a failed connection proves the request never left; anything later may have acted.
fn transport_error(err: reqwest::Error) -> ChannelError {
    if err.is_builder() {
        ChannelError::Config(format!("bad request or base_url: {err}"))
    } else if err.is_connect() {
        ChannelError::Unreachable(err.to_string())
    } else {
        ChannelError::Unknown(err.to_string())
    }
}

/// Parses a verified success body; a body we cannot read is `Unknown` (it may report effects).
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> ChannelResult<T> {
    serde_json::from_slice(body).map_err(|e| ChannelError::Unknown(format!("unreadable answer: {e}")))
}

/// Order and refund numbers go into paths: only WeChat's allowed characters, never `/` or `?`.
pub(crate) fn path_segment(value: &str) -> ChannelResult<&str> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'|' | b'*' | b'@'));
    if ok {
        Ok(value)
    } else {
        Err(ChannelError::Declined { code: "PARAM_ERROR".into(), message: format!("invalid number `{value}`") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_target_is_the_whole_path_and_query_called() {
        let at_root = Url::parse("https://api.mch.weixin.qq.com/v3/bill/tradebill?bill_date=2024-03-07").expect("url");
        assert_eq!(signed_target(&at_root), "/v3/bill/tradebill?bill_date=2024-03-07");
        let mounted = Url::parse("http://127.0.0.1:8080/sandbox/wechat/v3/refund/domestic/refunds").expect("url");
        assert_eq!(signed_target(&mounted), "/sandbox/wechat/v3/refund/domestic/refunds");
    }
}

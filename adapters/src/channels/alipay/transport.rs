//! One gateway call: sign, POST, and accept only an answer whose signature checks out over the
//! exact text of its `*_response` object.
//!
//! Transport errors are classified here, once:
//! - DNS or connect failure (nothing was sent) → `Unreachable`;
//! - a bad gateway URL → `Config`;
//! - timeout, broken connection, HTTP status other than 200, an unreadable, unsigned or
//!   wrongly signed answer → `Unknown` (the request may have been acted on).
//!
//! What a verified answer means (declined or unknown) is decided per method by the caller.

use super::account::{Account, form_encode};
use super::protocol::Reply;
use super::sign::{self, Envelope};
use juhe_domain::channels::{ChannelError, ChannelResult};
use serde_json::Value;

/// Gateway answers are a few KiB; anything far larger is not Alipay.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Calls `method` with `biz_content` and returns the verified answer object.
pub async fn call(
    http: &reqwest::Client,
    account: &Account,
    method: &str,
    biz: &Value,
    extra: &[(&str, &str)],
) -> ChannelResult<Reply> {
    let params = account.signed_params(method, biz, extra);
    let sent = http
        .post(&account.gateway)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
        .body(form_encode(&params))
        .send()
        .await
        .map_err(|err| classify(method, &err))?;
    let status = sent.status();
    if status != reqwest::StatusCode::OK {
        return Err(ChannelError::Unknown(format!("{method}: gateway answered HTTP {}", status.as_u16())));
    }
    let body = read_capped(sent, MAX_ANSWER_BYTES).await.map_err(|err| match err {
        ReadError::Http(err) => classify(method, &err),
        ReadError::TooLarge => ChannelError::Unknown(format!("{method}: answer larger than {MAX_ANSWER_BYTES} bytes")),
    })?;
    let body = String::from_utf8(body).map_err(|_| ChannelError::Unknown(format!("{method}: answer is not UTF-8")))?;
    verify_answer(account, method, &body)
}

/// Checks an answer body and parses its response object.
fn verify_answer(account: &Account, method: &str, body: &str) -> ChannelResult<Reply> {
    let unknown = |why: &str| ChannelError::Unknown(format!("{method}: {why}"));
    let Some(Envelope { key, text, sign }) = sign::split_envelope(body, &sign::response_key(method)) else {
        return Err(unknown("unreadable answer"));
    };
    let Some(sign) = sign else {
        // Unsigned answers are not trusted; the code is shown for the operator only.
        let hint = Reply::parse(&text).map(|r| r.failure()).unwrap_or_default();
        return Err(unknown(&format!("unsigned {key} (not trusted): {} {}", hint.0, hint.1)));
    };
    if !account.keys.verify(&text, &sign) {
        return Err(unknown(&format!("{key} signature does not verify with the Alipay public key")));
    }
    Reply::parse(&text).ok_or_else(|| unknown("answer object is not a JSON object"))
}

fn classify(method: &str, err: &reqwest::Error) -> ChannelError {
    if err.is_builder() {
        return ChannelError::Config(format!("{method}: bad gateway URL: {err}"));
    }
    // A connect error (DNS, refused, TLS handshake, connect timeout) means nothing reached
    // Alipay; checked before `is_timeout`, which is also set for connect timeouts.
    if err.is_connect() {
        return ChannelError::Unreachable(format!("{method}: {err}"));
    }
    ChannelError::Unknown(format!("{method}: {err}"))
}

pub enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

/// The response body, refusing to buffer more than `max` bytes.
pub async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        if body.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

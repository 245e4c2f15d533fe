//! One gateway call: sign, POST the form, and accept only an answer that is a UnionPay message
//! signed with the key `unionpay_cert_id` names, about the same request (`reqType`, `orderNo`
//! and `merId` echoed).
//!
//! Transport errors are classified here, once:
//! - DNS or connect failure (nothing was sent) → `Unreachable`;
//! - a bad gateway URL → `Config`;
//! - timeout, broken connection, an answer that is unreadable, unsigned, wrongly signed or about
//!   another request → `Unknown` (the request may have been acted on);
//! - an HTTP status other than 200 → `Unknown`, unless the body is a verified UnionPay message
//!   with a failure `respCode`: the acquirer signed what happened, so that code is read like any
//!   other (the caller decides, per operation, whether it declines or leaves the outcome open).

use super::account::Account;
use super::message::Message;
use super::protocol::{code, field};
use juhe_domain::channels::{ChannelError, ChannelResult};

/// Gateway answers are a few KiB; anything far larger is not UnionPay.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Sends `msg` (signed here) and returns the verified answer, whatever its `respCode`.
pub async fn call(http: &reqwest::Client, account: &Account, mut msg: Message, max: usize) -> ChannelResult<Message> {
    let req_type = msg.get(field::REQ_TYPE).unwrap_or("").to_owned();
    account.keys.sign(&mut msg);
    let unknown = |why: String| ChannelError::Unknown(format!("{req_type}: {why}"));
    let sent = http
        .post(&account.gateway)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded;charset=utf-8")
        .body(msg.to_form())
        .send()
        .await
        .map_err(|err| classify(&req_type, &err))?;
    let status = sent.status().as_u16();
    let body = read_capped(sent, max).await.map_err(|err| match err {
        ReadError::Http(err) => classify(&req_type, &err),
        ReadError::TooLarge => unknown(format!("answer larger than {max} bytes")),
    })?;
    let Some(answer) = Message::parse_form(&body) else {
        return Err(unknown(format!("HTTP {status}: unreadable answer")));
    };
    if let Err(why) = account.keys.verify(&answer) {
        return Err(unknown(format!("HTTP {status}: answer not trusted ({why})")));
    }
    for key in [field::REQ_TYPE, field::ORDER_NO, field::MER_ID] {
        if answer.get(key) != msg.get(key) {
            return Err(unknown(format!("HTTP {status}: the answer is about another request (`{key}` differs)")));
        }
    }
    match answer.get(field::RESP_CODE) {
        None => Err(unknown(format!("HTTP {status}: answer without respCode"))),
        Some(code::SUCCESS) if status != 200 => Err(unknown(format!("HTTP {status} with a success respCode"))),
        Some(_) => Ok(answer),
    }
}

fn classify(req_type: &str, err: &reqwest::Error) -> ChannelError {
    if err.is_builder() {
        return ChannelError::Config(format!("{req_type}: bad gateway URL: {err}"));
    }
    // A connect error (DNS, refused, TLS handshake, connect timeout) means nothing reached the
    // acquirer; checked before `is_timeout`, which is also set for connect timeouts.
    if err.is_connect() {
        return ChannelError::Unreachable(format!("{req_type}: {err}"));
    }
    ChannelError::Unknown(format!("{req_type}: {err}"))
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

/// The response body, refusing to buffer more than `max` bytes.
async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        if body.len() + chunk.len() > max {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

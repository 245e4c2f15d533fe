//! The sandbox's side of message authentication: checking the caller's `Authorization` with
//! the service provider's public key, and signing every API answer with the platform key, both
//! at the sandbox clock's time. Also the answer that never arrives (`lost_reply`).

use super::super::sign::{
    Authorization, H_NONCE, H_REQUEST_ID, H_SERIAL, H_SIGNATURE, H_SIGNATURE_TYPE, H_TIMESTAMP, SCHEMA, VerifyError,
    WechatpaySignature,
};
use super::WechatSandbox;
use super::model::{ApiError, fail};
use poem::http::StatusCode;
use poem::{Body, Response};
use serde::Serialize;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Checks the `Authorization` header against the request as received (`path_and_query` is the
/// whole path the client asked for): our sp's mchid and certificate serial, the ±300 s window
/// and the signature.
pub(crate) fn authenticate(
    sb: &WechatSandbox,
    header: Option<&str>,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> Result<(), ApiError> {
    let id = &sb.identity;
    let refuse = |why: &str| fail(401, "SIGN_ERROR", format!("签名错误: {why}"));
    let auth = header.and_then(Authorization::parse).ok_or_else(|| refuse("Authorization 缺失或格式错误"))?;
    if auth.mchid != id.sp_mchid {
        return Err(refuse("商户号不存在"));
    }
    if auth.serial_no != id.sp_serial_no {
        return Err(refuse("商户证书序列号不存在"));
    }
    let now = sb.now().unix_timestamp();
    auth.verify(&id.sp_public_key, method, path_and_query, body, now).map_err(|err| match err {
        VerifyError::Stale => refuse("时间戳已过期"),
        _ => refuse("验签失败"),
    })
}

/// A JSON answer, signed.
pub(crate) fn json<T: Serialize>(sb: &WechatSandbox, status: u16, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => signed(sb, status, body),
        Err(err) => error(sb, &fail(500, "SYSTEM_ERROR", format!("系统错误: {err}"))),
    }
}

/// 204 No Content, signed over the empty body.
pub(crate) fn no_content(sb: &WechatSandbox) -> Response {
    signed(sb, 204, Vec::new())
}

pub(crate) fn error(sb: &WechatSandbox, err: &ApiError) -> Response {
    json(sb, err.status, &serde_json::json!({ "code": err.code, "message": err.message }))
}

fn signed(sb: &WechatSandbox, status: u16, body: Vec<u8>) -> Response {
    let now = sb.now().unix_timestamp();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder().status(status).header(H_REQUEST_ID, uuid::Uuid::new_v4().to_string());
    let (key, serial) = sb.identity.signer();
    match WechatpaySignature::sign(key, serial, &body, now) {
        Ok(sig) => {
            builder = builder
                .header(H_TIMESTAMP, sig.timestamp)
                .header(H_NONCE, sig.nonce)
                .header(H_SIGNATURE, sig.signature)
                .header(H_SERIAL, sig.serial)
                .header(H_SIGNATURE_TYPE, SCHEMA);
        }
        // Unsigned: the client must treat it as unverifiable, which is the truth.
        Err(err) => tracing::error!(error = %err, "wechat sandbox: cannot sign an answer"),
    }
    if body.is_empty() { builder.finish() } else { builder.content_type("application/json; charset=utf-8").body(body) }
}

/// An answer lost on the way back: its body fails at once, so the server cuts the connection
/// and the client is left not knowing what happened (the operation did).
pub(crate) fn lost() -> Response {
    Response::builder().content_type("application/json").body(Body::from_async_read(Cut))
}

struct Cut;

impl tokio::io::AsyncRead for Cut {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, _: &mut tokio::io::ReadBuf<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "wechat sandbox: reply lost")))
    }
}

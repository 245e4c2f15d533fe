//! Errors raised by the framework itself (unparseable JSON, wrong types, failed validators,
//! unknown routes, missing auth) get the same `{code, message, request_id}` body as ours.

use crate::error::ErrorBody;
use crate::http::request_id;
use poem::http::StatusCode;
use poem::{Error, IntoResponse, Response};

pub async fn to_response(err: Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let (status, code) = match status {
        StatusCode::NOT_FOUND => (status, "NOT_FOUND"),
        StatusCode::METHOD_NOT_ALLOWED => (status, "METHOD_NOT_ALLOWED"),
        StatusCode::UNAUTHORIZED => (status, "UNAUTHORIZED"),
        StatusCode::PAYLOAD_TOO_LARGE => (status, "PAYLOAD_TOO_LARGE"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
        s if s.is_client_error() => (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
        _ => {
            tracing::error!(error = %err, "unhandled framework error");
            (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
        }
    };
    let message = match code {
        "INTERNAL" => "internal error".to_owned(),
        "NOT_FOUND" => "no such route".to_owned(),
        "UNAUTHORIZED" => "missing or invalid bearer token".to_owned(),
        _ => err.to_string(),
    };
    let body = ErrorBody { code: code.to_owned(), message, request_id: request_id::current() };
    poem::web::Json(body).with_status(status).into_response()
}

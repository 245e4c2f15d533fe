//! Bounded request bodies: reads the body once with a size limit (chunked uploads included) and
//! answers `413 PAYLOAD_TOO_LARGE` past it, so no handler ever buffers an unbounded body.

use crate::error::ErrorBody;
use crate::http::request_id;
use poem::http::StatusCode;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

pub struct BodyLimit(pub usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint { inner: ep, limit: self.0 }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    limit: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req.header("content-length").and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > self.limit) {
            return Ok(too_large(self.limit));
        }
        let has_body = declared.is_some_and(|n| n > 0) || req.header("transfer-encoding").is_some();
        if has_body {
            match req.take_body().into_bytes_limit(self.limit).await {
                Ok(bytes) => req.set_body(Body::from(bytes)),
                Err(_) => return Ok(too_large(self.limit)),
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

fn too_large(limit: usize) -> Response {
    let body = ErrorBody {
        code: "PAYLOAD_TOO_LARGE".into(),
        message: format!("request body over {limit} bytes"),
        request_id: request_id::current(),
    };
    poem::web::Json(body).with_status(StatusCode::PAYLOAD_TOO_LARGE).into_response()
}

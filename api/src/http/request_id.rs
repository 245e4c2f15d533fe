//! A request id on every request: taken from `X-Request-Id` when sane, else generated; returned as
//! `Juhe-Request-Id`; every log line of the request carries it (tracing span), and error bodies
//! read it from a task-local.

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const HEADER: &str = "Juhe-Request-Id";

/// The current request's id (empty outside a request).
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

pub struct RequestId;

impl<E: Endpoint> Middleware<E> for RequestId {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequestIdEndpoint(ep)
    }
}

pub struct RequestIdEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let id = req
            .header("x-request-id")
            .filter(|v| (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
        let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
        let started = std::time::Instant::now();
        let result = REQUEST_ID.scope(id.clone(), self.0.call(req).instrument(span.clone())).await;
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if let Ok(v) = id.parse() {
            resp.headers_mut().insert(HEADER, v);
        }
        span.in_scope(|| {
            tracing::info!(
                status = resp.status().as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "request done"
            );
        });
        Ok(resp)
    }
}

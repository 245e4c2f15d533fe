//! What the Alipay and UnionPay sandboxes share: endpoints bound to the sandbox, planned
//! failures (`simulate/fail-next`), and the control endpoints' JSON bodies and `{code, message}`
//! errors.

use poem::endpoint::make;
use poem::http::StatusCode;
use poem::{Endpoint, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

pub(crate) fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!({ "code": code, "message": message }))
}

pub(crate) async fn json_body<T: for<'de> Deserialize<'de>>(req: &mut Request) -> Result<T, Response> {
    let bytes = req
        .take_body()
        .into_bytes_limit(64 << 10)
        .await
        .map_err(|_| problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "unreadable body"))?;
    serde_json::from_slice(&bytes).map_err(|err| problem(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &err.to_string()))
}

/// An endpoint that hands each request to `handler` with the sandbox.
pub(crate) fn endpoint<S, F, Fut>(sandbox: &Arc<S>, handler: F) -> impl Endpoint<Output = Response> + use<S, F, Fut>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, Request) -> Fut + Send + Sync,
    Fut: Future<Output = Response> + Send,
{
    let sandbox = sandbox.clone();
    make(move |req| handler(sandbox.clone(), req))
}

/// The next `count` gateway calls fail in `mode` (`simulate/fail-next`).
pub(crate) struct PlannedFailures<M>(Mutex<Option<(u32, M)>>);

impl<M: Copy> PlannedFailures<M> {
    pub(crate) fn none() -> Self {
        Self(Mutex::new(None))
    }

    pub(crate) fn plan(&self, count: u32, mode: M) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = (count > 0).then_some((count, mode));
    }

    /// Takes one pending failure, if any.
    pub(crate) fn take(&self) -> Option<M> {
        let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (count, mode) = (*pending)?;
        *pending = (count > 1).then_some((count - 1, mode));
        Some(mode)
    }
}

//! Open API (`/open/…`) request verification and response signing around the handlers.
//! The raw body is read once, verified against the signature, then handed on unchanged; the
//! response body is signed with the caller's key (`Juhe-Timestamp/Nonce/Signature` headers).

use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use crate::state::AppState;
use juhe_domain::apps::open_auth::{OpenCaller, SignedRequest};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::Arc;

pub struct OpenSigning {
    pub state: Arc<AppState>,
}

impl<E: Endpoint> Middleware<E> for OpenSigning {
    type Output = OpenSigningEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        OpenSigningEndpoint { inner: ep, state: self.state.clone() }
    }
}

pub struct OpenSigningEndpoint<E> {
    inner: E,
    state: Arc<AppState>,
}

impl<E: Endpoint> Endpoint for OpenSigningEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if !req.uri().path().starts_with("/open/") {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        // `BodyLimit` (outside this middleware) already bounded the body.
        let body = match req.take_body().into_bytes().await {
            Ok(b) => b,
            Err(e) => return Ok(ApiError::invalid(format!("unreadable body: {e}")).into_response()),
        };
        let path_with_query = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        let ip = client_ip(&req, self.state.config.trust_proxy_headers);
        let signed = SignedRequest {
            method: req.method().as_str(),
            path_with_query: &path_with_query,
            authorization: req.header("authorization"),
            body: &body,
            client_ip: ip.as_deref(),
        };
        let caller = match self.state.open_auth.verify(&signed).await {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(reason = %e, "open api request rejected");
                return Ok(ApiError::from(e).into_response());
            }
        };
        req.set_body(Body::from(body));
        req.extensions_mut().insert(caller.clone());
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            // Framework errors get the standard body here, before the response is signed.
            Err(e) => crate::http::fallback_errors::to_response(e).await,
        };
        Ok(self.sign(&caller, resp).await)
    }
}

impl<E> OpenSigningEndpoint<E> {
    async fn sign(&self, caller: &OpenCaller, mut resp: Response) -> Response {
        let bytes = match resp.take_body().into_bytes().await {
            Ok(b) => b,
            Err(e) => return ApiError::internal(e).into_response(),
        };
        let sig = self.state.open_auth.sign_response(caller, &bytes);
        let headers = resp.headers_mut();
        for (name, value) in
            [("Juhe-Timestamp", sig.timestamp), ("Juhe-Nonce", sig.nonce), ("Juhe-Signature", sig.signature)]
        {
            if let Ok(v) = value.parse() {
                headers.insert(name, v);
            }
        }
        resp.set_body(bytes);
        resp
    }
}

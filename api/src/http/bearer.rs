//! Bearer-token authentication of the admin API.

use crate::error::ApiError;
use crate::http::{client_ip::client_ip, request_id};
use crate::state::AppState;
use juhe_domain::identity::Caller;
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use std::sync::Arc;

/// A JWT access token from `POST /admin/v1/auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check")]
pub struct AdminAuth(pub Caller);

async fn check(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let state = req.data::<Arc<AppState>>().ok_or_else(|| ApiError::internal("state missing"))?;
    let ip = client_ip(req, state.config.trust_proxy_headers);
    let caller =
        state.auth.authenticate(&bearer.token, ip, Some(request_id::current())).await.map_err(ApiError::from)?;
    Ok(caller)
}

//! `/admin/v1/auth`: login, token refresh (rotating), logout, who-am-I, password change.

use super::common::Tag;
use super::text::Text;
use super::users::{RoleDto, UserDto};
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::http::{client_ip::client_ip, request_id};
use crate::state::AppState;
use juhe_domain::identity::TokenPair;
use juhe_domain::secret::Secret;
use poem::Request;
use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};
use std::sync::Arc;

pub struct AuthApi;

#[derive(Object)]
pub struct LoginRequest {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub username: Text,
    #[oai(validator(min_length = 1, max_length = 128))]
    pub password: Text,
}

#[derive(Object)]
pub struct RefreshRequest {
    #[oai(validator(min_length = 1, max_length = 256))]
    pub refresh_token: Text,
}

#[derive(Object)]
pub struct PasswordChange {
    #[oai(validator(min_length = 1, max_length = 128))]
    pub old_password: Text,
    /// 10–128 characters with a letter and a digit.
    #[oai(validator(min_length = 10, max_length = 128))]
    pub new_password: Text,
}

#[derive(Object)]
pub struct TokenPairDto {
    /// Bearer token for `/admin/v1`; short-lived.
    pub access_token: String,
    pub access_expires_in: i64,
    /// Single use: exchanging it returns a new one; replaying a spent one ends the session.
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub user: UserDto,
}

#[derive(Object)]
pub struct Me {
    pub user_id: String,
    pub username: String,
    pub role: RoleDto,
    pub node_kind: String,
    pub node_id: String,
    pub permissions: Vec<String>,
}

#[derive(Object)]
pub struct Done {
    pub ok: bool,
}

impl From<TokenPair> for TokenPairDto {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            access_expires_in: p.access_expires_in,
            refresh_token: p.refresh_token,
            refresh_expires_in: p.refresh_expires_in,
            user: p.user.into(),
        }
    }
}

#[OpenApi(prefix_path = "/admin/v1/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Log in with username and password.
    #[oai(path = "/login", method = "post", operation_id = "auth_login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<Json<TokenPairDto>> {
        let ip = client_ip(req, state.config.trust_proxy_headers);
        let rid = request_id::current();
        let body = body.0;
        let pair = state.auth.login(&body.username, Secret::new(body.password.0), ip.as_deref(), Some(&rid)).await?;
        Ok(Json(pair.into()))
    }

    /// Exchange a refresh token for a new token pair.
    #[oai(path = "/refresh", method = "post", operation_id = "auth_refresh")]
    async fn refresh(&self, state: Data<&Arc<AppState>>, body: Json<RefreshRequest>) -> ApiResult<Json<TokenPairDto>> {
        Ok(Json(state.auth.refresh(&body.0.refresh_token).await?.into()))
    }

    /// End the session a refresh token belongs to.
    #[oai(path = "/logout", method = "post", operation_id = "auth_logout")]
    async fn logout(&self, state: Data<&Arc<AppState>>, body: Json<RefreshRequest>) -> ApiResult<Json<Done>> {
        state.auth.logout(&body.0.refresh_token).await?;
        Ok(Json(Done { ok: true }))
    }

    /// The caller and what their role allows.
    #[oai(path = "/me", method = "get", operation_id = "auth_me")]
    async fn me(&self, auth: AdminAuth) -> ApiResult<Json<Me>> {
        let c = auth.0;
        let permissions = c.role.permissions().iter().map(|p| snake(&format!("{p:?}"))).collect();
        Ok(Json(Me {
            user_id: c.user_id.to_string(),
            username: c.username,
            role: c.role.into(),
            node_kind: c.node_kind.as_str().to_owned(),
            node_id: c.node_id,
            permissions,
        }))
    }

    /// Change your own password; ends all of your sessions.
    #[oai(path = "/password", method = "post", operation_id = "auth_change_password")]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<PasswordChange>,
    ) -> ApiResult<Json<Done>> {
        let b = body.0;
        state
            .auth
            .change_password(&auth.0, Secret::new(b.old_password.0), Secret::new(b.new_password.0))
            .await
            .map_err(ApiError::from)?;
        Ok(Json(Done { ok: true }))
    }
}

/// `HierarchyRead` → `hierarchy_read`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

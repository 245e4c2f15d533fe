//! `/open/v1/ping`: the smallest signed Open API call; proves keys and signatures work.

use super::common::Tag;
use crate::error::{ApiError, ApiResult};
use juhe_domain::apps::open_auth::OpenCaller;
use poem::Request;
use poem_openapi::auth::ApiKey;
use poem_openapi::types::Any;
use poem_openapi::{Object, OpenApi, SecurityScheme, payload::Json};
use time::OffsetDateTime;

/// `Authorization: JUHE-HMAC-SHA256 app_id="…",timestamp="…",nonce="…",signature="…"` (or
/// `JUHE-RSA-SHA256`); see OPEN_API.md "Signing requests". Responses carry `Juhe-Timestamp`,
/// `Juhe-Nonce` and `Juhe-Signature` over `TIMESTAMP\nNONCE\nBODY\n`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "Authorization", key_in = "header", checker = "verified")]
pub struct OpenSignature(pub OpenCaller);

/// The signature itself is checked by the `/open` middleware before the handler runs; this
/// only hands the verified caller to the handler.
async fn verified(req: &Request, _key: ApiKey) -> poem::Result<OpenCaller> {
    req.extensions()
        .get::<OpenCaller>()
        .cloned()
        .ok_or_else(|| ApiError::unauthorized("INVALID_SIGNATURE", "request not verified").into())
}

pub struct OpenPingApi;

#[derive(Object)]
pub struct Pong {
    pub pong: bool,
    pub app_id: String,
    /// `merchant` or `agent`.
    pub owner_kind: String,
    pub owner_id: String,
    pub server_time: OffsetDateTime,
    /// The JSON body you sent (POST), echoed back.
    pub echo: Option<Any<serde_json::Value>>,
}

fn pong(caller: OpenCaller, echo: Option<serde_json::Value>) -> Pong {
    Pong {
        pong: true,
        app_id: caller.app.id.to_string(),
        owner_kind: caller.app.owner_kind.as_str().to_owned(),
        owner_id: caller.app.owner_id,
        server_time: OffsetDateTime::now_utc(),
        echo: echo.map(Any),
    }
}

#[OpenApi(prefix_path = "/open/v1", tag = "Tag::Open")]
impl OpenPingApi {
    /// Signed GET: answers who you are.
    #[oai(path = "/ping", method = "get", operation_id = "open_ping")]
    async fn ping(&self, auth: OpenSignature) -> ApiResult<Json<Pong>> {
        Ok(Json(pong(auth.0, None)))
    }

    /// Signed POST: echoes the JSON body (to test body signing).
    #[oai(path = "/ping", method = "post", operation_id = "open_ping_echo")]
    async fn echo(&self, auth: OpenSignature, body: Json<Any<serde_json::Value>>) -> ApiResult<Json<Pong>> {
        Ok(Json(pong(auth.0, Some(body.0.0))))
    }
}

//! `/admin/v1/apps`: Open API apps and their keys.

use super::common::{Status, Tag, page_of, parse_id};
use super::text::Text;
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::apps::service::{AppPatch, IssuedKey, KeyInput, NewApp};
use juhe_domain::apps::{App, AppFilter, AppKey, AppStatus, KeyKind};
use juhe_domain::identity::NodeKind;
use juhe_domain::ids::AppId;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AppsApi;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum OwnerKindDto {
    Merchant,
    Agent,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum KeyKindDto {
    /// Generated shared secret, requests signed `JUHE-HMAC-SHA256`.
    Hmac,
    /// Your RSA public key, requests signed `JUHE-RSA-SHA256`.
    Rsa,
}

#[derive(Object)]
pub struct AppDto {
    pub app_id: String,
    pub owner_kind: String,
    pub owner_id: String,
    pub name: String,
    pub status: Status,
    pub ip_allow_list: Vec<String>,
    pub allowed_ways: Vec<String>,
    pub notify_url: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
}

#[derive(Object)]
pub struct KeyDto {
    pub key_id: String,
    pub kind: KeyKindDto,
    pub public_key_pem: Option<String>,
    /// After this instant the key no longer verifies (set by rotation).
    pub not_after: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(Object)]
pub struct AppWithKeys {
    pub app: AppDto,
    pub keys: Vec<KeyDto>,
}

#[derive(Object)]
pub struct IssuedKeyDto {
    pub app: AppDto,
    pub key: KeyDto,
    /// The HMAC secret: shown this once, stored encrypted, never shown again.
    pub app_secret: Option<String>,
    /// The platform's RSA public key, to verify responses to RSA apps.
    pub platform_public_key_pem: Option<String>,
}

#[derive(Object)]
pub struct CreateApp {
    pub owner_kind: OwnerKindDto,
    /// The merchant or agent; default: your own node.
    #[oai(validator(max_length = 40))]
    pub owner_id: Option<Text>,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
    pub key_kind: KeyKindDto,
    /// Required for `rsa`: PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`), 2048–4096 bits.
    #[oai(validator(max_length = 4096))]
    pub public_key_pem: Option<Text>,
    /// IPs or CIDR blocks; empty = any.
    #[oai(default, validator(max_items = 50))]
    pub ip_allow_list: Vec<Text>,
    /// Pay ways the app may use; empty = all of the merchant's.
    #[oai(default, validator(max_items = 20))]
    pub allowed_ways: Vec<Text>,
    #[oai(validator(max_length = 512))]
    pub notify_url: Option<Text>,
}

#[derive(Object)]
pub struct UpdateApp {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Option<Text>,
    #[oai(validator(max_items = 50))]
    pub ip_allow_list: Option<Vec<Text>>,
    #[oai(validator(max_items = 20))]
    pub allowed_ways: Option<Vec<Text>>,
    /// Empty string clears it.
    #[oai(validator(max_length = 512))]
    pub notify_url: Option<Text>,
    #[oai(validator(minimum(value = "1")))]
    pub version: Option<i64>,
}

#[derive(Object)]
pub struct RotateKey {
    pub key_kind: KeyKindDto,
    #[oai(validator(max_length = 4096))]
    pub public_key_pem: Option<Text>,
    /// How long the old keys keep verifying (0 = stop now), at most 7 days. Default 86400.
    #[oai(validator(minimum(value = "0"), maximum(value = "604800")))]
    pub overlap_seconds: Option<i64>,
}

page_of!(AppPage, AppDto);

#[derive(ApiResponse)]
pub enum Issued {
    #[oai(status = 201)]
    Created(Json<IssuedKeyDto>),
}

impl From<App> for AppDto {
    fn from(a: App) -> Self {
        Self {
            app_id: a.id.to_string(),
            owner_kind: a.owner_kind.as_str().to_owned(),
            owner_id: a.owner_id,
            name: a.name,
            status: a.status.into(),
            ip_allow_list: a.ip_allow_list,
            allowed_ways: a.allowed_ways,
            notify_url: a.notify_url,
            version: a.version,
            created_at: a.created_at,
        }
    }
}

impl From<AppKey> for KeyDto {
    fn from(k: AppKey) -> Self {
        Self {
            key_id: k.id.to_string(),
            kind: match k.kind {
                KeyKind::Hmac => KeyKindDto::Hmac,
                KeyKind::Rsa => KeyKindDto::Rsa,
            },
            public_key_pem: k.public_key_pem,
            not_after: k.not_after,
            created_at: k.created_at,
        }
    }
}

fn key_input(kind: KeyKindDto, pem: Option<String>) -> ApiResult<KeyInput> {
    match (kind, pem) {
        (KeyKindDto::Hmac, None) => Ok(KeyInput::Hmac),
        (KeyKindDto::Hmac, Some(_)) => Err(ApiError::invalid("public_key_pem: only for rsa keys")),
        (KeyKindDto::Rsa, Some(pem)) => Ok(KeyInput::Rsa { public_key_pem: pem }),
        (KeyKindDto::Rsa, None) => Err(ApiError::invalid("public_key_pem: required for rsa keys")),
    }
}

impl AppsApi {
    fn issued(&self, state: &Arc<AppState>, i: IssuedKey) -> Issued {
        let rsa = i.key.kind == KeyKind::Rsa;
        Issued::Created(Json(IssuedKeyDto {
            app: i.app.into(),
            key: i.key.into(),
            app_secret: i.secret.map(|s| s.into_inner()),
            platform_public_key_pem: rsa.then(|| state.signer.platform_rsa_public_pem()),
        }))
    }

    async fn set_status(
        &self,
        state: &Arc<AppState>,
        auth: AdminAuth,
        id: Path<String>,
        status: AppStatus,
    ) -> ApiResult<Json<AppDto>> {
        let id = parse_id!(AppId, id.0, "APP_NOT_FOUND", "app");
        let patch = AppPatch { status: Some(status), ..AppPatch::default() };
        Ok(Json(state.apps.update(&auth.0, &id, None, patch).await?.into()))
    }
}

#[OpenApi(prefix_path = "/admin/v1/apps", tag = "Tag::Apps")]
impl AppsApi {
    #[oai(path = "/", method = "get", operation_id = "apps_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 40))] owner_id: Query<Option<String>>,
        status: Query<Option<Status>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<AppPage>> {
        let filter = AppFilter { owner_id: owner_id.0, status: status.0.map(Into::into) };
        let p = state.apps.list(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(AppPage::from_page(p, AppDto::from)))
    }

    /// Create an app; an HMAC secret is returned once.
    #[oai(path = "/", method = "post", operation_id = "apps_create")]
    async fn create(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, body: Json<CreateApp>) -> ApiResult<Issued> {
        let b = body.0;
        let new = NewApp {
            owner_kind: match b.owner_kind {
                OwnerKindDto::Merchant => NodeKind::Merchant,
                OwnerKindDto::Agent => NodeKind::Agent,
            },
            owner_id: super::text::opt(b.owner_id),
            name: b.name.0,
            key: key_input(b.key_kind, super::text::opt(b.public_key_pem))?,
            ip_allow_list: super::text::list(b.ip_allow_list),
            allowed_ways: super::text::list(b.allowed_ways),
            notify_url: super::text::opt(b.notify_url),
        };
        Ok(self.issued(state.0, state.apps.create(&auth.0, new).await?))
    }

    #[oai(path = "/:id", method = "get", operation_id = "apps_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> ApiResult<Json<AppWithKeys>> {
        let id = parse_id!(AppId, id.0, "APP_NOT_FOUND", "app");
        let (app, keys) = state.apps.get(&auth.0, &id).await?;
        Ok(Json(AppWithKeys { app: app.into(), keys: keys.into_iter().map(Into::into).collect() }))
    }

    #[oai(path = "/:id", method = "patch", operation_id = "apps_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<UpdateApp>,
    ) -> ApiResult<Json<AppDto>> {
        let id = parse_id!(AppId, id.0, "APP_NOT_FOUND", "app");
        let b = body.0;
        let patch = AppPatch {
            name: super::text::opt(b.name),
            ip_allow_list: b.ip_allow_list.map(super::text::list),
            allowed_ways: b.allowed_ways.map(super::text::list),
            notify_url: b.notify_url.map(|u| Some(u.into_string()).filter(|u| !u.is_empty())),
            status: None,
        };
        Ok(Json(state.apps.update(&auth.0, &id, b.version, patch).await?.into()))
    }

    /// Issue a new key; the old keys keep verifying for the overlap window.
    #[oai(path = "/:id/rotate-key", method = "post", operation_id = "apps_rotate_key")]
    async fn rotate(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<RotateKey>,
    ) -> ApiResult<Issued> {
        let id = parse_id!(AppId, id.0, "APP_NOT_FOUND", "app");
        let b = body.0;
        let key = key_input(b.key_kind, super::text::opt(b.public_key_pem))?;
        Ok(self.issued(state.0, state.apps.rotate(&auth.0, &id, key, b.overlap_seconds.unwrap_or(86_400)).await?))
    }

    #[oai(path = "/:id/disable", method = "post", operation_id = "apps_disable")]
    async fn disable(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, id: Path<String>) -> ApiResult<Json<AppDto>> {
        self.set_status(state.0, auth, id, AppStatus::Disabled).await
    }

    #[oai(path = "/:id/enable", method = "post", operation_id = "apps_enable")]
    async fn enable(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, id: Path<String>) -> ApiResult<Json<AppDto>> {
        self.set_status(state.0, auth, id, AppStatus::Active).await
    }
}

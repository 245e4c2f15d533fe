//! `/healthz` (the process answers) and `/readyz` (database and cache reachable).

use super::common::Tag;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};
use std::sync::Arc;

pub struct HealthApi;

#[derive(Object)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[derive(Object)]
pub struct Ready {
    pub status: String,
    pub database: String,
    pub cache: String,
}

#[OpenApi(tag = "Tag::Ops")]
impl HealthApi {
    /// Liveness.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
    }

    /// Readiness: 200 when the database and the cache answer, 503 otherwise.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self, state: Data<&Arc<AppState>>) -> ApiResult<Json<Ready>> {
        let db = juhe_adapters::db::ping(&state.db).await;
        let cache = state.cache.ping().await;
        if let Err(e) = &db {
            tracing::warn!(error = %e, "readiness: database unreachable");
        }
        if let Err(e) = &cache {
            tracing::warn!(error = %e, "readiness: cache unreachable");
        }
        match (db, cache) {
            (Ok(()), Ok(())) => Ok(Json(Ready { status: "ready".into(), database: "ok".into(), cache: "ok".into() })),
            (Err(_), _) => Err(ApiError::unavailable("database")),
            (_, Err(_)) => Err(ApiError::unavailable("cache")),
        }
    }
}

//! `/admin/v1/audit-logs`: the audit log of the caller's subtree.

use super::common::{Tag, page_of};
use crate::error::{ApiError, ApiResult};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::audit::{AuditEntry, AuditFilter};
use juhe_domain::ids::UserId;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::types::Any;
use poem_openapi::{Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AuditApi;

#[derive(Object)]
pub struct AuditDto {
    pub id: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub actor_user_id: Option<String>,
    pub actor_username: String,
    pub actor_role: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    /// Values before the change (sensitive fields masked).
    pub before: Option<Any<serde_json::Value>>,
    pub after: Option<Any<serde_json::Value>>,
    pub created_at: OffsetDateTime,
}

impl From<AuditEntry> for AuditDto {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id.to_string(),
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            actor_user_id: e.actor.user_id.map(|u| u.to_string()),
            actor_username: e.actor.username,
            actor_role: e.actor.role.map(|r| r.as_str().to_owned()),
            ip: e.actor.ip,
            request_id: e.actor.request_id,
            before: e.before.map(Any),
            after: e.after.map(Any),
            created_at: e.created_at,
        }
    }
}

page_of!(AuditPage, AuditDto);

#[OpenApi(prefix_path = "/admin/v1/audit-logs", tag = "Tag::Audit")]
impl AuditApi {
    /// Audit entries of your subtree, newest first.
    #[oai(path = "/", method = "get", operation_id = "audit_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        /// e.g. `merchant.update`, `user.login`.
        #[oai(validator(max_length = 64))]
        action: Query<Option<String>>,
        #[oai(validator(max_length = 32))] target_kind: Query<Option<String>>,
        #[oai(validator(max_length = 40))] target_id: Query<Option<String>>,
        #[oai(validator(max_length = 40))] actor_user_id: Query<Option<String>>,
        since: Query<Option<OffsetDateTime>>,
        until: Query<Option<OffsetDateTime>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<AuditPage>> {
        let actor_user_id = actor_user_id
            .0
            .map(|u| UserId::parse(&u).ok_or_else(|| ApiError::invalid("actor_user_id: not a valid id")))
            .transpose()?;
        let filter = AuditFilter {
            action: action.0,
            target_kind: target_kind.0,
            target_id: target_id.0,
            actor_user_id,
            since: since.0,
            until: until.0,
        };
        let p = state.audit.list(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(AuditPage::from_page(p, AuditDto::from)))
    }
}

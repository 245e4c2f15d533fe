//! `/admin/v1/agents`: the agent tree below the caller.

use super::common::{Order, SortBy, Status, Tag, page_of, parse_id, sort};
use super::text::Text;
use crate::error::{ApiError, ApiResult, tenancy_error};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::ids::AgentId;
use juhe_domain::tenancy::service::{AgentPatch, ContactInput, NewAgent, TenancyError};
use juhe_domain::tenancy::{Agent, AgentFilter, NodeStatus};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct AgentsApi;

#[derive(Object)]
pub struct AgentDto {
    pub id: String,
    pub parent_id: Option<String>,
    /// 1 = directly below the platform.
    pub level: i32,
    pub name: String,
    pub contact_name: Option<String>,
    /// Masked, e.g. `138****1234`.
    pub contact_phone: Option<String>,
    pub status: Status,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<Agent> for AgentDto {
    fn from(a: Agent) -> Self {
        Self {
            id: a.id.to_string(),
            parent_id: a.parent_id.map(|p| p.to_string()),
            level: a.level,
            name: a.name,
            contact_name: a.contact_name,
            contact_phone: a.contact_phone_masked,
            status: a.status.into(),
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Object)]
pub struct CreateAgent {
    /// Parent agent; default: directly below you.
    #[oai(validator(max_length = 40))]
    pub parent_id: Option<Text>,
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
    #[oai(validator(max_length = 32))]
    pub contact_name: Option<Text>,
    /// 11-digit mobile number; stored encrypted.
    #[oai(validator(pattern = r"^1[0-9]{10}$"))]
    pub contact_phone: Option<Text>,
}

#[derive(Object)]
pub struct UpdateAgent {
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Option<Text>,
    #[oai(validator(max_length = 32))]
    pub contact_name: Option<Text>,
    #[oai(validator(pattern = r"^1[0-9]{10}$"))]
    pub contact_phone: Option<Text>,
    #[oai(validator(minimum(value = "1")))]
    pub version: Option<i64>,
}

page_of!(AgentPage, AgentDto);

#[derive(ApiResponse)]
pub enum CreatedAgent {
    #[oai(status = 201)]
    Created(Json<AgentDto>),
}

fn err(e: TenancyError) -> ApiError {
    tenancy_error(e, "AGENT_NOT_FOUND", "agent")
}

#[OpenApi(prefix_path = "/admin/v1/agents", tag = "Tag::Agents")]
impl AgentsApi {
    /// Agents in your subtree.
    #[oai(path = "/", method = "get", operation_id = "agents_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        /// Name contains (case-insensitive).
        #[oai(validator(max_length = 64))]
        q: Query<Option<String>>,
        status: Query<Option<Status>>,
        /// Direct children of this agent only.
        #[oai(validator(max_length = 40))]
        parent_id: Query<Option<String>>,
        sort_by: Query<Option<SortBy>>,
        order: Query<Option<Order>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<AgentPage>> {
        let parent_id = match parent_id.0 {
            Some(raw) => Some(AgentId::parse(&raw).ok_or_else(|| ApiError::invalid("parent_id: not an agent id"))?),
            None => None,
        };
        let filter =
            AgentFilter { q: q.0, status: status.0.map(Into::into), parent_id, sort: sort(sort_by.0, order.0) };
        let p =
            state.tenancy.list_agents(&auth.0, &filter, super::common::page(page.0, page_size.0)).await.map_err(err)?;
        Ok(Json(AgentPage::from_page(p, AgentDto::from)))
    }

    /// Create an agent below you (or below an agent of your subtree).
    #[oai(path = "/", method = "post", operation_id = "agents_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateAgent>,
    ) -> ApiResult<CreatedAgent> {
        let b = body.0;
        let parent_id = match b.parent_id {
            Some(raw) => Some(AgentId::parse(&raw).ok_or_else(|| ApiError::invalid("parent_id: not an agent id"))?),
            None => None,
        };
        let new = NewAgent {
            parent_id,
            name: b.name.0,
            contact: ContactInput {
                contact_name: super::text::opt(b.contact_name),
                contact_phone: super::text::opt(b.contact_phone),
            },
        };
        let agent = state.tenancy.create_agent(&auth.0, new).await.map_err(err)?;
        Ok(CreatedAgent::Created(Json(agent.into())))
    }

    #[oai(path = "/:id", method = "get", operation_id = "agents_get")]
    async fn get(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, id: Path<String>) -> ApiResult<Json<AgentDto>> {
        let id = parse_id!(AgentId, id.0, "AGENT_NOT_FOUND", "agent");
        Ok(Json(state.tenancy.get_agent(&auth.0, &id).await.map_err(err)?.into()))
    }

    /// Change name or contact (fields left out stay as they are).
    #[oai(path = "/:id", method = "patch", operation_id = "agents_update")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        body: Json<UpdateAgent>,
    ) -> ApiResult<Json<AgentDto>> {
        let id = parse_id!(AgentId, id.0, "AGENT_NOT_FOUND", "agent");
        let b = body.0;
        let contact = (b.contact_name.is_some() || b.contact_phone.is_some()).then_some(ContactInput {
            contact_name: super::text::opt(b.contact_name),
            contact_phone: super::text::opt(b.contact_phone),
        });
        let patch = AgentPatch { name: super::text::opt(b.name), contact };
        Ok(Json(state.tenancy.update_agent(&auth.0, &id, b.version, patch).await.map_err(err)?.into()))
    }

    /// Disable an agent: its whole subtree stops (Open API calls are refused).
    #[oai(path = "/:id/disable", method = "post", operation_id = "agents_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1")))] version: Query<Option<i64>>,
    ) -> ApiResult<Json<AgentDto>> {
        self.set_status(state.0, auth, id, version.0, NodeStatus::Disabled).await
    }

    #[oai(path = "/:id/enable", method = "post", operation_id = "agents_enable")]
    async fn enable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1")))] version: Query<Option<i64>>,
    ) -> ApiResult<Json<AgentDto>> {
        self.set_status(state.0, auth, id, version.0, NodeStatus::Active).await
    }
}

impl AgentsApi {
    async fn set_status(
        &self,
        state: &Arc<AppState>,
        auth: AdminAuth,
        id: Path<String>,
        version: Option<i64>,
        status: NodeStatus,
    ) -> ApiResult<Json<AgentDto>> {
        let id = parse_id!(AgentId, id.0, "AGENT_NOT_FOUND", "agent");
        Ok(Json(state.tenancy.set_agent_status(&auth.0, &id, version, status).await.map_err(err)?.into()))
    }
}

//! `/admin/v1/users`: console users in the caller's subtree.

use super::common::{Status, Tag, page_of, parse_id};
use super::text::Text;
use crate::error::ApiResult;
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::identity::service::NewUser;
use juhe_domain::identity::{Role, User, UserFilter, UserStatus};
use juhe_domain::ids::UserId;
use juhe_domain::secret::Secret;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct UsersApi;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum RoleDto {
    PlatformAdmin,
    PlatformOperator,
    AgentAdmin,
    AgentStaff,
    MerchantAdmin,
    MerchantStaff,
    StoreClerk,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::PlatformAdmin => Self::PlatformAdmin,
            Role::PlatformOperator => Self::PlatformOperator,
            Role::AgentAdmin => Self::AgentAdmin,
            Role::AgentStaff => Self::AgentStaff,
            Role::MerchantAdmin => Self::MerchantAdmin,
            Role::MerchantStaff => Self::MerchantStaff,
            Role::StoreClerk => Self::StoreClerk,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::PlatformAdmin => Self::PlatformAdmin,
            RoleDto::PlatformOperator => Self::PlatformOperator,
            RoleDto::AgentAdmin => Self::AgentAdmin,
            RoleDto::AgentStaff => Self::AgentStaff,
            RoleDto::MerchantAdmin => Self::MerchantAdmin,
            RoleDto::MerchantStaff => Self::MerchantStaff,
            RoleDto::StoreClerk => Self::StoreClerk,
        }
    }
}

#[derive(Object)]
pub struct UserDto {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: RoleDto,
    /// `platform`, `agent`, `merchant` or `store`.
    pub node_kind: String,
    pub node_id: String,
    pub status: Status,
    pub created_at: OffsetDateTime,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username,
            display_name: u.display_name,
            role: u.role.into(),
            node_kind: u.node_kind.as_str().to_owned(),
            node_id: u.node_id,
            status: u.status.into(),
            created_at: u.created_at,
        }
    }
}

#[derive(Object)]
pub struct CreateUser {
    /// 3–32 of `a-z 0-9 _ . -`.
    #[oai(validator(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"))]
    pub username: Text,
    #[oai(validator(max_length = 64))]
    pub display_name: Option<Text>,
    /// 10–128 characters with a letter and a digit.
    #[oai(validator(min_length = 10, max_length = 128))]
    pub password: Text,
    pub role: RoleDto,
    /// The agent/merchant/store the user belongs to (must fit the role); default: your own node.
    #[oai(validator(max_length = 40))]
    pub node_id: Option<Text>,
}

page_of!(UserPage, UserDto);

#[derive(ApiResponse)]
pub enum CreatedUser {
    #[oai(status = 201)]
    Created(Json<UserDto>),
}

#[OpenApi(prefix_path = "/admin/v1/users", tag = "Tag::Users")]
impl UsersApi {
    /// Users in your subtree, newest first.
    #[oai(path = "/", method = "get", operation_id = "users_list")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        role: Query<Option<RoleDto>>,
        status: Query<Option<Status>>,
        #[oai(validator(max_length = 64))] q: Query<Option<String>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<UserPage>> {
        let filter = UserFilter { role: role.0.map(Into::into), status: status.0.map(Into::into), q: q.0 };
        let p = state.auth.list_users(&auth.0, &filter, super::common::page(page.0, page_size.0)).await?;
        Ok(Json(UserPage::from_page(p, UserDto::from)))
    }

    /// Create a user at a node in your subtree with a role you may grant.
    #[oai(path = "/", method = "post", operation_id = "users_create")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<CreateUser>,
    ) -> ApiResult<CreatedUser> {
        let b = body.0;
        let new = NewUser {
            username: b.username.0,
            display_name: super::text::opt(b.display_name),
            password: Secret::new(b.password.0),
            role: b.role.into(),
            node_id: super::text::opt(b.node_id),
        };
        Ok(CreatedUser::Created(Json(state.auth.create_user(&auth.0, new).await?.into())))
    }

    #[oai(path = "/:id", method = "get", operation_id = "users_get")]
    async fn get(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, id: Path<String>) -> ApiResult<Json<UserDto>> {
        let id = parse_id!(UserId, id.0, "USER_NOT_FOUND", "user");
        Ok(Json(state.auth.get_user(&auth.0, &id).await?.into()))
    }

    /// Disable a user and end their sessions.
    #[oai(path = "/:id/disable", method = "post", operation_id = "users_disable")]
    async fn disable(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> ApiResult<Json<UserDto>> {
        let id = parse_id!(UserId, id.0, "USER_NOT_FOUND", "user");
        Ok(Json(state.auth.set_user_status(&auth.0, &id, UserStatus::Disabled).await?.into()))
    }

    #[oai(path = "/:id/enable", method = "post", operation_id = "users_enable")]
    async fn enable(&self, state: Data<&Arc<AppState>>, auth: AdminAuth, id: Path<String>) -> ApiResult<Json<UserDto>> {
        let id = parse_id!(UserId, id.0, "USER_NOT_FOUND", "user");
        Ok(Json(state.auth.set_user_status(&auth.0, &id, UserStatus::Active).await?.into()))
    }
}

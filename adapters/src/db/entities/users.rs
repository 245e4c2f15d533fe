use crate::db::mapping::{code, db_time};
use juhe_domain::identity::{NodeKind, Role, User, UserCredentials, UserStatus};
use juhe_domain::ids::{PlatformId, UserId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub node_kind: String,
    pub node_id: String,
    pub path: String,
    pub status: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<User> {
        Ok(self.into_credentials()?.user)
    }

    pub fn into_credentials(self) -> RepoResult<UserCredentials> {
        let user = User {
            role: code("users.role", &self.role, Role::parse)?,
            node_kind: code("users.node_kind", &self.node_kind, NodeKind::parse)?,
            status: code("users.status", &self.status, UserStatus::parse)?,
            id: UserId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            username: self.username,
            display_name: self.display_name,
            node_id: self.node_id,
            path: NodePath::from_trusted(self.path),
            created_at: self.created_at,
            updated_at: self.updated_at,
        };
        Ok(UserCredentials { user, password_hash: self.password_hash })
    }
}

pub fn from_domain(u: &User, password_hash: &str) -> ActiveModel {
    ActiveModel {
        id: Set(u.id.to_string()),
        platform_id: Set(u.platform_id.to_string()),
        // Usernames are matched lower-case at login; store them that way whatever the caller did.
        username: Set(u.username.to_lowercase()),
        display_name: Set(u.display_name.clone()),
        password_hash: Set(password_hash.to_owned()),
        role: Set(u.role.as_str().to_owned()),
        node_kind: Set(u.node_kind.as_str().to_owned()),
        node_id: Set(u.node_id.clone()),
        path: Set(u.path.to_string()),
        status: Set(u.status.as_str().to_owned()),
        created_at: Set(db_time(u.created_at)),
        updated_at: Set(db_time(u.updated_at)),
    }
}

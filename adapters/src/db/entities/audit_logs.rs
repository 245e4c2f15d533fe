use crate::db::mapping::{code, db_time};
use juhe_domain::audit::{Actor, AuditEntry};
use juhe_domain::identity::Role;
use juhe_domain::ids::{AuditId, PlatformId, UserId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub path: String,
    pub actor_user_id: Option<String>,
    pub actor_username: String,
    pub actor_role: Option<String>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub before: Option<Json>,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub after: Option<Json>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<AuditEntry> {
        let role = match self.actor_role {
            Some(raw) => Some(code("audit_logs.actor_role", &raw, Role::parse)?),
            None => None,
        };
        Ok(AuditEntry {
            id: AuditId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            path: NodePath::from_trusted(self.path),
            actor: Actor {
                user_id: self.actor_user_id.map(UserId::from_trusted),
                username: self.actor_username,
                role,
                ip: self.ip,
                request_id: self.request_id,
            },
            action: self.action,
            target_kind: self.target_kind,
            target_id: self.target_id,
            before: self.before,
            after: self.after,
            created_at: self.created_at,
        })
    }
}

pub fn from_domain(e: &AuditEntry) -> ActiveModel {
    ActiveModel {
        id: Set(e.id.to_string()),
        platform_id: Set(e.platform_id.to_string()),
        path: Set(e.path.to_string()),
        actor_user_id: Set(e.actor.user_id.as_ref().map(ToString::to_string)),
        actor_username: Set(e.actor.username.clone()),
        actor_role: Set(e.actor.role.map(|r| r.as_str().to_owned())),
        ip: Set(e.actor.ip.clone()),
        request_id: Set(e.actor.request_id.clone()),
        action: Set(e.action.clone()),
        target_kind: Set(e.target_kind.clone()),
        target_id: Set(e.target_id.clone()),
        before: Set(e.before.clone()),
        after: Set(e.after.clone()),
        created_at: Set(db_time(e.created_at)),
    }
}

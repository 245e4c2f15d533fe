use crate::identity::Role;
use crate::ids::{AuditId, PlatformId, UserId};
use crate::scope::NodePath;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// Who acts: a logged-in user, or the system itself (CLI, demo seeding, jobs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub username: String,
    pub role: Option<Role>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Self { user_id: None, username: name.to_owned(), role: None, ip: None, request_id: None }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub id: AuditId,
    pub platform_id: PlatformId,
    /// Path of the record acted on, so the log is scoped like the records themselves.
    pub path: NodePath,
    pub actor: Actor,
    /// `merchant.update`, `user.login`, `app.key.rotate`, …
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    /// Values before/after the change; sensitive fields are masked before they get here.
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub created_at: OffsetDateTime,
}

impl AuditEntry {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        platform_id: &PlatformId,
        path: &NodePath,
        actor: &Actor,
        action: &str,
        target_kind: &str,
        target_id: &str,
        before: Option<Value>,
        after: Option<Value>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: AuditId::generate(),
            platform_id: platform_id.clone(),
            path: path.clone(),
            actor: actor.clone(),
            action: action.to_owned(),
            target_kind: target_kind.to_owned(),
            target_id: target_id.to_owned(),
            before,
            after,
            created_at: now,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub actor_user_id: Option<UserId>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

use super::roles::{NodeKind, Permission, Role};
use crate::audit::Actor;
use crate::ids::{PlatformId, RefreshTokenId, UserId};
use crate::scope::{NodePath, Scope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Users log in only while active.
pub use crate::status::Status as UserStatus;

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: UserId,
    pub platform_id: PlatformId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub node_kind: NodeKind,
    pub node_id: String,
    pub path: NodePath,
    pub status: UserStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A user with the stored password hash (only the login path reads it).
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub q: Option<String>,
}

/// The authenticated admin-API caller, as carried in the access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub username: String,
    pub platform_id: String,
    pub role: Role,
    pub node_kind: NodeKind,
    pub node_id: String,
    pub path: String,
    pub iat: i64,
    pub exp: i64,
}

/// Who is calling a service, with what scope, from where.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub node_kind: NodeKind,
    pub node_id: String,
    pub scope: Scope,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("missing permission {0:?}")]
pub struct MissingPermission(pub Permission);

impl Caller {
    pub fn from_claims(claims: &AccessClaims, ip: Option<String>, request_id: Option<String>) -> Option<Self> {
        let platform_id = PlatformId::parse(&claims.platform_id)?;
        let path = NodePath::from_trusted(claims.path.clone());
        if !path.is_within(&NodePath::platform_root(&platform_id)) {
            return None;
        }
        Some(Self {
            user_id: UserId::parse(&claims.sub)?,
            username: claims.username.clone(),
            role: claims.role,
            node_kind: claims.node_kind,
            node_id: claims.node_id.clone(),
            scope: Scope::new(platform_id, path),
            ip,
            request_id,
        })
    }

    /// Acting as a known user outside an HTTP request (CLI, demo seeding).
    pub fn for_user(user: &User, request_id: &str) -> Self {
        Self {
            user_id: user.id.clone(),
            username: user.username.clone(),
            role: user.role,
            node_kind: user.node_kind,
            node_id: user.node_id.clone(),
            scope: Scope::new(user.platform_id.clone(), user.path.clone()),
            ip: None,
            request_id: Some(request_id.to_owned()),
        }
    }

    pub fn require(&self, permission: Permission) -> Result<(), MissingPermission> {
        if self.role.can(permission) { Ok(()) } else { Err(MissingPermission(permission)) }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user_id.clone()),
            username: self.username.clone(),
            role: Some(self.role),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// A stored refresh token (only its hash is kept).
#[derive(Clone, Debug)]
pub struct RefreshTokenRecord {
    pub id: RefreshTokenId,
    pub platform_id: PlatformId,
    pub user_id: UserId,
    /// All tokens descended from one login share a family; reuse of a spent one revokes it.
    pub family_id: String,
    pub token_hash: String,
    pub expires_at: OffsetDateTime,
    pub rotated_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub user: User,
}

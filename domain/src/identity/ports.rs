use super::model::{AccessClaims, RefreshTokenRecord, User, UserCredentials, UserFilter, UserStatus};
use crate::audit::AuditEntry;
use crate::ids::UserId;
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::Scope;
use time::OffsetDateTime;

#[async_trait::async_trait]
pub trait UserRepo: Send + Sync {
    async fn insert(&self, user: &User, password_hash: &str, audit: &AuditEntry) -> RepoResult<()>;
    /// Unscoped: only login uses it.
    async fn find_credentials(&self, username: &str) -> RepoResult<Option<UserCredentials>>;
    /// Unscoped by id: refresh and password change of the caller themself.
    async fn get_by_id(&self, id: &UserId) -> RepoResult<Option<UserCredentials>>;
    async fn get(&self, scope: &Scope, id: &UserId) -> RepoResult<Option<User>>;
    async fn list(&self, scope: &Scope, filter: &UserFilter, page: PageRequest) -> RepoResult<Page<User>>;
    async fn set_password(&self, id: &UserId, password_hash: &str, audit: &AuditEntry) -> RepoResult<()>;
    async fn set_status(&self, scope: &Scope, id: &UserId, status: UserStatus, audit: &AuditEntry) -> RepoResult<()>;
    /// Whether any user exists (first-run seeding).
    async fn any(&self) -> RepoResult<bool>;
}

#[async_trait::async_trait]
pub trait RefreshTokenRepo: Send + Sync {
    async fn insert(&self, token: &RefreshTokenRecord) -> RepoResult<()>;
    async fn find_by_hash(&self, token_hash: &str) -> RepoResult<Option<RefreshTokenRecord>>;
    /// Marks the token spent; false when it was already spent or revoked (a race or a replay).
    async fn mark_rotated(&self, token: &RefreshTokenRecord, at: OffsetDateTime) -> RepoResult<bool>;
    async fn revoke_family(&self, family_id: &str, at: OffsetDateTime) -> RepoResult<()>;
    async fn revoke_user(&self, user_id: &UserId, at: OffsetDateTime) -> RepoResult<()>;
}

/// Signs and checks short-lived access tokens.
pub trait AccessTokens: Send + Sync {
    fn issue(&self, claims: &AccessClaims) -> String;
    fn verify(&self, token: &str) -> Option<AccessClaims>;
}

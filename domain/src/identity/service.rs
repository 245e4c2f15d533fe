//! Login, refresh-token rotation with reuse detection, logout, password change, user admin.

use super::model::*;
use super::ports::{AccessTokens, RefreshTokenRepo, UserRepo};
use super::roles::{NodeKind, Permission, Role};
use crate::audit::ports::AuditRepo;
use crate::audit::{Actor, AuditEntry};
use crate::cache::Cache;
use crate::clock::Clock;
use crate::crypto::{PasswordHasher, Signer};
use crate::ids::{PlatformId, RefreshTokenId, UserId};
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::tenancy::ports::NodeDirectory;
use crate::validate::{self, FieldError};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many login attempts")]
    Throttled,
    #[error("user is disabled")]
    UserDisabled,
    #[error("access token invalid or expired")]
    TokenInvalid,
    #[error("refresh token invalid or expired")]
    RefreshInvalid,
    #[error("refresh token was already used; its session has been revoked")]
    RefreshReused,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("username already taken")]
    UsernameTaken,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("storage: {0}")]
    Repo(RepoError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<RepoError> for AuthError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => AuthError::NotFound,
            RepoError::Conflict(_) => AuthError::UsernameTaken,
            other => AuthError::Repo(other),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuthSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Attempts per username (and per client IP) within `login_window`.
    pub login_max_attempts: i64,
    pub login_window: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            login_max_attempts: 5,
            login_window: Duration::from_secs(15 * 60),
        }
    }
}

pub struct AuthService {
    pub users: Arc<dyn UserRepo>,
    pub tokens: Arc<dyn RefreshTokenRepo>,
    pub access: Arc<dyn AccessTokens>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub signer: Arc<dyn Signer>,
    pub cache: Arc<dyn Cache>,
    pub audit: Arc<dyn AuditRepo>,
    pub nodes: Arc<dyn NodeDirectory>,
    pub clock: Arc<dyn Clock>,
    pub settings: AuthSettings,
}

/// A new user as requested by an admin.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: Option<String>,
    pub password: Secret<String>,
    pub role: Role,
    /// The node the user belongs to; `None` = the caller's own node.
    pub node_id: Option<String>,
}

impl AuthService {
    pub async fn login(
        &self,
        username: &str,
        password: Secret<String>,
        ip: Option<&str>,
        request_id: Option<&str>,
    ) -> Result<TokenPair, AuthError> {
        let username = username.trim().to_ascii_lowercase();
        self.throttle(&format!("login:user:{username}")).await?;
        if let Some(ip) = ip {
            // An IP gets more room than one username (many clerks behind one shop router).
            self.throttle_with(&format!("login:ip:{ip}"), self.settings.login_max_attempts * 6).await?;
        }
        let found = self.users.find_credentials(&username).await?;
        let hash = found.as_ref().map(|c| c.password_hash.clone());
        let ok = self.hasher.verify(password, hash).await;
        let Some(creds) = found else {
            return Err(AuthError::BadCredentials);
        };
        let user = creds.user;
        let actor = Actor {
            user_id: Some(user.id.clone()),
            username: user.username.clone(),
            role: Some(user.role),
            ip: ip.map(str::to_owned),
            request_id: request_id.map(str::to_owned),
        };
        let action = match (ok, user.status) {
            (false, _) => "user.login.failed",
            (true, UserStatus::Disabled) => "user.login.disabled",
            (true, UserStatus::Active) => "user.login",
        };
        let entry = AuditEntry::new(
            &user.platform_id,
            &user.path,
            &actor,
            action,
            "user",
            user.id.as_str(),
            None,
            None,
            self.clock.now(),
        );
        self.audit.insert(&entry).await?;
        if !ok {
            return Err(AuthError::BadCredentials);
        }
        if user.status != UserStatus::Active {
            return Err(AuthError::UserDisabled);
        }
        let _ = self.cache.delete(&format!("login:user:{username}")).await;
        let family = uuid::Uuid::new_v4().simple().to_string();
        self.issue_pair(user, family).await
    }

    /// Turns a bearer token into a caller. The user is re-read on every request, so disabling a
    /// user, or moving the node it belongs to, takes effect at once, not when the token expires.
    pub async fn authenticate(
        &self,
        access_token: &str,
        ip: Option<String>,
        request_id: Option<String>,
    ) -> Result<Caller, AuthError> {
        let claims = self.access.verify(access_token).ok_or(AuthError::TokenInvalid)?;
        let id = UserId::parse(&claims.sub).ok_or(AuthError::TokenInvalid)?;
        let user = self.users.get_by_id(&id).await?.ok_or(AuthError::TokenInvalid)?.user;
        if user.platform_id.as_str() != claims.platform_id {
            return Err(AuthError::TokenInvalid);
        }
        if user.status != UserStatus::Active {
            return Err(AuthError::UserDisabled);
        }
        let mut caller = Caller::for_user(&user, request_id.as_deref().unwrap_or_default());
        caller.ip = ip;
        caller.request_id = request_id;
        Ok(caller)
    }

    /// Exchanges a refresh token for a new pair. A token that was already exchanged revokes its
    /// whole family (someone holds a stolen copy).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        let hash = self.signer.sha256_hex(refresh_token.as_bytes());
        let record = self.tokens.find_by_hash(&hash).await?.ok_or(AuthError::RefreshInvalid)?;
        let now = self.clock.now();
        if record.rotated_at.is_some() {
            self.tokens.revoke_family(&record.family_id, now).await?;
            return Err(AuthError::RefreshReused);
        }
        if record.revoked_at.is_some() || record.expires_at <= now {
            return Err(AuthError::RefreshInvalid);
        }
        if !self.tokens.mark_rotated(&record, now).await? {
            // Lost a race against another exchange of the same token: treat as reuse.
            self.tokens.revoke_family(&record.family_id, now).await?;
            return Err(AuthError::RefreshReused);
        }
        let creds = self.users.get_by_id(&record.user_id).await?.ok_or(AuthError::RefreshInvalid)?;
        if creds.user.status != UserStatus::Active {
            self.tokens.revoke_family(&record.family_id, now).await?;
            return Err(AuthError::UserDisabled);
        }
        self.issue_pair(creds.user, record.family_id).await
    }

    /// Revokes the session the refresh token belongs to. Unknown tokens are ignored.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AuthError> {
        let hash = self.signer.sha256_hex(refresh_token.as_bytes());
        if let Some(record) = self.tokens.find_by_hash(&hash).await? {
            self.tokens.revoke_family(&record.family_id, self.clock.now()).await?;
        }
        Ok(())
    }

    /// Changes the caller's own password and ends all of their sessions.
    pub async fn change_password(
        &self,
        caller: &Caller,
        old: Secret<String>,
        new: Secret<String>,
    ) -> Result<(), AuthError> {
        validate::password("new_password", new.expose())?;
        let creds = self.users.get_by_id(&caller.user_id).await?.ok_or(AuthError::NotFound)?;
        if !self.hasher.verify(old, Some(creds.password_hash)).await {
            return Err(AuthError::BadCredentials);
        }
        let hash = self.hasher.hash(new).await.map_err(|e| AuthError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let entry = AuditEntry::new(
            &creds.user.platform_id,
            &creds.user.path,
            &caller.actor(),
            "user.password.change",
            "user",
            caller.user_id.as_str(),
            None,
            Some(json!({"password": "***"})),
            now,
        );
        self.users.set_password(&caller.user_id, &hash, &entry).await?;
        self.tokens.revoke_user(&caller.user_id, now).await?;
        Ok(())
    }

    /// Creates a user at a node in the caller's scope, with a role the caller may grant.
    pub async fn create_user(&self, caller: &Caller, new: NewUser) -> Result<User, AuthError> {
        caller.require(Permission::UserWrite).map_err(|_| AuthError::Forbidden)?;
        if !caller.role.may_grant(new.role) {
            return Err(AuthError::Forbidden);
        }
        let username = validate::username(&new.username)?;
        validate::password("password", new.password.expose())?;
        let display_name = validate::optional_text("display_name", new.display_name.as_deref(), 64)?
            .unwrap_or_else(|| username.clone());
        let kind = new.role.node_kind();
        let node_id = new.node_id.clone().unwrap_or_else(|| caller.node_id.clone());
        let node = self.nodes.find_node(&caller.scope, kind, &node_id).await?.ok_or(AuthError::Invalid(
            FieldError::new("node_id", format!("no {} with this id in your scope", kind.as_str())),
        ))?;
        let hash = self.hasher.hash(new.password).await.map_err(|e| AuthError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let user = User {
            id: UserId::generate(),
            platform_id: caller.scope.platform_id.clone(),
            username,
            display_name,
            role: new.role,
            node_kind: kind,
            node_id,
            path: node,
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let entry = AuditEntry::new(
            &user.platform_id,
            &user.path,
            &caller.actor(),
            "user.create",
            "user",
            user.id.as_str(),
            None,
            Some(json!({"username": user.username, "role": user.role, "node_id": user.node_id})),
            now,
        );
        self.users.insert(&user, &hash, &entry).await?;
        Ok(user)
    }

    /// Creates a user without a caller (CLI `admin create-user`, demo seeding).
    pub async fn create_user_as_system(
        &self,
        platform_id: &PlatformId,
        new: NewUser,
        node_kind: NodeKind,
    ) -> Result<User, AuthError> {
        let username = validate::username(&new.username)?;
        validate::password("password", new.password.expose())?;
        if new.role.node_kind() != node_kind {
            return Err(AuthError::Invalid(FieldError::new("role", "does not fit the node kind")));
        }
        let scope = Scope::platform(platform_id.clone());
        let node_id = new.node_id.clone().unwrap_or_else(|| platform_id.to_string());
        let path = self
            .nodes
            .find_node(&scope, node_kind, &node_id)
            .await?
            .ok_or(AuthError::Invalid(FieldError::new("node_id", "no such node")))?;
        let hash = self.hasher.hash(new.password).await.map_err(|e| AuthError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let user = User {
            id: UserId::generate(),
            platform_id: platform_id.clone(),
            display_name: new.display_name.unwrap_or_else(|| username.clone()),
            username,
            role: new.role,
            node_kind,
            node_id,
            path,
            status: UserStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let entry = AuditEntry::new(
            platform_id,
            &user.path,
            &Actor::system("cli"),
            "user.create",
            "user",
            user.id.as_str(),
            None,
            Some(json!({"username": user.username, "role": user.role})),
            now,
        );
        self.users.insert(&user, &hash, &entry).await?;
        Ok(user)
    }

    pub async fn get_user(&self, caller: &Caller, id: &UserId) -> Result<User, AuthError> {
        caller.require(Permission::UserRead).map_err(|_| AuthError::Forbidden)?;
        self.users.get(&caller.scope, id).await?.ok_or(AuthError::NotFound)
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, AuthError> {
        caller.require(Permission::UserRead).map_err(|_| AuthError::Forbidden)?;
        Ok(self.users.list(&caller.scope, filter, page).await?)
    }

    /// Disables or enables a user; disabling ends their sessions.
    pub async fn set_user_status(&self, caller: &Caller, id: &UserId, status: UserStatus) -> Result<User, AuthError> {
        caller.require(Permission::UserWrite).map_err(|_| AuthError::Forbidden)?;
        let user = self.users.get(&caller.scope, id).await?.ok_or(AuthError::NotFound)?;
        if user.id == caller.user_id || !caller.role.may_grant(user.role) {
            return Err(AuthError::Forbidden);
        }
        let now = self.clock.now();
        let entry = AuditEntry::new(
            &user.platform_id,
            &user.path,
            &caller.actor(),
            "user.status",
            "user",
            user.id.as_str(),
            Some(json!({"status": user.status})),
            Some(json!({"status": status})),
            now,
        );
        self.users.set_status(&caller.scope, id, status, &entry).await?;
        if status == UserStatus::Disabled {
            self.tokens.revoke_user(id, now).await?;
        }
        self.users.get(&caller.scope, id).await?.ok_or(AuthError::NotFound)
    }

    async fn issue_pair(&self, user: User, family_id: String) -> Result<TokenPair, AuthError> {
        let now = self.clock.now();
        let access_ttl = self.settings.access_ttl.as_secs() as i64;
        let refresh_ttl = self.settings.refresh_ttl.as_secs() as i64;
        let claims = AccessClaims {
            sub: user.id.to_string(),
            username: user.username.clone(),
            platform_id: user.platform_id.to_string(),
            role: user.role,
            node_kind: user.node_kind,
            node_id: user.node_id.clone(),
            path: user.path.to_string(),
            iat: now.unix_timestamp(),
            exp: now.unix_timestamp() + access_ttl,
        };
        let access_token = self.access.issue(&claims);
        let id = RefreshTokenId::generate();
        let secret = self.signer.random_token(32);
        let refresh_token = format!("{id}.{secret}");
        let record = RefreshTokenRecord {
            id,
            platform_id: user.platform_id.clone(),
            user_id: user.id.clone(),
            family_id,
            token_hash: self.signer.sha256_hex(refresh_token.as_bytes()),
            expires_at: now + time::Duration::seconds(refresh_ttl),
            rotated_at: None,
            revoked_at: None,
            created_at: now,
        };
        self.tokens.insert(&record).await?;
        Ok(TokenPair {
            access_token,
            access_expires_in: access_ttl,
            refresh_token,
            refresh_expires_in: refresh_ttl,
            user,
        })
    }

    async fn throttle(&self, key: &str) -> Result<(), AuthError> {
        self.throttle_with(key, self.settings.login_max_attempts).await
    }

    async fn throttle_with(&self, key: &str, limit: i64) -> Result<(), AuthError> {
        let counted = self
            .cache
            .incr_within(key, 1, limit, self.settings.login_window)
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        counted.map(|_| ()).ok_or(AuthError::Throttled)
    }
}

//! Managing apps and keys (admin side).

use super::ip;
use super::model::*;
use super::ports::AppRepo;
use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::crypto::{FieldCipher, Signer};
use crate::identity::{Caller, NodeKind, Permission};
use crate::ids::{AppId, AppKeyId};
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::secret::Secret;
use crate::tenancy::ports::NodeDirectory;
use crate::validate::{self, FieldError};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("the app was changed by someone else; reload and retry")]
    StaleVersion,
    #[error("storage: {0}")]
    Repo(RepoError),
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(_) => Self::StaleVersion,
            other => Self::Repo(other),
        }
    }
}

/// Longest overlap during which a rotated-out key still verifies.
pub const MAX_ROTATION_OVERLAP_SECS: i64 = 7 * 24 * 3600;
pub const MAX_IP_RULES: usize = 50;

/// Which key a new app or a rotation gets.
#[derive(Clone, Debug)]
pub enum KeyInput {
    /// Generate an HMAC secret (returned once).
    Hmac,
    /// Register the merchant's RSA public key (PEM).
    Rsa { public_key_pem: String },
}

#[derive(Clone, Debug)]
pub struct NewApp {
    pub owner_kind: NodeKind,
    /// `None`: the caller's own node.
    pub owner_id: Option<String>,
    pub name: String,
    pub key: KeyInput,
    pub ip_allow_list: Vec<String>,
    pub allowed_ways: Vec<String>,
    pub notify_url: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct AppPatch {
    pub name: Option<String>,
    pub ip_allow_list: Option<Vec<String>>,
    pub allowed_ways: Option<Vec<String>>,
    /// `Some(None)` clears it.
    pub notify_url: Option<Option<String>>,
    pub status: Option<AppStatus>,
}

/// A created app or rotated key, with the HMAC secret in clear: shown once, never again.
#[derive(Clone, Debug)]
pub struct IssuedKey {
    pub app: App,
    pub key: AppKey,
    pub secret: Option<Secret<String>>,
}

pub struct AppService {
    pub repo: Arc<dyn AppRepo>,
    pub nodes: Arc<dyn NodeDirectory>,
    pub cipher: Arc<dyn FieldCipher>,
    pub signer: Arc<dyn Signer>,
    pub clock: Arc<dyn Clock>,
    /// Pay ways an app may be limited to (validated on input).
    pub known_ways: &'static [&'static str],
}

impl AppService {
    pub async fn create(&self, caller: &Caller, new: NewApp) -> Result<IssuedKey, AppError> {
        caller.require(Permission::AppWrite).map_err(|_| AppError::Forbidden)?;
        if !matches!(new.owner_kind, NodeKind::Merchant | NodeKind::Agent) {
            return Err(FieldError::new("owner_kind", "merchant or agent").into());
        }
        let name = validate::text("name", &new.name, 64)?;
        let ip_allow_list = ip_rules(new.ip_allow_list)?;
        let allowed_ways = self.ways(new.allowed_ways)?;
        let notify_url = new.notify_url.as_deref().map(|u| validate::url("notify_url", u)).transpose()?;
        let owner_id = new.owner_id.unwrap_or_else(|| caller.node_id.clone());
        let path = self
            .nodes
            .find_node(&caller.scope, new.owner_kind, &owner_id)
            .await?
            .ok_or_else(|| FieldError::new("owner_id", "no such owner in your scope"))?;
        let now = self.clock.now();
        let app = App {
            id: AppId::generate(),
            platform_id: caller.scope.platform_id.clone(),
            owner_kind: new.owner_kind,
            owner_id,
            path,
            name,
            status: AppStatus::Active,
            ip_allow_list,
            allowed_ways,
            notify_url,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let (key, secret) = self.new_key(&app, new.key)?;
        let audit = self.audit(caller, &app, "app.create", None, Some(app_view(&app, Some(&key))));
        self.repo.insert(&app, &key, &audit).await?;
        Ok(IssuedKey { app, key, secret })
    }

    pub async fn get(&self, caller: &Caller, id: &AppId) -> Result<(App, Vec<AppKey>), AppError> {
        caller.require(Permission::AppRead).map_err(|_| AppError::Forbidden)?;
        let app = self.repo.get(&caller.scope, id).await?.ok_or(AppError::NotFound)?;
        let keys = self.repo.keys(&caller.scope, id).await?;
        Ok((app, keys))
    }

    pub async fn list(&self, caller: &Caller, filter: &AppFilter, page: PageRequest) -> Result<Page<App>, AppError> {
        caller.require(Permission::AppRead).map_err(|_| AppError::Forbidden)?;
        Ok(self.repo.list(&caller.scope, filter, page).await?)
    }

    pub async fn update(
        &self,
        caller: &Caller,
        id: &AppId,
        version: Option<i64>,
        patch: AppPatch,
    ) -> Result<App, AppError> {
        caller.require(Permission::AppWrite).map_err(|_| AppError::Forbidden)?;
        let before = self.repo.get(&caller.scope, id).await?.ok_or(AppError::NotFound)?;
        let mut app = before.clone();
        if let Some(name) = patch.name {
            app.name = validate::text("name", &name, 64)?;
        }
        if let Some(rules) = patch.ip_allow_list {
            app.ip_allow_list = ip_rules(rules)?;
        }
        if let Some(ways) = patch.allowed_ways {
            app.allowed_ways = self.ways(ways)?;
        }
        if let Some(url) = patch.notify_url {
            app.notify_url = url.as_deref().map(|u| validate::url("notify_url", u)).transpose()?;
        }
        let action = match patch.status {
            Some(AppStatus::Disabled) if before.status != AppStatus::Disabled => "app.disable",
            Some(AppStatus::Active) if before.status != AppStatus::Active => "app.enable",
            _ => "app.update",
        };
        if let Some(status) = patch.status {
            app.status = status;
        }
        let version = version.unwrap_or(before.version);
        app.version = version;
        app.updated_at = self.clock.now();
        let audit = self.audit(caller, &app, action, Some(app_view(&before, None)), Some(app_view(&app, None)));
        self.repo.update(&app, &audit).await?;
        app.version = version + 1;
        Ok(app)
    }

    /// Issues a new key; existing keys keep verifying for `overlap_secs` (0 = end now).
    pub async fn rotate(
        &self,
        caller: &Caller,
        id: &AppId,
        key: KeyInput,
        overlap_secs: i64,
    ) -> Result<IssuedKey, AppError> {
        caller.require(Permission::AppWrite).map_err(|_| AppError::Forbidden)?;
        if !(0..=MAX_ROTATION_OVERLAP_SECS).contains(&overlap_secs) {
            return Err(FieldError::new("overlap_seconds", format!("0..={MAX_ROTATION_OVERLAP_SECS}")).into());
        }
        let app = self.repo.get(&caller.scope, id).await?.ok_or(AppError::NotFound)?;
        let (key, secret) = self.new_key(&app, key)?;
        let end = self.clock.now() + time::Duration::seconds(overlap_secs);
        let audit = self.audit(
            caller,
            &app,
            "app.key.rotate",
            None,
            Some(json!({"key_id": key.id, "kind": key.kind, "old_keys_end": end.unix_timestamp()})),
        );
        self.repo.rotate_key(&app, &key, end, &audit).await?;
        Ok(IssuedKey { app, key, secret })
    }

    fn new_key(&self, app: &App, input: KeyInput) -> Result<(AppKey, Option<Secret<String>>), AppError> {
        let now = self.clock.now();
        let mut key = AppKey {
            id: AppKeyId::generate(),
            app_id: app.id.clone(),
            kind: KeyKind::Hmac,
            secret_enc: None,
            public_key_pem: None,
            not_after: None,
            revoked_at: None,
            created_at: now,
        };
        match input {
            KeyInput::Hmac => {
                let secret = self.signer.random_token(32);
                key.secret_enc = Some(self.cipher.encrypt_str(&secret));
                Ok((key, Some(Secret::new(secret))))
            }
            KeyInput::Rsa { public_key_pem } => {
                let pem = public_key_pem.trim().to_owned();
                if pem.len() > 4096 {
                    return Err(FieldError::new("public_key_pem", "too long").into());
                }
                self.signer.check_rsa_public_pem(&pem).map_err(|e| FieldError::new("public_key_pem", e.to_string()))?;
                key.kind = KeyKind::Rsa;
                key.public_key_pem = Some(pem);
                Ok((key, None))
            }
        }
    }

    fn ways(&self, ways: Vec<String>) -> Result<Vec<String>, FieldError> {
        if let Some(bad) = ways.iter().find(|w| !self.known_ways.contains(&w.as_str())) {
            return Err(FieldError::new("allowed_ways", format!("unknown way {bad:?}")));
        }
        let mut ways = ways;
        ways.sort();
        ways.dedup();
        Ok(ways)
    }

    fn audit(
        &self,
        caller: &Caller,
        app: &App,
        action: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEntry {
        AuditEntry::new(
            &app.platform_id,
            &app.path,
            &caller.actor(),
            action,
            "app",
            app.id.as_str(),
            before,
            after,
            self.clock.now(),
        )
    }
}

fn ip_rules(rules: Vec<String>) -> Result<Vec<String>, FieldError> {
    if rules.len() > MAX_IP_RULES {
        return Err(FieldError::new("ip_allow_list", format!("at most {MAX_IP_RULES} entries")));
    }
    let trimmed: Vec<String> = rules.into_iter().map(|r| r.trim().to_owned()).collect();
    if let Some(bad) = trimmed.iter().find(|r| ip::parse_rule(r).is_none()) {
        return Err(FieldError::new("ip_allow_list", format!("{bad:?} is not an IP address or CIDR block")));
    }
    Ok(trimmed)
}

fn app_view(app: &App, key: Option<&AppKey>) -> Value {
    json!({
        "name": app.name,
        "status": app.status,
        "ip_allow_list": app.ip_allow_list,
        "allowed_ways": app.allowed_ways,
        "notify_url": app.notify_url,
        "key_kind": key.map(|k| k.kind),
        "secret": key.filter(|k| k.kind == KeyKind::Hmac).map(|_| "***"),
    })
}

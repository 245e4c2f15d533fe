//! Use cases of the tenancy tree. Agents live here; merchants and stores in sibling files.

use super::model::*;
use super::ports::TenancyRepo;
use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::crypto::FieldCipher;
use crate::identity::{Caller, NodeKind, Permission};
use crate::ids::AgentId;
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::scope::NodePath;
use crate::secret::mask_phone;
use crate::validate::{self, FieldError};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the record was changed by someone else; reload and retry")]
    StaleVersion,
    #[error("storage: {0}")]
    Repo(RepoError),
}

impl From<RepoError> for TenancyError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => Self::NotFound,
            RepoError::Conflict(what) if what == "version" => Self::StaleVersion,
            RepoError::Conflict(what) => Self::Conflict(what),
            other => Self::Repo(other),
        }
    }
}

pub type TenancyResult<T> = Result<T, TenancyError>;

pub struct TenancyService {
    pub(super) repo: Arc<dyn TenancyRepo>,
    pub(super) cipher: Arc<dyn FieldCipher>,
    pub(super) clock: Arc<dyn Clock>,
}

/// Contact fields shared by agents and merchants.
#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewAgent {
    /// `None`: directly below the platform (platform users) or below the caller's agent.
    pub parent_id: Option<AgentId>,
    pub name: String,
    pub contact: ContactInput,
}

#[derive(Clone, Debug, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub contact: Option<ContactInput>,
}

/// Encrypted and masked forms of a contact phone.
pub(super) struct SealedPhone {
    pub enc: Option<String>,
    pub masked: Option<String>,
}

impl TenancyService {
    pub fn new(repo: Arc<dyn TenancyRepo>, cipher: Arc<dyn FieldCipher>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, cipher, clock }
    }

    /// The platform of this installation, created on first use.
    pub async fn ensure_platform(&self, name: &str) -> TenancyResult<Platform> {
        if let Some(p) = self.repo.first_platform().await? {
            return Ok(p);
        }
        let platform = Platform {
            id: crate::ids::PlatformId::generate(),
            name: validate::text("name", name, 64)?,
            created_at: self.clock.now(),
        };
        self.repo.insert_platform(&platform).await?;
        Ok(platform)
    }

    pub async fn create_agent(&self, caller: &Caller, new: NewAgent) -> TenancyResult<Agent> {
        require(caller, Permission::AgentWrite)?;
        let name = validate::text("name", &new.name, 64)?;
        let contact_name = validate::optional_text("contact_name", new.contact.contact_name.as_deref(), 32)?;
        let phone = self.seal_phone(new.contact.contact_phone.as_deref())?;
        let parent_id = match (new.parent_id, caller.node_kind) {
            (Some(id), _) => Some(id),
            (None, NodeKind::Agent) => AgentId::parse(&caller.node_id),
            (None, NodeKind::Platform) => None,
            (None, _) => return Err(TenancyError::Forbidden),
        };
        let (parent_path, level) = match &parent_id {
            Some(pid) => {
                let parent = self
                    .repo
                    .get_agent(&caller.scope, pid)
                    .await?
                    .ok_or_else(|| FieldError::new("parent_id", "no such agent in your scope"))?;
                (parent.path, parent.level + 1)
            }
            None => (NodePath::platform_root(&caller.scope.platform_id), 1),
        };
        if !caller.scope.contains(&parent_path) {
            return Err(TenancyError::Forbidden);
        }
        let id = AgentId::generate();
        let now = self.clock.now();
        let agent = Agent {
            path: parent_path.child(id.as_str()),
            id,
            platform_id: caller.scope.platform_id.clone(),
            parent_id,
            level,
            name,
            contact_name,
            contact_phone_enc: phone.enc,
            contact_phone_masked: phone.masked,
            status: NodeStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit =
            self.audit(caller, &agent.path, "agent.create", "agent", agent.id.as_str(), None, Some(agent_view(&agent)));
        self.repo.insert_agent(&agent, &audit).await?;
        Ok(agent)
    }

    pub async fn get_agent(&self, caller: &Caller, id: &AgentId) -> TenancyResult<Agent> {
        require(caller, Permission::HierarchyRead)?;
        self.repo.get_agent(&caller.scope, id).await?.ok_or(TenancyError::NotFound)
    }

    pub async fn list_agents(
        &self,
        caller: &Caller,
        filter: &AgentFilter,
        page: PageRequest,
    ) -> TenancyResult<Page<Agent>> {
        require(caller, Permission::HierarchyRead)?;
        Ok(self.repo.list_agents(&caller.scope, filter, page).await?)
    }

    pub async fn update_agent(
        &self,
        caller: &Caller,
        id: &AgentId,
        version: Option<i64>,
        patch: AgentPatch,
    ) -> TenancyResult<Agent> {
        require(caller, Permission::AgentWrite)?;
        let before = self.get_agent(caller, id).await?;
        self.forbid_own_node(caller, id.as_str())?;
        let mut agent = before.clone();
        if let Some(name) = patch.name {
            agent.name = validate::text("name", &name, 64)?;
        }
        if let Some(contact) = patch.contact {
            agent.contact_name = validate::optional_text("contact_name", contact.contact_name.as_deref(), 32)?;
            let phone = self.seal_phone(contact.contact_phone.as_deref())?;
            agent.contact_phone_enc = phone.enc;
            agent.contact_phone_masked = phone.masked;
        }
        self.save_agent(caller, before, agent, version, "agent.update").await
    }

    /// Disabling an agent stops its whole subtree (merchants' Open API calls are refused).
    pub async fn set_agent_status(
        &self,
        caller: &Caller,
        id: &AgentId,
        version: Option<i64>,
        status: NodeStatus,
    ) -> TenancyResult<Agent> {
        require(caller, Permission::HierarchyControl)?;
        let before = self.get_agent(caller, id).await?;
        self.forbid_own_node(caller, id.as_str())?;
        let mut agent = before.clone();
        agent.status = status;
        let action = if status == NodeStatus::Disabled { "agent.disable" } else { "agent.enable" };
        self.save_agent(caller, before, agent, version, action).await
    }

    async fn save_agent(
        &self,
        caller: &Caller,
        before: Agent,
        mut agent: Agent,
        version: Option<i64>,
        action: &str,
    ) -> TenancyResult<Agent> {
        let version = version.unwrap_or(before.version);
        agent.version = version;
        agent.updated_at = self.clock.now();
        let audit = self.audit(
            caller,
            &agent.path,
            action,
            "agent",
            agent.id.as_str(),
            Some(agent_view(&before)),
            Some(agent_view(&agent)),
        );
        self.repo.update_agent(&agent, &audit).await?;
        agent.version = version + 1;
        Ok(agent)
    }

    /// Users may not edit or disable the node they belong to (only those above may).
    pub(super) fn forbid_own_node(&self, caller: &Caller, node_id: &str) -> TenancyResult<()> {
        if caller.node_id == node_id { Err(TenancyError::Forbidden) } else { Ok(()) }
    }

    pub(super) fn seal_phone(&self, phone: Option<&str>) -> TenancyResult<SealedPhone> {
        match phone.map(str::trim).filter(|p| !p.is_empty()) {
            None => Ok(SealedPhone { enc: None, masked: None }),
            Some(p) => {
                let p = validate::phone("contact_phone", p)?;
                Ok(SealedPhone { enc: Some(self.cipher.encrypt_str(&p)), masked: Some(mask_phone(&p)) })
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn audit(
        &self,
        caller: &Caller,
        path: &NodePath,
        action: &str,
        kind: &str,
        id: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEntry {
        AuditEntry::new(
            &caller.scope.platform_id,
            path,
            &caller.actor(),
            action,
            kind,
            id,
            before,
            after,
            self.clock.now(),
        )
    }
}

pub(super) fn require(caller: &Caller, permission: Permission) -> TenancyResult<()> {
    caller.require(permission).map_err(|_| TenancyError::Forbidden)
}

/// The audited view of an agent (masked contact data only).
fn agent_view(a: &Agent) -> Value {
    json!({
        "name": a.name,
        "contact_name": a.contact_name,
        "contact_phone": a.contact_phone_masked,
        "status": a.status,
        "parent_id": a.parent_id,
    })
}

//! Merchants (with group parent/child numbers), their legal entities, and moving between agents.

use super::model::*;
use super::service::{ContactInput, TenancyError, TenancyResult, TenancyService, require};
use crate::identity::{Caller, NodeKind, Permission};
use crate::ids::{AgentId, LegalEntityId, MerchantId};
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::scope::NodePath;
use crate::secret::mask_tail;
use crate::validate::{self, FieldError};
use serde_json::{Value, json};

/// The legal entity behind a new merchant: an existing one, or the details to find-or-create it
/// (same licence/ID number → the same record).
#[derive(Clone, Debug)]
pub enum LegalEntityInput {
    Existing(LegalEntityId),
    Details(NewLegalEntity),
}

#[derive(Clone, Debug)]
pub struct NewLegalEntity {
    pub kind: EntityKind,
    pub name: String,
    pub id_number: String,
    pub legal_person: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewMerchant {
    /// `None`: the caller's agent (agent users) or directly below the platform (platform users).
    pub agent_id: Option<AgentId>,
    /// For a child number: the group merchant it belongs to (agent and entity are inherited).
    pub parent_id: Option<MerchantId>,
    pub legal_entity: Option<LegalEntityInput>,
    pub name: String,
    pub short_name: Option<String>,
    pub business_scene: BusinessScene,
    pub settle_to_parent: bool,
    pub contact: ContactInput,
}

#[derive(Clone, Debug, Default)]
pub struct MerchantPatch {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub business_scene: Option<BusinessScene>,
    pub settle_to_parent: Option<bool>,
    pub contact: Option<ContactInput>,
}

impl TenancyService {
    pub async fn create_merchant(&self, caller: &Caller, new: NewMerchant) -> TenancyResult<Merchant> {
        require(caller, Permission::MerchantWrite)?;
        let name = validate::text("name", &new.name, 64)?;
        let short_name = validate::optional_text("short_name", new.short_name.as_deref(), 32)?
            .unwrap_or_else(|| name.chars().take(32).collect());
        let contact_name = validate::optional_text("contact_name", new.contact.contact_name.as_deref(), 32)?;
        let phone = self.seal_phone(new.contact.contact_phone.as_deref())?;

        let (agent_id, parent_path, inherited_entity) = match &new.parent_id {
            Some(pid) => {
                let parent = self
                    .repo
                    .get_merchant(&caller.scope, pid)
                    .await?
                    .ok_or_else(|| FieldError::new("parent_id", "no such merchant in your scope"))?;
                if parent.parent_id.is_some() {
                    return Err(FieldError::new("parent_id", "a child merchant cannot have children").into());
                }
                (parent.agent_id.clone(), parent.path.clone(), Some(parent.legal_entity_id.clone()))
            }
            None => {
                if new.settle_to_parent {
                    return Err(FieldError::new("settle_to_parent", "only child merchants settle to a parent").into());
                }
                let agent_id = match (&new.agent_id, caller.node_kind) {
                    (Some(id), _) => Some(id.clone()),
                    (None, NodeKind::Agent) => AgentId::parse(&caller.node_id),
                    (None, NodeKind::Platform) => None,
                    (None, _) => return Err(TenancyError::Forbidden),
                };
                let path = self.agent_path(caller, agent_id.as_ref()).await?;
                (agent_id, path, None)
            }
        };
        if !caller.scope.contains(&parent_path) {
            return Err(TenancyError::Forbidden);
        }
        let legal_entity_id = match (new.legal_entity, inherited_entity) {
            (Some(input), _) => self.resolve_legal_entity(caller, &parent_path, input).await?,
            (None, Some(inherited)) => inherited,
            (None, None) => {
                return Err(FieldError::new("legal_entity", "required for a merchant without parent").into());
            }
        };

        let now = self.clock.now();
        let id = MerchantId::generate();
        let mut merchant = Merchant {
            path: parent_path.child(id.as_str()),
            id,
            platform_id: caller.scope.platform_id.clone(),
            merchant_no: String::new(),
            agent_id,
            parent_id: new.parent_id,
            legal_entity_id,
            name,
            short_name,
            business_scene: new.business_scene,
            settle_to_parent: new.settle_to_parent,
            contact_name,
            contact_phone_enc: phone.enc,
            contact_phone_masked: phone.masked,
            status: NodeStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        // Merchant numbers are random (not guessable from volume); retry on the rare collision.
        for attempt in 0.. {
            merchant.merchant_no = new_merchant_no();
            let audit = self.audit(
                caller,
                &merchant.path,
                "merchant.create",
                "merchant",
                merchant.id.as_str(),
                None,
                Some(merchant_view(&merchant)),
            );
            match self.repo.insert_merchant(&merchant, &audit).await {
                Err(RepoError::Conflict(c)) if c.contains("merchant_no") && attempt < 5 => continue,
                other => other?,
            }
            break;
        }
        Ok(merchant)
    }

    pub async fn get_merchant(&self, caller: &Caller, id: &MerchantId) -> TenancyResult<Merchant> {
        require(caller, Permission::HierarchyRead)?;
        self.repo.get_merchant(&caller.scope, id).await?.ok_or(TenancyError::NotFound)
    }

    pub async fn list_merchants(
        &self,
        caller: &Caller,
        filter: &MerchantFilter,
        page: PageRequest,
    ) -> TenancyResult<Page<Merchant>> {
        require(caller, Permission::HierarchyRead)?;
        Ok(self.repo.list_merchants(&caller.scope, filter, page).await?)
    }

    pub async fn update_merchant(
        &self,
        caller: &Caller,
        id: &MerchantId,
        version: Option<i64>,
        patch: MerchantPatch,
    ) -> TenancyResult<Merchant> {
        require(caller, Permission::MerchantWrite)?;
        let before = self.get_merchant(caller, id).await?;
        self.forbid_own_node(caller, id.as_str())?;
        let mut m = before.clone();
        if let Some(name) = patch.name {
            m.name = validate::text("name", &name, 64)?;
        }
        if let Some(short) = patch.short_name {
            m.short_name = validate::text("short_name", &short, 32)?;
        }
        if let Some(scene) = patch.business_scene {
            m.business_scene = scene;
        }
        if let Some(flag) = patch.settle_to_parent {
            if flag && m.parent_id.is_none() {
                return Err(FieldError::new("settle_to_parent", "only child merchants settle to a parent").into());
            }
            m.settle_to_parent = flag;
        }
        if let Some(contact) = patch.contact {
            m.contact_name = validate::optional_text("contact_name", contact.contact_name.as_deref(), 32)?;
            let phone = self.seal_phone(contact.contact_phone.as_deref())?;
            m.contact_phone_enc = phone.enc;
            m.contact_phone_masked = phone.masked;
        }
        self.save_merchant(caller, before, m, version, "merchant.update").await
    }

    pub async fn set_merchant_status(
        &self,
        caller: &Caller,
        id: &MerchantId,
        version: Option<i64>,
        status: NodeStatus,
    ) -> TenancyResult<Merchant> {
        require(caller, Permission::HierarchyControl)?;
        let before = self.get_merchant(caller, id).await?;
        self.forbid_own_node(caller, id.as_str())?;
        let mut m = before.clone();
        m.status = status;
        let action = if status == NodeStatus::Disabled { "merchant.disable" } else { "merchant.enable" };
        self.save_merchant(caller, before, m, version, action).await
    }

    /// Moves a top-level merchant (with its child numbers, stores, users and apps) to another
    /// agent in the caller's scope. `None` moves it directly below the platform.
    pub async fn move_merchant(
        &self,
        caller: &Caller,
        id: &MerchantId,
        version: Option<i64>,
        to_agent: Option<AgentId>,
    ) -> TenancyResult<Merchant> {
        require(caller, Permission::HierarchyControl)?;
        let before = self.get_merchant(caller, id).await?;
        if before.parent_id.is_some() {
            return Err(FieldError::new("id", "a child merchant moves with its parent").into());
        }
        if to_agent.is_none() && caller.node_kind != NodeKind::Platform {
            return Err(TenancyError::Forbidden);
        }
        let new_parent = self.agent_path(caller, to_agent.as_ref()).await?;
        let mut m = before.clone();
        m.agent_id = to_agent;
        m.path = new_parent.child(m.id.as_str());
        m.version = version.unwrap_or(before.version);
        m.updated_at = self.clock.now();
        let audit = self.audit(
            caller,
            &m.path,
            "merchant.move",
            "merchant",
            m.id.as_str(),
            Some(json!({"agent_id": before.agent_id, "path": before.path})),
            Some(json!({"agent_id": m.agent_id, "path": m.path})),
        );
        self.repo.move_merchant(&m, &before.path, &audit).await?;
        m.version += 1;
        Ok(m)
    }

    pub async fn get_legal_entity(&self, caller: &Caller, id: &LegalEntityId) -> TenancyResult<LegalEntity> {
        require(caller, Permission::HierarchyRead)?;
        self.repo.get_legal_entity(&caller.scope, id).await?.ok_or(TenancyError::NotFound)
    }

    pub async fn list_legal_entities(
        &self,
        caller: &Caller,
        filter: &LegalEntityFilter,
        page: PageRequest,
    ) -> TenancyResult<Page<LegalEntity>> {
        require(caller, Permission::HierarchyRead)?;
        Ok(self.repo.list_legal_entities(&caller.scope, filter, page).await?)
    }

    /// Registers a legal entity (platform users), or returns the existing record for the number.
    pub async fn register_legal_entity(&self, caller: &Caller, new: NewLegalEntity) -> TenancyResult<LegalEntity> {
        require(caller, Permission::MerchantWrite)?;
        if caller.node_kind != NodeKind::Platform {
            return Err(TenancyError::Forbidden);
        }
        let root = NodePath::platform_root(&caller.scope.platform_id);
        let id = self.resolve_legal_entity(caller, &root, LegalEntityInput::Details(new)).await?;
        self.get_legal_entity(caller, &id).await
    }

    async fn resolve_legal_entity(
        &self,
        caller: &Caller,
        path: &NodePath,
        input: LegalEntityInput,
    ) -> TenancyResult<LegalEntityId> {
        let new = match input {
            LegalEntityInput::Existing(id) => {
                return match self.repo.get_legal_entity(&caller.scope, &id).await? {
                    Some(e) => Ok(e.id),
                    None => Err(FieldError::new("legal_entity_id", "no such legal entity in your scope").into()),
                };
            }
            LegalEntityInput::Details(new) => new,
        };
        let name = validate::text("legal_entity.name", &new.name, 128)?;
        let number = normalise_id_number(&new.id_number)?;
        let legal_person = validate::optional_text("legal_entity.legal_person", new.legal_person.as_deref(), 32)?;
        let hash = self.cipher.blind_index(&number);
        if let Some(existing) = self.repo.find_legal_entity_by_hash(&caller.scope.platform_id, &hash).await? {
            return Ok(existing.id);
        }
        let now = self.clock.now();
        let entity = LegalEntity {
            id: LegalEntityId::generate(),
            platform_id: caller.scope.platform_id.clone(),
            kind: new.kind,
            name,
            id_number_enc: self.cipher.encrypt_str(&number),
            id_number_hash: hash.clone(),
            id_number_last4: number.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect(),
            legal_person_masked: legal_person.as_deref().map(mask_name),
            legal_person_enc: legal_person.map(|p| self.cipher.encrypt_str(&p)),
            created_at: now,
            updated_at: now,
        };
        let audit = self.audit(
            caller,
            path,
            "legal_entity.create",
            "legal_entity",
            entity.id.as_str(),
            None,
            Some(json!({"kind": entity.kind, "name": entity.name, "id_number": mask_tail(&number, 4)})),
        );
        match self.repo.insert_legal_entity(&entity, &audit).await {
            Ok(()) => Ok(entity.id),
            // Someone registered the same number concurrently: use theirs.
            Err(RepoError::Conflict(_)) => self
                .repo
                .find_legal_entity_by_hash(&caller.scope.platform_id, &hash)
                .await?
                .map(|e| e.id)
                .ok_or(TenancyError::Conflict("legal_entity".into())),
            Err(e) => Err(e.into()),
        }
    }

    async fn agent_path(&self, caller: &Caller, agent: Option<&AgentId>) -> TenancyResult<NodePath> {
        match agent {
            Some(id) => Ok(self
                .repo
                .get_agent(&caller.scope, id)
                .await?
                .ok_or_else(|| FieldError::new("agent_id", "no such agent in your scope"))?
                .path),
            None => Ok(NodePath::platform_root(&caller.scope.platform_id)),
        }
    }

    async fn save_merchant(
        &self,
        caller: &Caller,
        before: Merchant,
        mut m: Merchant,
        version: Option<i64>,
        action: &str,
    ) -> TenancyResult<Merchant> {
        let version = version.unwrap_or(before.version);
        m.version = version;
        m.updated_at = self.clock.now();
        let audit = self.audit(
            caller,
            &m.path,
            action,
            "merchant",
            m.id.as_str(),
            Some(merchant_view(&before)),
            Some(merchant_view(&m)),
        );
        self.repo.update_merchant(&m, &audit).await?;
        m.version = version + 1;
        Ok(m)
    }
}

/// `M` + 10 digits, the first never 0.
fn new_merchant_no() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 9_000_000_000 + 1_000_000_000;
    format!("M{n}")
}

/// Licence numbers (18-char unified social credit codes) and ID numbers: upper-case, no spaces.
fn normalise_id_number(raw: &str) -> Result<String, FieldError> {
    let n: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if (8..=32).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(n)
    } else {
        Err(FieldError::new("legal_entity.id_number", "8-32 letters and digits"))
    }
}

/// `张三丰` → `张**`.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().map(String::from).unwrap_or_default();
    format!("{first}{}", "*".repeat(chars.count()))
}

fn merchant_view(m: &Merchant) -> Value {
    json!({
        "name": m.name,
        "short_name": m.short_name,
        "business_scene": m.business_scene,
        "settle_to_parent": m.settle_to_parent,
        "contact_name": m.contact_name,
        "contact_phone": m.contact_phone_masked,
        "status": m.status,
        "agent_id": m.agent_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_numbers_and_id_numbers() {
        let no = new_merchant_no();
        assert_eq!(no.len(), 11);
        assert!(no.starts_with('M') && !no[1..].starts_with('0'));
        assert_eq!(normalise_id_number(" 91310000 mA1k0xx00x ").unwrap(), "91310000MA1K0XX00X");
        assert!(normalise_id_number("12-34").is_err());
        assert_eq!(mask_name("张三丰"), "张**");
    }
}

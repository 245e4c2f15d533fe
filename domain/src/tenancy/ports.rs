use super::model::*;
use crate::audit::AuditEntry;
use crate::identity::NodeKind;
use crate::ids::{AgentId, LegalEntityId, MerchantId, PlatformId, StoreId};
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::{NodePath, Scope};

/// Repositories for the tree. Every read takes the caller's scope and returns nothing outside it.
/// Writes that change a record carry the audit entry, stored in the same transaction; updates
/// are optimistic (`version` must match, else `RepoError::Conflict("version")`).
#[async_trait::async_trait]
pub trait TenancyRepo: Send + Sync {
    async fn insert_platform(&self, platform: &Platform) -> RepoResult<()>;
    async fn get_platform(&self, id: &PlatformId) -> RepoResult<Option<Platform>>;
    async fn first_platform(&self) -> RepoResult<Option<Platform>>;

    async fn insert_agent(&self, agent: &Agent, audit: &AuditEntry) -> RepoResult<()>;
    async fn get_agent(&self, scope: &Scope, id: &AgentId) -> RepoResult<Option<Agent>>;
    async fn list_agents(&self, scope: &Scope, filter: &AgentFilter, page: PageRequest) -> RepoResult<Page<Agent>>;
    async fn update_agent(&self, agent: &Agent, audit: &AuditEntry) -> RepoResult<()>;

    async fn insert_merchant(&self, merchant: &Merchant, audit: &AuditEntry) -> RepoResult<()>;
    async fn get_merchant(&self, scope: &Scope, id: &MerchantId) -> RepoResult<Option<Merchant>>;
    async fn get_merchant_by_no(&self, scope: &Scope, merchant_no: &str) -> RepoResult<Option<Merchant>>;
    async fn list_merchants(
        &self,
        scope: &Scope,
        filter: &MerchantFilter,
        page: PageRequest,
    ) -> RepoResult<Page<Merchant>>;
    async fn update_merchant(&self, merchant: &Merchant, audit: &AuditEntry) -> RepoResult<()>;
    /// Moves a merchant (and its child merchants, stores, users and apps) to a new path, in one
    /// transaction. `merchant` carries the new agent and path and the expected version.
    async fn move_merchant(&self, merchant: &Merchant, old_path: &NodePath, audit: &AuditEntry) -> RepoResult<()>;

    async fn insert_legal_entity(&self, entity: &LegalEntity, audit: &AuditEntry) -> RepoResult<()>;
    /// Entities behind at least one merchant in scope (the whole platform's for platform scope).
    async fn get_legal_entity(&self, scope: &Scope, id: &LegalEntityId) -> RepoResult<Option<LegalEntity>>;
    async fn find_legal_entity_by_hash(
        &self,
        platform: &PlatformId,
        id_number_hash: &str,
    ) -> RepoResult<Option<LegalEntity>>;
    async fn list_legal_entities(
        &self,
        scope: &Scope,
        filter: &LegalEntityFilter,
        page: PageRequest,
    ) -> RepoResult<Page<LegalEntity>>;

    async fn insert_store(&self, store: &Store, audit: &AuditEntry) -> RepoResult<()>;
    async fn get_store(&self, scope: &Scope, id: &StoreId) -> RepoResult<Option<Store>>;
    async fn list_stores(&self, scope: &Scope, filter: &StoreFilter, page: PageRequest) -> RepoResult<Page<Store>>;
    async fn update_store(&self, store: &Store, audit: &AuditEntry) -> RepoResult<()>;
}

/// Finding nodes by kind and id, for users, apps and the Open API.
#[async_trait::async_trait]
pub trait NodeDirectory: Send + Sync {
    /// The path of a node of this kind in scope.
    async fn find_node(&self, scope: &Scope, kind: NodeKind, id: &str) -> RepoResult<Option<NodePath>>;
    /// True when any agent or merchant on the path (the node itself or an ancestor) is disabled.
    async fn path_disabled(&self, path: &NodePath) -> RepoResult<bool>;
}

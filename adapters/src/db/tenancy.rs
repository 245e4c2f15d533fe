//! `TenancyRepo`: platforms, agents, merchants, legal entities and stores.

use super::entities::{agents, legal_entities, merchants, platforms, stores};
use super::errors::db_err;
use super::query::{fetch_page, get_scoped, in_scope, newest_first, scoped, search, sorted, time_key};
use super::store::SqlStore;
use juhe_domain::audit::AuditEntry;
use juhe_domain::ids::{AgentId, LegalEntityId, MerchantId, PlatformId, StoreId};
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::{NodePath, Scope};
use juhe_domain::tenancy::ports::TenancyRepo;
use juhe_domain::tenancy::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, Order, QueryFilter, QueryOrder, QueryTrait, Select};

#[async_trait::async_trait]
impl TenancyRepo for SqlStore {
    async fn insert_platform(&self, platform: &Platform) -> RepoResult<()> {
        platforms::Entity::insert(platforms::from_domain(platform))
            .exec_without_returning(self.connection())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn get_platform(&self, id: &PlatformId) -> RepoResult<Option<Platform>> {
        let row = platforms::Entity::find_by_id(id.as_str()).one(self.connection()).await.map_err(db_err)?;
        Ok(row.map(platforms::Model::into_domain))
    }

    /// The oldest platform (single-platform installs and first-run seeding).
    async fn first_platform(&self) -> RepoResult<Option<Platform>> {
        let row = platforms::Entity::find()
            .order_by(time_key(self.backend(), platforms::Column::CreatedAt), Order::Asc)
            .order_by_asc(platforms::Column::Id)
            .one(self.connection())
            .await
            .map_err(db_err)?;
        Ok(row.map(platforms::Model::into_domain))
    }

    async fn insert_agent(&self, agent: &Agent, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(agents::from_domain(agent), audit).await
    }

    async fn get_agent(&self, scope: &Scope, id: &AgentId) -> RepoResult<Option<Agent>> {
        get_scoped::<agents::Entity>(self.connection(), scope, id.as_str())
            .await?
            .map(agents::Model::into_domain)
            .transpose()
    }

    async fn list_agents(&self, scope: &Scope, filter: &AgentFilter, page: PageRequest) -> RepoResult<Page<Agent>> {
        use agents::Column as C;
        let select = scoped::<agents::Entity>(scope)
            .apply_if(search(self.backend(), &[C::Name], filter.q.as_deref()), QueryFilter::filter)
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())))
            .apply_if(filter.parent_id.as_ref(), |q, p| q.filter(C::ParentId.eq(p.as_str())));
        let key = sort_key(self.backend(), &filter.sort, C::CreatedAt, C::Name, None);
        fetch_page(self.connection(), sorted(select, key, filter.sort.dir), page, agents::Model::into_domain).await
    }

    async fn update_agent(&self, agent: &Agent, audit: &AuditEntry) -> RepoResult<()> {
        self.update_with_audit(agents::changes(agent), agent.id.as_str(), &agent.platform_id, agent.version, audit)
            .await
    }

    async fn insert_merchant(&self, merchant: &Merchant, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(merchants::from_domain(merchant), audit).await
    }

    async fn get_merchant(&self, scope: &Scope, id: &MerchantId) -> RepoResult<Option<Merchant>> {
        get_scoped::<merchants::Entity>(self.connection(), scope, id.as_str())
            .await?
            .map(merchants::Model::into_domain)
            .transpose()
    }

    async fn get_merchant_by_no(&self, scope: &Scope, merchant_no: &str) -> RepoResult<Option<Merchant>> {
        let key = (scope.platform_id.as_str().to_owned(), scope.path.as_str().to_owned(), merchant_no.to_owned());
        self.lookups
            .get(&self.lookups.merchants_by_no, key, || async {
                scoped::<merchants::Entity>(scope)
                    .filter(merchants::Column::MerchantNo.eq(merchant_no))
                    .one(self.connection())
                    .await
                    .map_err(db_err)?
                    .map(merchants::Model::into_domain)
                    .transpose()
            })
            .await
    }

    async fn list_merchants(
        &self,
        scope: &Scope,
        filter: &MerchantFilter,
        page: PageRequest,
    ) -> RepoResult<Page<Merchant>> {
        use merchants::Column as C;
        let select = scoped::<merchants::Entity>(scope)
            .apply_if(search(self.backend(), &[C::Name, C::MerchantNo], filter.q.as_deref()), QueryFilter::filter)
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())))
            .apply_if(filter.agent_id.as_ref(), |q, a| q.filter(C::AgentId.eq(a.as_str())))
            .apply_if(filter.parent_id.as_ref(), |q, p| q.filter(C::ParentId.eq(p.as_str())))
            .apply_if(filter.legal_entity_id.as_ref(), |q, e| q.filter(C::LegalEntityId.eq(e.as_str())));
        let key = sort_key(self.backend(), &filter.sort, C::CreatedAt, C::Name, Some(C::MerchantNo));
        fetch_page(self.connection(), sorted(select, key, filter.sort.dir), page, merchants::Model::into_domain).await
    }

    async fn update_merchant(&self, merchant: &Merchant, audit: &AuditEntry) -> RepoResult<()> {
        let changes = merchants::changes(merchant);
        self.update_with_audit(changes, merchant.id.as_str(), &merchant.platform_id, merchant.version, audit).await
    }

    async fn move_merchant(&self, merchant: &Merchant, old_path: &NodePath, audit: &AuditEntry) -> RepoResult<()> {
        self.move_merchant_subtree(merchant, old_path, audit).await
    }

    async fn insert_legal_entity(&self, entity: &LegalEntity, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(legal_entities::from_domain(entity), audit).await
    }

    async fn get_legal_entity(&self, scope: &Scope, id: &LegalEntityId) -> RepoResult<Option<LegalEntity>> {
        visible_legal_entities(scope)
            .filter(legal_entities::Column::Id.eq(id.as_str()))
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(legal_entities::Model::into_domain)
            .transpose()
    }

    async fn find_legal_entity_by_hash(
        &self,
        platform: &PlatformId,
        id_number_hash: &str,
    ) -> RepoResult<Option<LegalEntity>> {
        legal_entities::Entity::find()
            .filter(legal_entities::Column::PlatformId.eq(platform.as_str()))
            .filter(legal_entities::Column::IdNumberHash.eq(id_number_hash))
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(legal_entities::Model::into_domain)
            .transpose()
    }

    async fn list_legal_entities(
        &self,
        scope: &Scope,
        filter: &LegalEntityFilter,
        page: PageRequest,
    ) -> RepoResult<Page<LegalEntity>> {
        use legal_entities::Column as C;
        let select = visible_legal_entities(scope)
            .apply_if(search(self.backend(), &[C::Name], filter.q.as_deref()), QueryFilter::filter)
            .apply_if(filter.kind, |q, k| q.filter(C::Kind.eq(k.as_str())));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, legal_entities::Model::into_domain).await
    }

    async fn insert_store(&self, store: &Store, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(stores::from_domain(store), audit).await
    }

    async fn get_store(&self, scope: &Scope, id: &StoreId) -> RepoResult<Option<Store>> {
        get_scoped::<stores::Entity>(self.connection(), scope, id.as_str())
            .await?
            .map(stores::Model::into_domain)
            .transpose()
    }

    async fn list_stores(&self, scope: &Scope, filter: &StoreFilter, page: PageRequest) -> RepoResult<Page<Store>> {
        use stores::Column as C;
        let select = scoped::<stores::Entity>(scope)
            .apply_if(search(self.backend(), &[C::Name], filter.q.as_deref()), QueryFilter::filter)
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())))
            .apply_if(filter.merchant_id.as_ref(), |q, m| q.filter(C::MerchantId.eq(m.as_str())));
        let key = sort_key(self.backend(), &filter.sort, C::CreatedAt, C::Name, None);
        fetch_page(self.connection(), sorted(select, key, filter.sort.dir), page, stores::Model::into_domain).await
    }

    async fn update_store(&self, store: &Store, audit: &AuditEntry) -> RepoResult<()> {
        self.update_with_audit(stores::changes(store), store.id.as_str(), &store.platform_id, store.version, audit)
            .await
    }
}

/// The key a list is sorted by; tables without a merchant number sort by name instead.
fn sort_key<C: ColumnTrait>(backend: DbBackend, sort: &Sort, created_at: C, name: C, merchant_no: Option<C>) -> Expr {
    match sort.field {
        SortField::CreatedAt => time_key(backend, created_at),
        SortField::Name => name.into_expr(),
        SortField::MerchantNo => merchant_no.unwrap_or(name).into_expr(),
    }
}

/// Legal entities have no path: a scope sees those of its platform behind at least one merchant
/// in the scope; the platform root sees all of them, including ones not linked yet.
fn visible_legal_entities(scope: &Scope) -> Select<legal_entities::Entity> {
    let select =
        legal_entities::Entity::find().filter(legal_entities::Column::PlatformId.eq(scope.platform_id.as_str()));
    if scope.path == NodePath::platform_root(&scope.platform_id) {
        return select;
    }
    let linked_in_scope = Query::select()
        .expr(Expr::val(1))
        .from(merchants::Entity)
        .and_where(merchants::Column::LegalEntityId.into_expr().eq(legal_entities::Column::Id.into_expr()))
        .cond_where(in_scope::<merchants::Entity>(scope))
        .take();
    select.filter(Expr::exists(linked_in_scope))
}

//! `ChannelRepo`: channel accounts (platform-level) and merchant bindings (scoped like the
//! merchant), both updated optimistically with an audit entry.

use super::entities::{channel_accounts, channel_bindings};
use super::errors::db_err;
use super::query::{fetch_page, get_scoped, newest_first, oldest_first, scoped, time_key};
use super::store::SqlStore;
use juhe_domain::audit::AuditEntry;
use juhe_domain::channels::{ChannelAccount, ChannelBinding};
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::payments::ports::ChannelRepo;
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::Scope;
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder, QueryTrait};

#[async_trait::async_trait]
impl ChannelRepo for SqlStore {
    async fn insert_account(&self, account: &ChannelAccount, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(channel_accounts::from_domain(account), audit).await
    }

    async fn get_account(&self, platform_id: &PlatformId, id: &str) -> RepoResult<Option<ChannelAccount>> {
        use channel_accounts::Column as C;
        let key = (platform_id.as_str().to_owned(), id.to_owned());
        self.lookups
            .get(&self.lookups.accounts, key, || async {
                channel_accounts::Entity::find()
                    .filter(C::PlatformId.eq(platform_id.as_str()))
                    .filter(C::Id.eq(id))
                    .one(self.connection())
                    .await
                    .map_err(db_err)?
                    .map(channel_accounts::Model::into_domain)
                    .transpose()
            })
            .await
    }

    async fn get_account_unscoped(&self, id: &str) -> RepoResult<Option<ChannelAccount>> {
        channel_accounts::Entity::find_by_id(id)
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(channel_accounts::Model::into_domain)
            .transpose()
    }

    /// Oldest first.
    async fn list_accounts(&self, platform_id: &PlatformId) -> RepoResult<Vec<ChannelAccount>> {
        use channel_accounts::Column as C;
        let select = channel_accounts::Entity::find().filter(C::PlatformId.eq(platform_id.as_str()));
        let rows = oldest_first(select, self.backend(), C::CreatedAt).all(self.connection()).await.map_err(db_err)?;
        rows.into_iter().map(channel_accounts::Model::into_domain).collect()
    }

    async fn update_account(&self, account: &ChannelAccount, audit: &AuditEntry) -> RepoResult<()> {
        let changes = channel_accounts::changes(account);
        self.update_with_audit(changes, &account.id, &account.platform_id, account.version, audit).await
    }

    async fn insert_binding(&self, binding: &ChannelBinding, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(channel_bindings::from_domain(binding), audit).await
    }

    async fn get_binding(&self, scope: &Scope, id: &str) -> RepoResult<Option<ChannelBinding>> {
        get_scoped::<channel_bindings::Entity>(self.connection(), scope, id)
            .await?
            .map(channel_bindings::Model::into_domain)
            .transpose()
    }

    /// In routing order: highest priority first, then oldest first.
    async fn bindings_of(&self, merchant_id: &MerchantId) -> RepoResult<Vec<ChannelBinding>> {
        use channel_bindings::Column as C;
        self.lookups
            .get(&self.lookups.bindings, merchant_id.as_str().to_owned(), || async {
                let rows = channel_bindings::Entity::find()
                    .filter(C::MerchantId.eq(merchant_id.as_str()))
                    .order_by(C::Priority, Order::Desc)
                    .order_by(time_key(self.backend(), C::CreatedAt), Order::Asc)
                    .order_by_asc(C::Id)
                    .all(self.connection())
                    .await
                    .map_err(db_err)?;
                rows.into_iter().map(channel_bindings::Model::into_domain).collect()
            })
            .await
    }

    /// Newest first.
    async fn list_bindings(
        &self,
        scope: &Scope,
        merchant_id: Option<&MerchantId>,
        page: PageRequest,
    ) -> RepoResult<Page<ChannelBinding>> {
        use channel_bindings::Column as C;
        let select = scoped::<channel_bindings::Entity>(scope)
            .apply_if(merchant_id, |q, m| q.filter(C::MerchantId.eq(m.as_str())));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, channel_bindings::Model::into_domain).await
    }

    async fn update_binding(&self, binding: &ChannelBinding, audit: &AuditEntry) -> RepoResult<()> {
        let changes = channel_bindings::changes(binding);
        self.update_with_audit(changes, &binding.id, &binding.platform_id, binding.version, audit).await
    }
}

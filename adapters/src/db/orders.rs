//! `OrderRepo`: orders, scoped like their merchant, saved optimistically together with the
//! effects of the change (notifications, jobs, audit rows, exceptions).

use super::effects::write_effects;
use super::entities::orders::{self, Column as C};
use super::errors::db_err;
use super::query::{fetch_page, get_scoped, newest_first, scoped, time_key, time_value, update_versioned};
use super::store::SqlStore;
use juhe_domain::effects::Effects;
use juhe_domain::ids::MerchantId;
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::payments::order::Order;
use juhe_domain::payments::ports::{OrderFilter, OrderRepo};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::Scope;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};

#[async_trait::async_trait]
impl OrderRepo for SqlStore {
    async fn insert(&self, order: &Order, effects: &Effects) -> RepoResult<()> {
        let txn = self.begin().await?;
        orders::Entity::insert(orders::from_domain(order)).exec_without_returning(&txn).await.map_err(db_err)?;
        write_effects(&txn, effects).await?;
        self.commit_effects(txn, effects).await
    }

    async fn get(&self, scope: &Scope, order_no: &str) -> RepoResult<Option<Order>> {
        get_scoped::<orders::Entity>(self.connection(), scope, order_no)
            .await?
            .map(orders::Model::into_domain)
            .transpose()
    }

    async fn find_by_out_trade_no(&self, merchant_id: &MerchantId, out_trade_no: &str) -> RepoResult<Option<Order>> {
        orders::Entity::find()
            .filter(C::MerchantId.eq(merchant_id.as_str()))
            .filter(C::OutTradeNo.eq(out_trade_no))
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(orders::Model::into_domain)
            .transpose()
    }

    async fn get_unscoped(&self, order_no: &str) -> RepoResult<Option<Order>> {
        orders::Entity::find_by_id(order_no)
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(orders::Model::into_domain)
            .transpose()
    }

    /// Newest first; `since` is inclusive, `until` exclusive.
    async fn list(&self, scope: &Scope, filter: &OrderFilter, page: PageRequest) -> RepoResult<Page<Order>> {
        let backend = self.backend();
        let select = scoped::<orders::Entity>(scope)
            .apply_if(filter.merchant_id.as_ref(), |q, m| q.filter(C::MerchantId.eq(m.as_str())))
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())))
            .apply_if(filter.channel, |q, c| q.filter(C::Channel.eq(c.as_str())))
            .apply_if(filter.out_trade_no.as_deref(), |q, no| q.filter(C::OutTradeNo.eq(no)))
            .apply_if(filter.since, |q, t| q.filter(time_key(backend, C::CreatedAt).gte(time_value(backend, t))))
            .apply_if(filter.until, |q, t| q.filter(time_key(backend, C::CreatedAt).lt(time_value(backend, t))));
        let select = newest_first(select, backend, C::CreatedAt);
        fetch_page(self.connection(), select, page, orders::Model::into_domain).await
    }

    async fn save(&self, order: &Order, effects: &Effects) -> RepoResult<()> {
        // One statement is atomic by itself: a transaction (BEGIN + COMMIT, two more round trips
        // on every order) only when effects go with the change.
        if effects.is_empty() {
            let changes = orders::changes(order);
            return update_versioned(self.connection(), changes, &order.order_no, &order.platform_id, order.version)
                .await;
        }
        let txn = self.begin().await?;
        // The version check decides whether anything is written, the effects included.
        update_versioned(&txn, orders::changes(order), &order.order_no, &order.platform_id, order.version).await?;
        write_effects(&txn, effects).await?;
        self.commit_effects(txn, effects).await
    }
}

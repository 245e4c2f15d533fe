//! `RefundRepo`: refunds, reserved against their order by the domain's decision saved with a
//! version check, so that no interleaving of requests can refund more than was paid (and the
//! database's check constraint holds refunded ≤ reserved ≤ amount besides).

use super::effects::write_effects;
use super::entities::orders;
use super::entities::refunds::{self, Column as C};
use super::errors::db_err;
use super::mapping::{db_time, db_time_opt};
use super::query::{get_scoped, oldest_first, update_versioned};
use super::store::SqlStore;
use juhe_domain::effects::Effects;
use juhe_domain::ids::MerchantId;
use juhe_domain::payments::order::Order;
use juhe_domain::payments::ports::RefundRepo;
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[async_trait::async_trait]
impl RefundRepo for SqlStore {
    /// The order's new reservation (versioned: of two concurrent reservations one gets
    /// `Conflict("version")` and decides again on the fresh order), the refund and its effects,
    /// in one transaction.
    async fn reserve(&self, refund: &Refund, order: &Order, effects: &Effects) -> RepoResult<()> {
        let txn = self.begin().await?;
        update_versioned(&txn, orders::changes(order), &order.order_no, &order.platform_id, order.version).await?;
        // A duplicate out_refund_no fails here and the reservation rolls back with it.
        refunds::Entity::insert(refunds::from_domain(refund)).exec_without_returning(&txn).await.map_err(db_err)?;
        write_effects(&txn, effects).await?;
        self.commit_effects(txn, effects).await
    }

    async fn get(&self, scope: &Scope, refund_no: &str) -> RepoResult<Option<Refund>> {
        get_scoped::<refunds::Entity>(self.connection(), scope, refund_no)
            .await?
            .map(refunds::Model::into_domain)
            .transpose()
    }

    async fn find_by_out_refund_no(&self, merchant_id: &MerchantId, out_refund_no: &str) -> RepoResult<Option<Refund>> {
        refunds::Entity::find()
            .filter(C::MerchantId.eq(merchant_id.as_str()))
            .filter(C::OutRefundNo.eq(out_refund_no))
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(refunds::Model::into_domain)
            .transpose()
    }

    async fn get_unscoped(&self, refund_no: &str) -> RepoResult<Option<Refund>> {
        refunds::Entity::find_by_id(refund_no)
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(refunds::Model::into_domain)
            .transpose()
    }

    /// Oldest first.
    async fn list_for_order(&self, order_no: &str) -> RepoResult<Vec<Refund>> {
        let select = refunds::Entity::find().filter(C::OrderNo.eq(order_no));
        let rows = oldest_first(select, self.backend(), C::CreatedAt).all(self.connection()).await.map_err(db_err)?;
        rows.into_iter().map(refunds::Model::into_domain).collect()
    }

    async fn settle(&self, refund: &Refund, order: &Order, effects: &Effects) -> RepoResult<()> {
        if refund.status == RefundStatus::Processing {
            return Err(RepoError::Backend(format!("refund {} settled without a final status", refund.refund_no)));
        }
        if refund.order_no != order.order_no {
            return Err(RepoError::Backend(format!("refund {} settled against another order", refund.refund_no)));
        }
        let txn = self.begin().await?;
        // Only from processing: of two settlements (callback and poll), one wins.
        let moved = refunds::Entity::update_many()
            .col_expr(C::Status, Expr::val(refund.status.as_str()))
            .col_expr(C::ChannelRefundNo, Expr::val(refund.channel_refund_no.clone()))
            .col_expr(C::SucceededAt, Expr::val(db_time_opt(refund.succeeded_at)))
            .col_expr(C::UpdatedAt, Expr::val(db_time(refund.updated_at)))
            .filter(C::RefundNo.eq(refund.refund_no.as_str()))
            .filter(C::Status.eq(RefundStatus::Processing.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if moved.rows_affected == 0 {
            let exists = refunds::Entity::find_by_id(refund.refund_no.as_str()).one(&txn).await.map_err(db_err)?;
            return Err(if exists.is_some() {
                RepoError::Conflict("refund_state".into())
            } else {
                RepoError::NotFound
            });
        }
        // The totals the domain computed from the order it read; stale → nothing is written.
        update_versioned(&txn, orders::changes(order), &order.order_no, &order.platform_id, order.version).await?;
        write_effects(&txn, effects).await?;
        self.commit_effects(txn, effects).await
    }
}

//! `RefundRepo`: refunds, reserved against their order with conditional updates so that no
//! interleaving of requests can refund more than was paid.

use super::entities::orders::{self, Column as O};
use super::entities::refunds::{self, Column as C};
use super::errors::db_err;
use super::mapping::{db_time, db_time_opt};
use super::notifications::insert_outbox;
use super::query::{get_scoped, oldest_first, time_key, time_value};
use super::store::{SqlStore, commit};
use juhe_domain::ids::MerchantId;
use juhe_domain::payments::notification::Notification;
use juhe_domain::payments::order::OrderStatus;
use juhe_domain::payments::ports::{RefundRepo, ReserveRefused};
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use time::OffsetDateTime;

/// Orders a refund may be reserved against.
const REFUNDABLE: [OrderStatus; 2] = [OrderStatus::Paid, OrderStatus::PartiallyRefunded];

#[async_trait::async_trait]
impl RefundRepo for SqlStore {
    /// `UPDATE orders SET refund_reserved = refund_reserved + :amt WHERE order_no = :no AND
    /// status IN (paid, partially_refunded) AND refund_reserved + :amt <= amount`, then the
    /// insert. The update takes the order's row lock, so concurrent reservations queue on it
    /// and each re-checks the condition against the total left by the one before.
    async fn reserve(&self, refund: &Refund) -> RepoResult<Result<(), ReserveRefused>> {
        let amount = refund.amount.fen();
        let txn = self.begin().await?;
        let reserved = orders::Entity::update_many()
            .col_expr(O::RefundReserved, Expr::col(O::RefundReserved).add(amount))
            .filter(order_of(refund))
            .filter(O::Status.is_in(REFUNDABLE.map(OrderStatus::as_str)))
            .filter(Expr::col(O::RefundReserved).add(amount).lte(Expr::col(O::Amount)))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if reserved.rows_affected == 0 {
            return why_refused(&txn, refund).await.map(Err);
        }
        // A duplicate out_refund_no fails here and the reservation rolls back with it.
        refunds::Entity::insert(refunds::from_domain(refund)).exec_without_returning(&txn).await.map_err(db_err)?;
        commit(txn).await?;
        Ok(Ok(()))
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

    async fn settle(&self, refund: &Refund, outbox: &[Notification]) -> RepoResult<()> {
        if refund.status == RefundStatus::Processing {
            return Err(RepoError::Backend(format!("refund {} settled without a final status", refund.refund_no)));
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
        // The stored order and amount, not the caller's copy, move the order's totals.
        let stored: Option<(String, i64)> = refunds::Entity::find_by_id(refund.refund_no.as_str())
            .select_only()
            .columns([C::OrderNo, C::Amount])
            .into_tuple()
            .one(&txn)
            .await
            .map_err(db_err)?;
        let (order_no, amount) = stored.ok_or(RepoError::NotFound)?;
        if refund.status == RefundStatus::Succeeded {
            add_refunded(&txn, &order_no, amount, refund.updated_at).await?;
        } else {
            release_reserved(&txn, &order_no, amount).await?;
        }
        insert_outbox(&txn, outbox).await?;
        commit(txn).await
    }

    /// Oldest first.
    async fn processing_before(&self, before: OffsetDateTime, limit: u64) -> RepoResult<Vec<Refund>> {
        let backend = self.backend();
        let select = refunds::Entity::find()
            .filter(C::Status.eq(RefundStatus::Processing.as_str()))
            .filter(time_key(backend, C::CreatedAt).lt(time_value(backend, before)));
        let rows =
            oldest_first(select, backend, C::CreatedAt).limit(limit).all(self.connection()).await.map_err(db_err)?;
        rows.into_iter().map(refunds::Model::into_domain).collect()
    }
}

/// The refund's order, of the refund's merchant.
fn order_of(refund: &Refund) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(O::OrderNo.eq(refund.order_no.as_str()))
        .add(O::MerchantId.eq(refund.merchant_id.as_str()))
        .add(O::PlatformId.eq(refund.platform_id.as_str()))
}

/// Tells an unpaid order from an exhausted one, read inside the reserving transaction.
async fn why_refused(txn: &DatabaseTransaction, refund: &Refund) -> RepoResult<ReserveRefused> {
    let status: Option<String> = orders::Entity::find()
        .filter(order_of(refund))
        .select_only()
        .column(O::Status)
        .into_tuple()
        .one(txn)
        .await
        .map_err(db_err)?;
    let status = status.ok_or(RepoError::NotFound)?;
    let refundable = OrderStatus::parse(&status).is_some_and(|s| REFUNDABLE.contains(&s));
    Ok(if refundable { ReserveRefused::ExceedsAvailable } else { ReserveRefused::NotRefundable })
}

/// A succeeded refund: `refunded_amount += amount`, and the status follows in the same statement
/// (`refunded` once the total reaches the amount), so concurrent settlements add up. An order
/// that is no longer paid/partially refunded keeps its status (never a silent overwrite).
async fn add_refunded(conn: &impl ConnectionTrait, order_no: &str, amount: i64, at: OffsetDateTime) -> RepoResult<()> {
    let refunded = OrderStatus::Refunded.as_str();
    let partially = OrderStatus::PartiallyRefunded.as_str();
    let status = Expr::case(Expr::col(O::Status).is_not_in(REFUNDABLE.map(OrderStatus::as_str)), Expr::col(O::Status))
        .case(Expr::col(O::RefundedAmount).add(amount).gte(Expr::col(O::Amount)), Expr::val(refunded))
        .finally(Expr::val(partially));
    let updated = orders::Entity::update_many()
        .col_expr(O::RefundedAmount, Expr::col(O::RefundedAmount).add(amount))
        .col_expr(O::Status, status.into())
        .col_expr(O::Version, Expr::col(O::Version).add(1))
        .col_expr(O::UpdatedAt, Expr::val(db_time(at)))
        .filter(O::OrderNo.eq(order_no))
        .exec(conn)
        .await
        .map_err(db_err)?;
    one_order(updated.rows_affected, order_no)
}

/// A failed or closed refund gives its reservation back.
async fn release_reserved(conn: &impl ConnectionTrait, order_no: &str, amount: i64) -> RepoResult<()> {
    let updated = orders::Entity::update_many()
        .col_expr(O::RefundReserved, Expr::col(O::RefundReserved).sub(amount))
        .filter(O::OrderNo.eq(order_no))
        .exec(conn)
        .await
        .map_err(db_err)?;
    one_order(updated.rows_affected, order_no)
}

/// The refund's order must exist (a foreign key guarantees it); anything else is a broken row.
fn one_order(rows: u64, order_no: &str) -> RepoResult<()> {
    if rows == 1 { Ok(()) } else { Err(RepoError::Backend(format!("refund's order {order_no} is missing"))) }
}

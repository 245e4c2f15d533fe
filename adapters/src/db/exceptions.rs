//! `ExceptionRepo`: payment exceptions, scoped like their merchant; created as effects of the
//! change that found them, resolved once.

use super::effects::write_effects;
use super::entities::payment_exceptions::{self, Column as C};
use super::errors::db_err;
use super::query::{fetch_page, get_scoped, newest_first, scoped};
use super::store::SqlStore;
use juhe_domain::effects::Effects;
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::payments::exception::{ExceptionStatus, PaymentException};
use juhe_domain::payments::ports::{ExceptionFilter, ExceptionRepo};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};

#[async_trait::async_trait]
impl ExceptionRepo for SqlStore {
    async fn get(&self, scope: &Scope, id: &str) -> RepoResult<Option<PaymentException>> {
        get_scoped::<payment_exceptions::Entity>(self.connection(), scope, id)
            .await?
            .map(payment_exceptions::Model::into_domain)
            .transpose()
    }

    async fn get_unscoped(&self, id: &str) -> RepoResult<Option<PaymentException>> {
        payment_exceptions::Entity::find_by_id(id)
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(payment_exceptions::Model::into_domain)
            .transpose()
    }

    async fn list(
        &self,
        scope: &Scope,
        filter: &ExceptionFilter,
        page: PageRequest,
    ) -> RepoResult<Page<PaymentException>> {
        let select = scoped::<payment_exceptions::Entity>(scope)
            .apply_if(filter.kind, |q, k| q.filter(C::Kind.eq(k.as_str())))
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())))
            .apply_if(filter.order_no.as_deref(), |q, no| q.filter(C::OrderNo.eq(no)));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, payment_exceptions::Model::into_domain).await
    }

    async fn resolve(&self, exception: &PaymentException, effects: &Effects) -> RepoResult<()> {
        let txn = self.begin().await?;
        let updated = payment_exceptions::Entity::update_many()
            .set(payment_exceptions::resolution_changes(exception))
            .filter(C::Id.eq(exception.id.as_str()))
            .filter(C::Status.eq(ExceptionStatus::Open.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Err(RepoError::Conflict("exception_state".into()));
        }
        write_effects(&txn, effects).await?;
        self.commit_effects(txn, effects).await
    }
}

//! `QrCodeRepo`: store QR codes of one-code pay, scoped like their store.

use super::entities::qr_codes::{self, Column as C};
use super::errors::db_err;
use super::query::{fetch_page, get_scoped, newest_first, scoped};
use super::store::{SqlStore, insert_audit};
use juhe_domain::audit::AuditEntry;
use juhe_domain::cashier::ports::QrCodeRepo;
use juhe_domain::cashier::{QrCode, QrCodeFilter};
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};

#[async_trait::async_trait]
impl QrCodeRepo for SqlStore {
    async fn insert(&self, qr: &QrCode, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(qr_codes::from_domain(qr), audit).await
    }

    async fn get(&self, scope: &Scope, code: &str) -> RepoResult<Option<QrCode>> {
        get_scoped::<qr_codes::Entity>(self.connection(), scope, code)
            .await?
            .map(qr_codes::Model::into_domain)
            .transpose()
    }

    async fn get_public(&self, code: &str) -> RepoResult<Option<QrCode>> {
        qr_codes::Entity::find_by_id(code)
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(qr_codes::Model::into_domain)
            .transpose()
    }

    async fn list(&self, scope: &Scope, filter: &QrCodeFilter, page: PageRequest) -> RepoResult<Page<QrCode>> {
        let select = scoped::<qr_codes::Entity>(scope)
            .apply_if(filter.store_id.as_ref(), |q, s| q.filter(C::StoreId.eq(s.as_str())))
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, qr_codes::Model::into_domain).await
    }

    async fn set_status(&self, qr: &QrCode, audit: &AuditEntry) -> RepoResult<()> {
        let txn = self.begin().await?;
        let updated = qr_codes::Entity::update_many()
            .set(qr_codes::changes(qr))
            .filter(C::Code.eq(qr.code.as_str()))
            .filter(C::PlatformId.eq(qr.platform_id.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if updated.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }
}

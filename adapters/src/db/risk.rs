//! `RiskRepo`: limits per merchant or store (updated optimistically) and the block lists, each
//! write with its audit entry; plus the two unscoped lookups of the order path.

use super::entities::{risk_list_entries, risk_rules};
use super::errors::db_err;
use super::query::{fetch_page, get_scoped, in_scope, newest_first, scoped};
use super::store::{SqlStore, insert_audit};
use juhe_domain::audit::AuditEntry;
use juhe_domain::ids::{MerchantId, PlatformId, StoreId};
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::payments::risk_rules::{RiskListEntry, RiskListFilter, RiskListKind, RiskRepo, RiskRule};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QueryTrait};

#[async_trait::async_trait]
impl RiskRepo for SqlStore {
    async fn get_rule(
        &self,
        scope: &Scope,
        merchant_id: &MerchantId,
        store_id: Option<&StoreId>,
    ) -> RepoResult<Option<RiskRule>> {
        use risk_rules::Column as C;
        let row = scoped::<risk_rules::Entity>(scope)
            .filter(C::MerchantId.eq(merchant_id.as_str()))
            .filter(C::StoreKey.eq(risk_rules::store_key(store_id)))
            .one(self.connection())
            .await
            .map_err(db_err)?;
        Ok(row.map(risk_rules::Model::into_domain))
    }

    async fn insert_rule(&self, rule: &RiskRule, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(risk_rules::from_domain(rule), audit).await
    }

    async fn update_rule(&self, rule: &RiskRule, audit: &AuditEntry) -> RepoResult<()> {
        let changes = risk_rules::changes(rule);
        self.update_with_audit(changes, &rule.id, &rule.platform_id, rule.version, audit).await
    }

    /// The merchant's rule (`store_key` '') sorts before the store's.
    async fn rules_for(&self, merchant_id: &MerchantId, store_id: Option<&StoreId>) -> RepoResult<Vec<RiskRule>> {
        use risk_rules::Column as C;
        let mut keys = vec![String::new()];
        keys.extend(store_id.map(|s| risk_rules::store_key(Some(s))));
        let cache_key = (merchant_id.as_str().to_owned(), keys.last().cloned().unwrap_or_default());
        self.lookups
            .get(&self.lookups.risk_rules, cache_key, || async {
                let rows = risk_rules::Entity::find()
                    .filter(C::MerchantId.eq(merchant_id.as_str()))
                    .filter(C::StoreKey.is_in(keys))
                    .order_by_asc(C::StoreKey)
                    .all(self.connection())
                    .await
                    .map_err(db_err)?;
                Ok(rows.into_iter().map(risk_rules::Model::into_domain).collect())
            })
            .await
    }

    async fn list_entries(
        &self,
        scope: &Scope,
        filter: &RiskListFilter,
        page: PageRequest,
    ) -> RepoResult<Page<RiskListEntry>> {
        use risk_list_entries::Column as C;
        let select = scoped::<risk_list_entries::Entity>(scope)
            .apply_if(filter.kind, |q, k| q.filter(C::Kind.eq(k.as_str())))
            .apply_if(filter.merchant_id.as_ref(), |q, m| q.filter(C::MerchantKey.eq(m.as_str())))
            .apply_if(filter.platform_wide.then_some(()), |q, ()| q.filter(C::MerchantKey.eq("")))
            .apply_if(filter.value.as_deref(), |q, v| q.filter(C::Value.eq(v)));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, risk_list_entries::Model::into_domain).await
    }

    async fn get_entry(&self, scope: &Scope, id: &str) -> RepoResult<Option<RiskListEntry>> {
        get_scoped::<risk_list_entries::Entity>(self.connection(), scope, id)
            .await?
            .map(risk_list_entries::Model::into_domain)
            .transpose()
    }

    async fn insert_entry(&self, entry: &RiskListEntry, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(risk_list_entries::from_domain(entry), audit).await
    }

    async fn delete_entry(&self, scope: &Scope, id: &str, audit: &AuditEntry) -> RepoResult<()> {
        let txn = self.begin().await?;
        let deleted = risk_list_entries::Entity::delete_many()
            .filter(in_scope::<risk_list_entries::Entity>(scope))
            .filter(risk_list_entries::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if deleted.rows_affected == 0 {
            // Dropping the transaction rolls it back.
            return Err(RepoError::NotFound);
        }
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }

    /// Payer ids by the unique index (platform, list, kind, value); IPs by exact address plus
    /// every CIDR block of the two lists, matched in the domain's terms.
    async fn blocked(
        &self,
        platform_id: &PlatformId,
        merchant_id: &MerchantId,
        payer_id: Option<&str>,
        client_ip: Option<&str>,
    ) -> RepoResult<Option<RiskListEntry>> {
        use risk_list_entries::Column as C;
        let lists = || {
            risk_list_entries::Entity::find()
                .filter(C::PlatformId.eq(platform_id.as_str()))
                .filter(C::MerchantKey.is_in([String::new(), merchant_id.to_string()]))
        };
        if let Some(payer) = payer_id {
            let row = lists()
                .filter(C::Kind.eq(RiskListKind::PayerId.as_str()))
                .filter(C::Value.eq(payer))
                .one(self.connection())
                .await
                .map_err(db_err)?;
            if let Some(row) = row {
                return row.into_domain().map(Some);
            }
        }
        let Some(ip) = client_ip else { return Ok(None) };
        let rows = lists()
            .filter(C::Kind.eq(RiskListKind::Ip.as_str()))
            .filter(Condition::any().add(C::Value.eq(ip)).add(C::Value.like("%/%")))
            .all(self.connection())
            .await
            .map_err(db_err)?;
        for row in rows {
            let entry = row.into_domain()?;
            if entry.matches(None, Some(ip)) {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }
}

//! `AppRepo`: Open API apps and their keys.

use super::entities::{app_keys, apps};
use super::errors::db_err;
use super::mapping::db_time;
use super::query::{fetch_page, get_scoped, in_scope, newest_first, scoped, time_key, time_value};
use super::store::{SqlStore, insert_audit};
use juhe_domain::apps::ports::AppRepo;
use juhe_domain::apps::{App, AppFilter, AppKey};
use juhe_domain::audit::AuditEntry;
use juhe_domain::ids::AppId;
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::Scope;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait};
use time::OffsetDateTime;

#[async_trait::async_trait]
impl AppRepo for SqlStore {
    async fn insert(&self, app: &App, key: &AppKey, audit: &AuditEntry) -> RepoResult<()> {
        let txn = self.begin().await?;
        apps::Entity::insert(apps::from_domain(app)).exec_without_returning(&txn).await.map_err(db_err)?;
        insert_key(&txn, app, key).await?;
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }

    async fn get(&self, scope: &Scope, id: &AppId) -> RepoResult<Option<App>> {
        get_scoped::<apps::Entity>(self.connection(), scope, id.as_str())
            .await?
            .map(apps::Model::into_domain)
            .transpose()
    }

    /// Two primary-key/indexed lookups: the app by id, its keys by `app_id`.
    async fn get_for_auth(&self, id: &AppId) -> RepoResult<Option<(App, Vec<AppKey>)>> {
        self.lookups
            .get(&self.lookups.apps, id.as_str().to_owned(), || async {
                let conn = self.connection();
                let Some(app) = apps::Entity::find_by_id(id.as_str()).one(conn).await.map_err(db_err)? else {
                    return Ok(None);
                };
                let keys = keys_where(conn, self.backend(), app_keys::Column::AppId.eq(id.as_str())).await?;
                Ok(Some((app.into_domain()?, keys)))
            })
            .await
    }

    async fn list(&self, scope: &Scope, filter: &AppFilter, page: PageRequest) -> RepoResult<Page<App>> {
        use apps::Column as C;
        let select = scoped::<apps::Entity>(scope)
            .apply_if(filter.owner_id.as_deref(), |q, owner| q.filter(C::OwnerId.eq(owner)))
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, apps::Model::into_domain).await
    }

    /// The app's keys, newest first; none when the app is outside the scope.
    async fn keys(&self, scope: &Scope, id: &AppId) -> RepoResult<Vec<AppKey>> {
        let app_in_scope = Query::select()
            .column(apps::Column::Id)
            .from(apps::Entity)
            .and_where(apps::Column::Id.eq(id.as_str()))
            .cond_where(in_scope::<apps::Entity>(scope))
            .take();
        keys_where(self.connection(), self.backend(), app_keys::Column::AppId.in_subquery(app_in_scope)).await
    }

    async fn update(&self, app: &App, audit: &AuditEntry) -> RepoResult<()> {
        self.update_with_audit(apps::changes(app), app.id.as_str(), &app.platform_id, app.version, audit).await
    }

    /// Ends every live key of the app at `old_keys_end` (keys already ending earlier keep their
    /// end), adds the new one, and records it, in one transaction.
    async fn rotate_key(
        &self,
        app: &App,
        key: &AppKey,
        old_keys_end: OffsetDateTime,
        audit: &AuditEntry,
    ) -> RepoResult<()> {
        use app_keys::Column as C;
        let backend = self.backend();
        let ends_later = Condition::any()
            .add(C::NotAfter.is_null())
            .add(time_key(backend, C::NotAfter).gt(time_value(backend, old_keys_end)));
        let txn = self.begin().await?;
        app_keys::Entity::update_many()
            .col_expr(C::NotAfter, Expr::val(db_time(old_keys_end)))
            .filter(C::AppId.eq(app.id.as_str()))
            .filter(C::RevokedAt.is_null())
            .filter(ends_later)
            .exec(&txn)
            .await
            .map_err(db_err)?;
        insert_key(&txn, app, key).await?;
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }
}

async fn insert_key(conn: &impl ConnectionTrait, app: &App, key: &AppKey) -> RepoResult<()> {
    app_keys::Entity::insert(app_keys::from_domain(key, &app.platform_id))
        .exec_without_returning(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Keys matching `which`, newest first.
async fn keys_where(conn: &impl ConnectionTrait, backend: DbBackend, which: Expr) -> RepoResult<Vec<AppKey>> {
    let select = app_keys::Entity::find().filter(which);
    let rows = newest_first(select, backend, app_keys::Column::CreatedAt).all(conn).await.map_err(db_err)?;
    rows.into_iter().map(app_keys::Model::into_domain).collect()
}

//! `UserRepo` and `RefreshTokenRepo`.

use super::entities::{refresh_tokens, users};
use super::errors::db_err;
use super::mapping::db_time;
use super::query::{fetch_page, get_scoped, in_scope, newest_first, scoped, search};
use super::store::{SqlStore, insert_audit};
use juhe_domain::audit::AuditEntry;
use juhe_domain::identity::ports::{RefreshTokenRepo, UserRepo};
use juhe_domain::identity::{RefreshTokenRecord, User, UserCredentials, UserFilter, UserStatus};
use juhe_domain::ids::UserId;
use juhe_domain::page::{Page, PageRequest};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::Scope;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use time::OffsetDateTime;

#[async_trait::async_trait]
impl UserRepo for SqlStore {
    async fn insert(&self, user: &User, password_hash: &str, audit: &AuditEntry) -> RepoResult<()> {
        self.insert_with_audit(users::from_domain(user, password_hash), audit).await
    }

    async fn find_credentials(&self, username: &str) -> RepoResult<Option<UserCredentials>> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username.trim().to_lowercase()))
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(users::Model::into_credentials)
            .transpose()
    }

    async fn get_by_id(&self, id: &UserId) -> RepoResult<Option<UserCredentials>> {
        users::Entity::find_by_id(id.as_str())
            .one(self.connection())
            .await
            .map_err(db_err)?
            .map(users::Model::into_credentials)
            .transpose()
    }

    async fn get(&self, scope: &Scope, id: &UserId) -> RepoResult<Option<User>> {
        get_scoped::<users::Entity>(self.connection(), scope, id.as_str())
            .await?
            .map(users::Model::into_domain)
            .transpose()
    }

    async fn list(&self, scope: &Scope, filter: &UserFilter, page: PageRequest) -> RepoResult<Page<User>> {
        use users::Column as C;
        let select = scoped::<users::Entity>(scope)
            .apply_if(search(self.backend(), &[C::Username, C::DisplayName], filter.q.as_deref()), QueryFilter::filter)
            .apply_if(filter.role, |q, r| q.filter(C::Role.eq(r.as_str())))
            .apply_if(filter.status, |q, s| q.filter(C::Status.eq(s.as_str())));
        let select = newest_first(select, self.backend(), C::CreatedAt);
        fetch_page(self.connection(), select, page, users::Model::into_domain).await
    }

    async fn set_password(&self, id: &UserId, password_hash: &str, audit: &AuditEntry) -> RepoResult<()> {
        let set = vec![
            (users::Column::PasswordHash, Expr::val(password_hash)),
            (users::Column::UpdatedAt, Expr::val(db_time(audit.created_at))),
        ];
        self.update_user(Condition::all().add(users::Column::Id.eq(id.as_str())), set, audit).await
    }

    async fn set_status(&self, scope: &Scope, id: &UserId, status: UserStatus, audit: &AuditEntry) -> RepoResult<()> {
        let set = vec![
            (users::Column::Status, Expr::val(status.as_str())),
            (users::Column::UpdatedAt, Expr::val(db_time(audit.created_at))),
        ];
        let target = in_scope::<users::Entity>(scope).add(users::Column::Id.eq(id.as_str()));
        self.update_user(target, set, audit).await
    }

    async fn any(&self) -> RepoResult<bool> {
        let one: Option<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await
            .map_err(db_err)?;
        Ok(one.is_some())
    }
}

impl SqlStore {
    /// Updates the one user matching `target` and writes the audit entry, in one transaction;
    /// `NotFound` when no user matches.
    async fn update_user(
        &self,
        target: Condition,
        set: Vec<(users::Column, Expr)>,
        audit: &AuditEntry,
    ) -> RepoResult<()> {
        let txn = self.begin().await?;
        let mut update = users::Entity::update_many();
        for (column, value) in set {
            update = update.col_expr(column, value);
        }
        let result = update.filter(target).exec(&txn).await.map_err(db_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }
}

#[async_trait::async_trait]
impl RefreshTokenRepo for SqlStore {
    async fn insert(&self, token: &RefreshTokenRecord) -> RepoResult<()> {
        refresh_tokens::Entity::insert(refresh_tokens::from_domain(token))
            .exec_without_returning(self.connection())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_by_hash(&self, token_hash: &str) -> RepoResult<Option<RefreshTokenRecord>> {
        let row = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
            .one(self.connection())
            .await
            .map_err(db_err)?;
        Ok(row.map(refresh_tokens::Model::into_domain))
    }

    /// One conditional update, so of two concurrent refreshes with the same token one wins.
    async fn mark_rotated(&self, token: &RefreshTokenRecord, at: OffsetDateTime) -> RepoResult<bool> {
        use refresh_tokens::Column as C;
        let result = refresh_tokens::Entity::update_many()
            .col_expr(C::RotatedAt, Expr::val(db_time(at)))
            .filter(C::Id.eq(token.id.as_str()))
            .filter(C::RotatedAt.is_null())
            .filter(C::RevokedAt.is_null())
            .exec(self.connection())
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn revoke_family(&self, family_id: &str, at: OffsetDateTime) -> RepoResult<()> {
        self.revoke_tokens(refresh_tokens::Column::FamilyId.eq(family_id), at).await
    }

    async fn revoke_user(&self, user_id: &UserId, at: OffsetDateTime) -> RepoResult<()> {
        self.revoke_tokens(refresh_tokens::Column::UserId.eq(user_id.as_str()), at).await
    }
}

impl SqlStore {
    /// Sets `revoked_at` on the matching tokens that are not revoked yet.
    async fn revoke_tokens(&self, which: Expr, at: OffsetDateTime) -> RepoResult<()> {
        use refresh_tokens::Column as C;
        refresh_tokens::Entity::update_many()
            .col_expr(C::RevokedAt, Expr::val(db_time(at)))
            .filter(which)
            .filter(C::RevokedAt.is_null())
            .exec(self.connection())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

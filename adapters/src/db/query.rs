//! Query building blocks shared by the repositories, so tenant isolation, search, time
//! comparison, sorting, paging and optimistic updates are written once.

use super::entities::{
    agents, app_keys, apps, audit_logs, channel_accounts, channel_bindings, jobs, legal_entities, merchants,
    notifications, orders, payment_exceptions, qr_codes, refunds, risk_list_entries, risk_rules, stores, users,
};
use super::errors::db_err;
use super::mapping::db_time;
use juhe_domain::ids::PlatformId;
use juhe_domain::page::{Page, PageRequest, SortDir};
use juhe_domain::repo::{RepoError, RepoResult};
use juhe_domain::scope::{Scope, escape_like};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use time::OffsetDateTime;

/// A table whose rows carry a one-column key (`id`, or a number such as `order_no`) and a
/// `platform_id`. (`Model: Sync` lets `count` run on any of them.)
pub(crate) trait Table: EntityTrait<Model: Sync> {
    /// The key column.
    fn id() -> Self::Column;
    fn platform() -> Self::Column;
}

/// A table whose rows hang in the tenancy tree (they carry a `path`).
pub(crate) trait Tree: Table {
    fn path() -> Self::Column;
}

/// A table with a `version` for optimistic locking.
pub(crate) trait Versioned: Table {
    fn version() -> Self::Column;
}

macro_rules! impl_table {
    ($($module:ident),*) => { impl_table!($($module => Id),*); };
    ($($module:ident => $key:ident),*) => {$(
        impl Table for $module::Entity {
            fn id() -> $module::Column { $module::Column::$key }
            fn platform() -> $module::Column { $module::Column::PlatformId }
        }
    )*};
}
macro_rules! impl_tree {
    ($($module:ident),*) => {$(
        impl Tree for $module::Entity {
            fn path() -> $module::Column { $module::Column::Path }
        }
    )*};
}
macro_rules! impl_versioned {
    ($($module:ident),*) => {$(
        impl Versioned for $module::Entity {
            fn version() -> $module::Column { $module::Column::Version }
        }
    )*};
}
impl_table!(agents, merchants, legal_entities, stores, users, apps, app_keys, audit_logs, jobs);
impl_table!(channel_accounts, channel_bindings, notifications, risk_rules, risk_list_entries, payment_exceptions);
impl_table!(orders => OrderNo, refunds => RefundNo, qr_codes => Code);
impl_tree!(agents, merchants, stores, users, apps, audit_logs, channel_bindings, orders, refunds, notifications);
impl_tree!(risk_rules, risk_list_entries, qr_codes, payment_exceptions);
impl_versioned!(agents, merchants, stores, apps, channel_accounts, channel_bindings, orders, risk_rules);

/// The tenant filter: the scope's platform and the subtree below its path.
pub(crate) fn in_scope<E: Tree>(scope: &Scope) -> Condition {
    Condition::all()
        .add(E::platform().eq(scope.platform_id.as_str()))
        .add(E::path().like(LikeExpr::new(scope.like_pattern()).escape('\\')))
}

/// Every row of `E` the scope may see.
pub(crate) fn scoped<E: Tree>(scope: &Scope) -> Select<E> {
    E::find().filter(in_scope::<E>(scope))
}

/// One row by id, if the scope may see it.
pub(crate) async fn get_scoped<E: Tree>(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> RepoResult<Option<E::Model>> {
    scoped::<E>(scope).filter(E::id().eq(id)).one(conn).await.map_err(db_err)
}

/// Case-insensitive substring search of `q` over any of `columns`; `None` for a blank `q`.
pub(crate) fn search<C: ColumnTrait>(backend: DbBackend, columns: &[C], q: Option<&str>) -> Option<Condition> {
    let q = q.map(str::trim).filter(|q| !q.is_empty())?;
    let pattern = format!("%{}%", escape_like(q));
    let mut any = Condition::any();
    for column in columns {
        any = any.add(match backend {
            // Spelled out: sea-query 1.0 wraps `ILIKE`'s right side in parentheses, which breaks
            // its `ESCAPE` clause.
            DbBackend::Postgres => {
                Expr::cust_with_exprs(r"$1 ILIKE $2 ESCAPE E'\\'", [column.into_expr(), Expr::val(pattern.clone())])
            }
            // SQLite's LIKE already ignores ASCII case.
            _ => column.like(LikeExpr::new(pattern.clone()).escape('\\')),
        });
    }
    Some(any)
}

/// A timestamp column as an ordered key. SQLite stores RFC 3339 text with a trimmed fraction
/// (`…:05Z`, `…:05.5Z`), which only sorts chronologically once the trailing `Z` is cut off
/// (stored times are always UTC, see `mapping::db_time`).
pub(crate) fn time_key(backend: DbBackend, column: impl ColumnTrait) -> Expr {
    match backend {
        DbBackend::Sqlite => Expr::cust_with_expr("rtrim(?, 'Z')", column.into_expr()),
        _ => column.into_expr(),
    }
}

/// A timestamp bound to compare with `time_key`.
pub(crate) fn time_value(backend: DbBackend, t: OffsetDateTime) -> Expr {
    let t = Expr::val(db_time(t));
    match backend {
        DbBackend::Sqlite => Expr::cust_with_expr("rtrim(?, 'Z')", t),
        _ => t,
    }
}

/// Orders by `key`, then by id in the same direction so pages never overlap.
pub(crate) fn sorted<E: Table>(select: Select<E>, key: Expr, dir: SortDir) -> Select<E> {
    let order = match dir {
        SortDir::Asc => Order::Asc,
        SortDir::Desc => Order::Desc,
    };
    select.order_by(key, order.clone()).order_by(E::id(), order)
}

/// Newest first.
pub(crate) fn newest_first<E: Table>(select: Select<E>, backend: DbBackend, created_at: E::Column) -> Select<E> {
    sorted(select, time_key(backend, created_at), SortDir::Desc)
}

/// Oldest first (jobs work through a backlog in order).
pub(crate) fn oldest_first<E: Table>(select: Select<E>, backend: DbBackend, at: E::Column) -> Select<E> {
    sorted(select, time_key(backend, at), SortDir::Asc)
}

/// One page of a sorted query and the total count of the unpaged query.
pub(crate) async fn fetch_page<E, T>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    page: PageRequest,
    map: impl Fn(E::Model) -> RepoResult<T>,
) -> RepoResult<Page<T>>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let total = select.clone().count(conn).await.map_err(db_err)?;
    let rows = if page.offset() < total {
        select.offset(page.offset()).limit(page.page_size).all(conn).await.map_err(db_err)?
    } else {
        Vec::new()
    };
    let items = rows.into_iter().map(map).collect::<RepoResult<Vec<_>>>()?;
    Ok(Page { items, total, page: page.page, page_size: page.page_size })
}

/// `UPDATE … SET <changes>, version = version + 1 WHERE id = ? AND platform_id = ? AND version = ?`;
/// no row → `Conflict("version")` when the record exists, else `NotFound`.
pub(crate) async fn update_versioned<E, A>(
    conn: &impl ConnectionTrait,
    changes: A,
    id: &str,
    platform: &PlatformId,
    version: i64,
) -> RepoResult<()>
where
    E: Versioned,
    A: ActiveModelTrait<Entity = E>,
{
    let updated = E::update_many()
        .set(changes)
        .col_expr(E::version(), Expr::col(E::version()).add(1))
        .filter(E::id().eq(id))
        .filter(E::platform().eq(platform.as_str()))
        .filter(E::version().eq(version))
        .exec(conn)
        .await
        .map_err(db_err)?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let exists = E::find()
        .filter(E::id().eq(id))
        .filter(E::platform().eq(platform.as_str()))
        .count(conn)
        .await
        .map_err(db_err)?;
    Err(if exists > 0 { RepoError::Conflict("version".into()) } else { RepoError::NotFound })
}

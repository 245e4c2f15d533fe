//! Column, key and index builders shared by the migrations, so every table spells ids, paths,
//! timestamps and indexes the same way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;
use sea_orm_migration::sea_orm::DbBackend;

/// Longest id the domain generates (`app_` + 32 hex digits) with room to spare.
pub const ID_LEN: u32 = 40;

/// The primary key `id`.
pub fn id() -> ColumnDef {
    schema::string_len("id", ID_LEN).primary_key().take()
}

/// A required reference to another record's id.
pub fn id_ref(name: &'static str) -> ColumnDef {
    schema::string_len(name, ID_LEN)
}

/// An optional reference to another record's id.
pub fn id_ref_null(name: &'static str) -> ColumnDef {
    schema::string_len_null(name, ID_LEN)
}

/// A node path. Text: the tree has no fixed depth.
pub fn path() -> ColumnDef {
    schema::text("path")
}

/// A short code stored as text (`active`, `merchant_admin`, …).
pub fn code(name: &'static str) -> ColumnDef {
    schema::string_len(name, 32)
}

pub fn ts(name: &'static str) -> ColumnDef {
    schema::timestamp_with_time_zone(name)
}

pub fn ts_null(name: &'static str) -> ColumnDef {
    schema::timestamp_with_time_zone_null(name)
}

/// `version` for optimistic locking.
pub fn version() -> ColumnDef {
    schema::big_integer("version")
}

/// An amount of money: integer fen.
pub fn money(name: &'static str) -> ColumnDef {
    schema::big_integer(name)
}

pub fn money_null(name: &'static str) -> ColumnDef {
    schema::big_integer_null(name)
}

/// A foreign key `table.column → target.id`.
pub fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    fk_to(table, column, target, "id")
}

/// A foreign key `table.column → target.target_column` (for tables keyed by a number, not an id).
pub fn fk_to(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    target_column: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}__{column}"))
        .from(table, column)
        .to(target, target_column)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .take()
}

/// The `platform_id → platforms.id` key every table has.
pub fn platform_fk(table: &'static str) -> ForeignKeyCreateStatement {
    fk(table, "platform_id", "platforms")
}

/// A primary key named like a unique index (`ux_<table>__<column>`), so that PostgreSQL reports
/// a repeat as `<table>.<column>` as SQLite does (its default `<table>_pkey` would read `.id`).
pub fn key(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let last = columns.last().copied().unwrap_or("id");
    let mut key = Index::create();
    key.name(format!("ux_{table}__{last}"));
    for column in columns {
        key.col(*column);
    }
    key
}

/// A plain index `ix_<table>__<columns>`.
pub async fn index(manager: &SchemaManager<'_>, table: &'static str, columns: &[&'static str]) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}__{}", columns.join("__"))).table(table);
    for column in columns {
        stmt.col(*column);
    }
    manager.create_index(stmt).await
}

/// A unique index `ux_<table>__<last column>`; the adapters turn its violation into
/// `Conflict("<table>.<last column>")`.
pub async fn unique(manager: &SchemaManager<'_>, table: &'static str, columns: &[&'static str]) -> Result<(), DbErr> {
    let last = columns.last().copied().unwrap_or("id");
    let mut stmt = Index::create();
    stmt.name(format!("ux_{table}__{last}")).table(table).unique();
    for column in columns {
        stmt.col(*column);
    }
    manager.create_index(stmt).await
}

/// The index behind subtree queries (`path LIKE '/pf_…/ag_…/%'`). PostgreSQL only uses a b-tree
/// for `LIKE 'prefix%'` under the C collation or with `text_pattern_ops`, so it gets the latter;
/// SQLite's plain index is enough for the embedded sizes.
pub async fn path_index(manager: &SchemaManager<'_>, table: &'static str) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            let sql = format!(r#"CREATE INDEX "ix_{table}__path" ON "{table}" ("path" text_pattern_ops)"#);
            manager.get_connection().execute_unprepared(&sql).await.map(|_| ())
        }
        _ => index(manager, table, &["path"]).await,
    }
}

/// An index `ix_<table>__<columns>` ending in a timestamp that lists sort by or jobs range over.
/// SQLite keeps timestamps as RFC 3339 text that only sorts once the trailing `Z` is cut off, so
/// the adapters compare `rtrim(column, 'Z')` there and that expression is what gets indexed.
pub async fn time_index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    lead: &[&'static str],
    time: &'static str,
) -> Result<(), DbErr> {
    let mut columns = lead.to_vec();
    columns.push(time);
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            let name = format!("ix_{table}__{}", columns.join("__"));
            let mut keys: Vec<String> = lead.iter().map(|c| format!(r#""{c}""#)).collect();
            keys.push(format!(r#"rtrim("{time}", 'Z')"#));
            let sql = format!(r#"CREATE INDEX "{name}" ON "{table}" ({})"#, keys.join(", "));
            manager.get_connection().execute_unprepared(&sql).await.map(|_| ())
        }
        _ => index(manager, table, &columns).await,
    }
}

pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(*table).if_exists().take()).await?;
    }
    Ok(())
}

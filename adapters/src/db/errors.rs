//! Turning database errors into the domain's `RepoError`.

use juhe_domain::repo::RepoError;
use sea_orm::{DbErr, SqlErr};

/// Unique violations become `Conflict("<table>.<column>")`; everything else is a backend failure
/// whose text is for the logs only.
pub(crate) fn db_err(err: DbErr) -> RepoError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => RepoError::Conflict(conflict_name(&message)),
        _ => RepoError::Backend(err.to_string()),
    }
}

/// Names the violated key from the driver's message:
/// - SQLite: `UNIQUE constraint failed: legal_entities.platform_id, legal_entities.id_number_hash`
///   → the last column, `legal_entities.id_number_hash`;
/// - PostgreSQL: `duplicate key value violates unique constraint "ux_merchants__merchant_no"` →
///   `merchants.merchant_no` (the migrations name unique indexes `ux_<table>__<column>`), and
///   `"agents_pkey"` → `agents.id`.
fn conflict_name(message: &str) -> String {
    if let Some((_, columns)) = message.split_once("constraint failed:")
        && let Some(last) = columns.split(',').next_back()
    {
        return last.trim().to_owned();
    }
    let constraint = message.split('"').nth(1).unwrap_or_default();
    if let Some((table, column)) = constraint.strip_prefix("ux_").and_then(|rest| rest.split_once("__")) {
        return format!("{table}.{column}");
    }
    if let Some(table) = constraint.strip_suffix("_pkey") {
        return format!("{table}.id");
    }
    if constraint.is_empty() { "unique".to_owned() } else { constraint.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::conflict_name;

    #[test]
    fn names_the_key_on_both_backends() {
        assert_eq!(conflict_name("UNIQUE constraint failed: merchants.merchant_no"), "merchants.merchant_no");
        assert_eq!(
            conflict_name("UNIQUE constraint failed: legal_entities.platform_id, legal_entities.id_number_hash"),
            "legal_entities.id_number_hash"
        );
        assert_eq!(
            conflict_name(r#"duplicate key value violates unique constraint "ux_users__username""#),
            "users.username"
        );
        assert_eq!(
            conflict_name(r#"duplicate key value violates unique constraint "ux_refresh_tokens__token_hash""#),
            "refresh_tokens.token_hash"
        );
        assert_eq!(conflict_name(r#"duplicate key value violates unique constraint "app_keys_pkey""#), "app_keys.id");
        assert_eq!(conflict_name("something else"), "unique");
    }
}

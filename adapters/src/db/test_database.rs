//! Throw-away PostgreSQL databases for tests: each test gets its own, so tests run in parallel
//! without seeing each other's rows.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};
use time::{Duration, OffsetDateTime};

const PREFIX: &str = "juhe_t_";
/// Test databases older than this are dropped when the next one is made (leftovers of test runs
/// that panicked before cleaning up).
const STALE_AFTER: Duration = Duration::hours(1);

/// Creates `juhe_t_<uuid>` on the server of `base_url` (a PostgreSQL URL) and returns its URL.
/// The name embeds a UUIDv7, i.e. its creation time, which is how stale ones are recognised.
pub async fn fresh_test_database(base_url: &str) -> Result<String, DbErr> {
    let name = format!("{PREFIX}{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(base_url).await?;
    drop_stale(&admin).await;
    admin.execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#)).await?;
    admin.close().await?;
    Ok(with_database(base_url, &name))
}

/// Drops a database made by `fresh_test_database` (best effort: errors are returned, and a
/// database that is not one of ours is left alone).
pub async fn drop_test_database(base_url: &str, test_url: &str) -> Result<(), DbErr> {
    let Some(name) = database_name(test_url).filter(|n| is_test_name(n)) else {
        return Ok(());
    };
    let admin = Database::connect(base_url).await?;
    let result = admin.execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).await;
    admin.close().await?;
    result.map(|_| ())
}

async fn drop_stale(admin: &DatabaseConnection) {
    let sql = format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'");
    let Ok(rows) = admin.query_all_raw(Statement::from_string(admin.get_database_backend(), sql)).await else {
        return;
    };
    let cutoff = OffsetDateTime::now_utc() - STALE_AFTER;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        if created_at(&name).is_some_and(|t| t < cutoff) {
            // Another run may be using it right now; then it is not stale and the drop fails.
            let _ = admin.execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}""#)).await;
        }
    }
}

/// Creation time from the UUIDv7 in the name.
fn created_at(name: &str) -> Option<OffsetDateTime> {
    let id = uuid::Uuid::parse_str(name.strip_prefix(PREFIX)?).ok()?;
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok().map(|t| t + Duration::nanoseconds(nanos.into()))
}

fn is_test_name(name: &str) -> bool {
    name.strip_prefix(PREFIX).is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `postgres://u@h:5432/db?x=y` → the same URL naming database `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = split_query(url);
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..host_end])
}

fn database_name(url: &str) -> Option<&str> {
    let (base, _) = split_query(url);
    let authority_start = base.find("://")? + 3;
    let path_start = base[authority_start..].find('/')? + authority_start;
    Some(&base[path_start + 1..]).filter(|n| !n.is_empty())
}

fn split_query(url: &str) -> (&str, &str) {
    url.find('?').map_or((url, ""), |i| url.split_at(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
        assert_eq!(database_name("postgres://h:5432/juhe_t_1?a=b"), Some("juhe_t_1"));
        assert_eq!(database_name("postgres://h:5432"), None);
    }

    #[test]
    fn test_database_names_carry_their_age() {
        let name = format!("{PREFIX}{}", uuid::Uuid::now_v7().simple());
        assert!(is_test_name(&name));
        assert!(!is_test_name("juhe_t_x"));
        let age = OffsetDateTime::now_utc() - created_at(&name).unwrap();
        assert!(age < Duration::seconds(5));
    }
}

//! Conversions shared by the entity mappings: timestamps, stored codes and JSON lists.

use juhe_domain::repo::{RepoError, RepoResult};
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

/// How a timestamp is stored: UTC, microsecond precision (PostgreSQL's), so both backends give
/// back exactly what was written and SQLite's text form always ends in `Z`.
pub(crate) fn db_time(t: OffsetDateTime) -> OffsetDateTime {
    let utc = t.to_offset(UtcOffset::UTC);
    let micros = utc.nanosecond() / 1_000 * 1_000;
    utc.replace_nanosecond(micros).unwrap_or(utc)
}

pub(crate) fn db_time_opt(t: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    t.map(db_time)
}

/// Reads a stored code (`active`, `merchant_admin`, …) back into its enum; an unknown value
/// means the row was written by something else and is reported, never guessed.
pub(crate) fn code<T>(column: &str, raw: &str, parse: impl FnOnce(&str) -> Option<T>) -> RepoResult<T> {
    parse(raw).ok_or_else(|| RepoError::Backend(format!("unexpected value {raw:?} in {column}")))
}

pub(crate) fn json_list(items: &[String]) -> Value {
    Value::from(items.to_vec())
}

pub(crate) fn list_from_json(column: &str, value: Value) -> RepoResult<Vec<String>> {
    serde_json::from_value(value).map_err(|e| RepoError::Backend(format!("bad JSON list in {column}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn stored_times_are_utc_microseconds() {
        let t = datetime!(2026-11-01 08:00:00.123456789 +08:00);
        let stored = db_time(t);
        assert_eq!(stored.offset(), UtcOffset::UTC);
        assert_eq!(stored, datetime!(2026-11-01 00:00:00.123456 UTC));
    }

    #[test]
    fn unknown_codes_are_backend_errors() {
        let err = code("agents.status", "weird", |_| None::<u8>).unwrap_err();
        assert!(matches!(err, RepoError::Backend(m) if m.contains("agents.status")));
    }
}

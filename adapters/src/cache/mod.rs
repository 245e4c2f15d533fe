//! Cache adapters: the in-process [`memory::MemoryCache`] (embedded default) and
//! [`redis::RedisCache`] (production). Both pass the same contract tests
//! (`adapters/tests/cache_contract.rs`).
//!
//! Shared semantics, so that the two are interchangeable:
//! - every entry has a TTL; a zero TTL is raised to 1 ms (Redis rejects `PX 0`);
//! - counters are stored as decimal ASCII, like Redis, so `get` on a counter returns e.g. `b"3"`
//!   and incrementing a non-numeric value is an error;
//! - keys are namespaced by a prefix (`"<prefix>:<key>"`).

pub mod memory;
pub mod redis;

pub use memory::MemoryCache;
pub use redis::RedisCache;

use std::time::Duration;

/// Builds the stored key; the prefix lets several deployments or parallel tests share one Redis.
fn prefixed(prefix: &str, key: &str) -> String {
    let prefix = prefix.trim_end_matches(':');
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}:{key}") }
}

/// Redis rejects a zero expiry, and an entry without expiry would live forever: clamp to ≥ 1 ms.
fn effective_ttl(ttl: Duration) -> Duration {
    ttl.max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_keys_once() {
        assert_eq!(prefixed("juhe", "a"), "juhe:a");
        assert_eq!(prefixed("juhe:", "a"), "juhe:a");
        assert_eq!(prefixed("", "a"), "a");
    }

    #[test]
    fn ttl_is_never_zero() {
        assert_eq!(effective_ttl(Duration::ZERO), Duration::from_millis(1));
        assert_eq!(effective_ttl(Duration::from_secs(3)), Duration::from_secs(3));
    }
}

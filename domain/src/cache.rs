//! The cache port: short-lived values, single-use markers (nonces, locks) and atomic counters
//! (quotas, rate limits). In-process and Redis implementations pass the same contract tests.

use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(pub String);

pub type CacheResult<T> = Result<T, CacheError>;

#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>>;

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()>;

    /// Stores the value only if the key is absent; true when this call stored it.
    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool>;

    async fn delete(&self, key: &str) -> CacheResult<()>;

    /// Adds `delta` to the counter (created at 0 with `ttl` when absent; an existing counter keeps
    /// its expiry) and returns the new value.
    async fn incr(&self, key: &str, delta: i64, ttl: Duration) -> CacheResult<i64>;

    /// Adds `delta` only if the result stays ≤ `limit`; returns the new value, or `None` (and
    /// changes nothing) when it would pass the limit. Atomic: concurrent callers never overshoot.
    async fn incr_within(&self, key: &str, delta: i64, limit: i64, ttl: Duration) -> CacheResult<Option<i64>>;

    /// Liveness probe for `/readyz`.
    async fn ping(&self) -> CacheResult<()>;
}

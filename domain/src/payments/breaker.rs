//! Circuit breaker per channel account: when too many calls fail within a minute, the account
//! is skipped by routing for a cool-down, so a sick channel stops costing every order a timeout.
//! State lives in the cache, shared by all server processes.

use crate::cache::Cache;
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct BreakerSettings {
    /// Calls needed in the window before the error rate counts.
    pub min_calls: i64,
    /// Errors per 100 calls that open the breaker.
    pub error_percent: i64,
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self { min_calls: 10, error_percent: 50, open_for: Duration::from_secs(30) }
    }
}

fn window(at: OffsetDateTime) -> i64 {
    at.unix_timestamp() / 60
}

/// Whether routing should skip the account now.
pub async fn is_open(cache: &dyn Cache, account_id: &str) -> bool {
    matches!(cache.get(&format!("breaker:{account_id}:open")).await, Ok(Some(_)))
}

/// Records one call's outcome and opens the breaker when the error rate passes the threshold.
pub async fn record(cache: &dyn Cache, settings: &BreakerSettings, account_id: &str, failed: bool, at: OffsetDateTime) {
    let w = window(at);
    let ttl = Duration::from_secs(120);
    let calls = cache.incr(&format!("breaker:{account_id}:{w}:calls"), 1, ttl).await.unwrap_or(0);
    // Only a failure can open the breaker, so a success needs no look at the error count.
    if !failed {
        return;
    }
    let errors = cache.incr(&format!("breaker:{account_id}:{w}:errors"), 1, ttl).await.unwrap_or(0);
    if calls >= settings.min_calls && errors * 100 >= settings.error_percent * calls {
        let opened = cache.set_if_absent(&format!("breaker:{account_id}:open"), b"1", settings.open_for).await;
        if matches!(opened, Ok(true)) {
            tracing::warn!(account_id, calls, errors, "circuit breaker opened");
        }
    }
}

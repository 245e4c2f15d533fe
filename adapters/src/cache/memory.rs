//! In-process cache on moka: the embedded default for one `juhe` process.
//!
//! Atomicity: `set_if_absent`, `incr` and `incr_within` go through moka's entry API
//! (`and_compute_with`), which serialises concurrent computations on the same key with a
//! key-level lock, so two callers can never both see "absent" or both pass a limit.
//!
//! Expiry: every value carries its own deadline and a moka [`Expiry`] policy turns it into the
//! entry's time to live, so expired entries are dropped by moka's housekeeping (its timer wheel
//! frees them within about a second; reads hide them at once), memory stays bounded by what is
//! live, and a counter keeps its original deadline when it is incremented.

use super::{effective_ttl, prefixed};
use async_trait::async_trait;
use juhe_domain::cache::{Cache, CacheError, CacheResult};
use moka::Expiry;
use moka::future::Cache as MokaCache;
use moka::ops::compute::{CompResult, Op};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A stored value with its absolute deadline.
#[derive(Clone)]
struct Slot {
    bytes: Arc<[u8]>,
    expires_at: Instant,
}

impl Slot {
    fn new(bytes: &[u8], ttl: Duration) -> Self {
        Self { bytes: Arc::from(bytes), expires_at: Instant::now() + effective_ttl(ttl) }
    }

    /// moka already hides expired entries; this re-check guards against clock rounding.
    fn is_live(&self) -> bool {
        self.expires_at > Instant::now()
    }
}

/// Tells moka to expire each entry at the deadline stored in it, on insert and on update.
struct SlotExpiry;

impl Expiry<String, Slot> for SlotExpiry {
    fn expire_after_create(&self, _key: &String, slot: &Slot, created_at: Instant) -> Option<Duration> {
        Some(slot.expires_at.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        slot: &Slot,
        updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(slot.expires_at.saturating_duration_since(updated_at))
    }
}

#[derive(Clone)]
pub struct MemoryCache {
    prefix: String,
    inner: MokaCache<String, Slot>,
}

impl MemoryCache {
    pub fn new(prefix: &str) -> Self {
        let inner = MokaCache::builder().expire_after(SlotExpiry).build();
        Self { prefix: prefix.to_owned(), inner }
    }

    fn key(&self, key: &str) -> String {
        prefixed(&self.prefix, key)
    }

    /// The one read-modify-write path behind `incr` and `incr_within`: under the key lock, adds
    /// `delta` to the live counter (or 0 for a new one) unless the result passes `limit`.
    async fn add(&self, key: &str, delta: i64, limit: Option<i64>, ttl: Duration) -> CacheResult<Option<i64>> {
        let mut outcome: CacheResult<Option<i64>> = Ok(None);
        self.inner
            .entry(self.key(key))
            .and_compute_with(|existing| {
                let current = existing.map(|entry| entry.into_value()).filter(Slot::is_live);
                let op = match next_counter(current.as_ref(), delta, limit) {
                    Ok(Some(value)) => {
                        outcome = Ok(Some(value));
                        let bytes = value.to_string();
                        let slot = match current {
                            // An existing counter keeps its deadline (the quota window).
                            Some(old) => Slot { bytes: Arc::from(bytes.as_bytes()), expires_at: old.expires_at },
                            None => Slot::new(bytes.as_bytes(), ttl),
                        };
                        Op::Put(slot)
                    }
                    Ok(None) => Op::Nop,
                    Err(err) => {
                        outcome = Err(err);
                        Op::Nop
                    }
                };
                std::future::ready(op)
            })
            .await;
        outcome
    }
}

/// The counter after adding `delta`, `None` when it would pass `limit`.
fn next_counter(current: Option<&Slot>, delta: i64, limit: Option<i64>) -> CacheResult<Option<i64>> {
    let current = match current {
        Some(slot) => std::str::from_utf8(&slot.bytes)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .ok_or_else(|| CacheError("value is not an integer".into()))?,
        None => 0,
    };
    let next = current.checked_add(delta).ok_or_else(|| CacheError("increment would overflow".into()))?;
    Ok(match limit {
        Some(limit) if next > limit => None,
        _ => Some(next),
    })
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> CacheResult<Option<Vec<u8>>> {
        let slot = self.inner.get(&self.key(key)).await;
        Ok(slot.filter(Slot::is_live).map(|slot| slot.bytes.to_vec()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<()> {
        self.inner.insert(self.key(key), Slot::new(value, ttl)).await;
        Ok(())
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> CacheResult<bool> {
        let result = self
            .inner
            .entry(self.key(key))
            .and_compute_with(|existing| {
                let live = existing.is_some_and(|entry| entry.value().is_live());
                std::future::ready(if live { Op::Nop } else { Op::Put(Slot::new(value, ttl)) })
            })
            .await;
        Ok(matches!(result, CompResult::Inserted(_) | CompResult::ReplacedWith(_)))
    }

    async fn delete(&self, key: &str) -> CacheResult<()> {
        self.inner.invalidate(&self.key(key)).await;
        Ok(())
    }

    async fn incr(&self, key: &str, delta: i64, ttl: Duration) -> CacheResult<i64> {
        // Without a limit `add` always yields a value; the error arm only satisfies the types.
        self.add(key, delta, None, ttl).await?.ok_or_else(|| CacheError("counter update was not applied".into()))
    }

    async fn incr_within(&self, key: &str, delta: i64, limit: i64, ttl: Duration) -> CacheResult<Option<i64>> {
        self.add(key, delta, Some(limit), ttl).await
    }

    async fn ping(&self) -> CacheResult<()> {
        Ok(())
    }
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache").field("prefix", &self.prefix).field("entries", &self.inner.entry_count()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expired_entries_are_evicted() {
        let cache = MemoryCache::new("t");
        for i in 0..1000 {
            cache.set(&format!("k{i}"), b"v", Duration::from_millis(20)).await.unwrap();
        }
        // Reads hide expired entries at once; moka's timer wheel frees them at ~1 s resolution.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        cache.inner.run_pending_tasks().await;
        assert_eq!(cache.inner.entry_count(), 0);
    }
}

//! Short-lived in-process copies of the rows every signed request and every order reads: the app
//! and its keys, whether a node path is disabled, the merchant by number, its channel bindings,
//! channel accounts and risk rules. They change rarely (by an admin) and are read on every order;
//! caching them takes most of the statements off the order path.
//!
//! Freshness: every audited write (all admin changes to these rows are audited) bumps a
//! generation after its commit, and an entry read under an older generation is ignored, so this
//! process sees its own changes at once. Other server processes see them within the TTL
//! (`lookup_cache_ttl_ms`); a TTL of 0 turns caching off.

use juhe_domain::apps::{App, AppKey};
use juhe_domain::channels::{ChannelAccount, ChannelBinding};
use juhe_domain::payments::risk_rules::RiskRule;
use juhe_domain::repo::RepoResult;
use juhe_domain::tenancy::Merchant;
use moka::sync::Cache;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bounds memory: enough for every active merchant of a large platform.
const CAPACITY: u64 = 100_000;

#[derive(Clone)]
struct Entry<V> {
    generation: u64,
    value: V,
}

pub(crate) struct Lookups {
    enabled: bool,
    generation: AtomicU64,
    pub(crate) apps: Table<String, Option<(App, Vec<AppKey>)>>,
    pub(crate) path_disabled: Table<String, bool>,
    /// Key: platform, scope path, merchant number (the scope is part of the answer).
    pub(crate) merchants_by_no: Table<(String, String, String), Option<Merchant>>,
    pub(crate) bindings: Table<String, Vec<ChannelBinding>>,
    /// Key: platform, account id.
    pub(crate) accounts: Table<(String, String), Option<ChannelAccount>>,
    /// Key: merchant id, store id ('' for none).
    pub(crate) risk_rules: Table<(String, String), Vec<RiskRule>>,
}

pub(crate) struct Table<K, V>(Cache<K, Entry<V>>);

impl<K: Hash + Eq + Send + Sync + 'static, V: Clone + Send + Sync + 'static> Table<K, V> {
    fn new(ttl: Duration) -> Self {
        Self(Cache::builder().max_capacity(CAPACITY).time_to_live(ttl.max(Duration::from_millis(1))).build())
    }
}

impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookups").field("enabled", &self.enabled).finish_non_exhaustive()
    }
}

impl Lookups {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            enabled: !ttl.is_zero(),
            generation: AtomicU64::new(0),
            apps: Table::new(ttl),
            path_disabled: Table::new(ttl),
            merchants_by_no: Table::new(ttl),
            bindings: Table::new(ttl),
            accounts: Table::new(ttl),
            risk_rules: Table::new(ttl),
        }
    }

    /// Called after every audited commit: older entries are not used again.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The cached value, or `load`'s (then cached). The generation is read before loading, so
    /// a load that raced with a write is stored under the old generation and never served.
    pub(crate) async fn get<K, V, F, Fut>(&self, table: &Table<K, V>, key: K, load: F) -> RepoResult<V>
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = RepoResult<V>>,
    {
        if !self.enabled {
            return load().await;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(entry) = table.0.get(&key).filter(|e| e.generation == generation) {
            return Ok(entry.value);
        }
        let value = load().await?;
        table.0.insert(key, Entry { generation, value: value.clone() });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_cached_values_until_invalidated() {
        let lookups = Lookups::new(Duration::from_secs(60));
        let loads = AtomicU64::new(0);
        let load = || async { Ok(loads.fetch_add(1, Ordering::SeqCst).is_multiple_of(2)) };
        assert!(lookups.get(&lookups.path_disabled, "/p/".into(), load).await.unwrap());
        assert!(lookups.get(&lookups.path_disabled, "/p/".into(), load).await.unwrap(), "cached");
        lookups.invalidate();
        assert!(!lookups.get(&lookups.path_disabled, "/p/".into(), load).await.unwrap(), "reloaded");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_zero_ttl_always_loads() {
        let lookups = Lookups::new(Duration::ZERO);
        let loads = AtomicU64::new(0);
        for _ in 0..3 {
            let load = || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok(vec![])
            };
            lookups.get(&lookups.bindings, "m".into(), load).await.unwrap();
        }
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let lookups = Lookups::new(Duration::from_secs(60));
        let failed = lookups
            .get(&lookups.path_disabled, "/p/".into(), || async {
                Err(juhe_domain::repo::RepoError::Backend("down".into()))
            })
            .await;
        assert!(failed.is_err());
        assert!(lookups.get(&lookups.path_disabled, "/p/".into(), || async { Ok(true) }).await.unwrap());
    }
}

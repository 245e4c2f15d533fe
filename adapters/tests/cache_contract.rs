//! The cache contract: one set of test bodies, run against the in-process cache always and
//! against Redis when `JUHE_TEST_REDIS_URL` is set (e.g. `redis://127.0.0.1:6379`). Every test
//! uses its own key prefix, so runs in parallel (and on a shared Redis) do not interfere.

use juhe_adapters::cache::{MemoryCache, RedisCache};
use juhe_domain::cache::Cache;
use std::sync::Arc;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(30);

fn unique_prefix(test: &str) -> String {
    format!("juhe-test:{test}:{}", uuid::Uuid::new_v4().simple())
}

fn memory(test: &str) -> Arc<dyn Cache> {
    Arc::new(MemoryCache::new(&unique_prefix(test)))
}

async fn redis(test: &str) -> Option<Arc<dyn Cache>> {
    let url = std::env::var("JUHE_TEST_REDIS_URL").ok().filter(|url| !url.is_empty())?;
    let cache = RedisCache::connect(&url, &unique_prefix(test)).await.expect("connect to JUHE_TEST_REDIS_URL");
    Some(Arc::new(cache))
}

async fn sleep_past(ttl: Duration) {
    tokio::time::sleep(ttl + Duration::from_millis(150)).await;
}

async fn get_set_delete(cache: Arc<dyn Cache>) {
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache.set("k", b"one", LONG).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"one"[..]));
    cache.set("k", b"two", LONG).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"two"[..]));
    cache.delete("k").await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache.delete("never-set").await.unwrap();
    // Binary values survive unchanged.
    let binary = [0u8, 255, 10, 13, 0];
    cache.set("bin", &binary, LONG).await.unwrap();
    assert_eq!(cache.get("bin").await.unwrap().as_deref(), Some(&binary[..]));
}

async fn ttl_expires_entries(cache: Arc<dyn Cache>) {
    cache.set("short", b"v", SHORT).await.unwrap();
    cache.set("long", b"v", LONG).await.unwrap();
    assert!(cache.get("short").await.unwrap().is_some());
    sleep_past(SHORT).await;
    assert_eq!(cache.get("short").await.unwrap(), None);
    assert!(cache.get("long").await.unwrap().is_some());
    // `set` replaces the expiry: a long-lived key set again with a short TTL expires.
    cache.set("long", b"w", SHORT).await.unwrap();
    sleep_past(SHORT).await;
    assert_eq!(cache.get("long").await.unwrap(), None);
}

async fn set_if_absent_is_single_use(cache: Arc<dyn Cache>) {
    assert!(cache.set_if_absent("nonce", b"first", SHORT).await.unwrap());
    assert!(!cache.set_if_absent("nonce", b"second", SHORT).await.unwrap());
    assert_eq!(cache.get("nonce").await.unwrap().as_deref(), Some(&b"first"[..]));
    sleep_past(SHORT).await;
    assert!(cache.set_if_absent("nonce", b"third", SHORT).await.unwrap());
    assert_eq!(cache.get("nonce").await.unwrap().as_deref(), Some(&b"third"[..]));
}

async fn set_if_absent_has_one_winner(cache: Arc<dyn Cache>) {
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.set_if_absent("lock", format!("{i}").as_bytes(), LONG).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}

async fn incr_creates_with_ttl_and_keeps_it(cache: Arc<dyn Cache>) {
    let window = Duration::from_millis(400);
    assert_eq!(cache.incr("count", 1, window).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A later increment with a long TTL must not extend the original window.
    assert_eq!(cache.incr("count", 2, LONG).await.unwrap(), 3);
    assert_eq!(cache.get("count").await.unwrap().as_deref(), Some(&b"3"[..]));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(cache.get("count").await.unwrap(), None);
    // After expiry the counter starts over with a fresh window.
    assert_eq!(cache.incr("count", 5, window).await.unwrap(), 5);
}

async fn incr_within_never_overshoots(cache: Arc<dyn Cache>) {
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.incr_within("quota", 1, 10, LONG).await.unwrap() })
        })
        .collect();
    let mut granted = Vec::new();
    for task in tasks {
        if let Some(value) = task.await.unwrap() {
            granted.push(value);
        }
    }
    granted.sort_unstable();
    assert_eq!(granted, (1..=10).collect::<Vec<i64>>());
    assert_eq!(cache.get("quota").await.unwrap().as_deref(), Some(&b"10"[..]));
}

async fn negative_deltas_release_quota(cache: Arc<dyn Cache>) {
    assert_eq!(cache.incr_within("amount", 500, 1000, LONG).await.unwrap(), Some(500));
    assert_eq!(cache.incr_within("amount", 600, 1000, LONG).await.unwrap(), None);
    // A refused call changes nothing.
    assert_eq!(cache.get("amount").await.unwrap().as_deref(), Some(&b"500"[..]));
    assert_eq!(cache.incr_within("amount", 500, 1000, LONG).await.unwrap(), Some(1000));
    assert_eq!(cache.incr_within("amount", 1, 1000, LONG).await.unwrap(), None);
    // Releasing (an order failed before money moved) frees the room again.
    assert_eq!(cache.incr_within("amount", -300, 1000, LONG).await.unwrap(), Some(700));
    assert_eq!(cache.incr_within("amount", 300, 1000, LONG).await.unwrap(), Some(1000));
    assert_eq!(cache.incr("amount", -1000, LONG).await.unwrap(), 0);
    assert_eq!(cache.incr("fresh", -2, LONG).await.unwrap(), -2);
    // A refused first call does not create the key.
    assert_eq!(cache.incr_within("absent", 11, 10, LONG).await.unwrap(), None);
    assert_eq!(cache.get("absent").await.unwrap(), None);
}

async fn incr_within_keeps_the_window(cache: Arc<dyn Cache>) {
    let window = Duration::from_millis(400);
    assert_eq!(cache.incr_within("daily", 3, 5, window).await.unwrap(), Some(3));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(cache.incr_within("daily", 2, 5, LONG).await.unwrap(), Some(5));
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(cache.incr_within("daily", 5, 5, window).await.unwrap(), Some(5));
}

async fn incr_rejects_non_numbers(cache: Arc<dyn Cache>) {
    cache.set("text", b"hello", LONG).await.unwrap();
    assert!(cache.incr("text", 1, LONG).await.is_err());
    assert!(cache.incr_within("text", 1, 10, LONG).await.is_err());
    assert_eq!(cache.get("text").await.unwrap().as_deref(), Some(&b"hello"[..]));
}

async fn ping_answers(cache: Arc<dyn Cache>) {
    cache.ping().await.unwrap();
}

/// Generates one `#[tokio::test]` per body and backend; Redis tests pass vacuously (with a note)
/// when `JUHE_TEST_REDIS_URL` is unset.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::memory(stringify!($name))).await;
                }
            )*
        }

        mod redis_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(cache) = super::redis(stringify!($name)).await else {
                        eprintln!("JUHE_TEST_REDIS_URL is not set: Redis contract test skipped");
                        return;
                    };
                    super::$name(cache).await;
                }
            )*
        }
    };
}

contract!(
    get_set_delete,
    ttl_expires_entries,
    set_if_absent_is_single_use,
    set_if_absent_has_one_winner,
    incr_creates_with_ttl_and_keeps_it,
    incr_within_never_overshoots,
    negative_deltas_release_quota,
    incr_within_keeps_the_window,
    incr_rejects_non_numbers,
    ping_answers,
);

#[tokio::test]
async fn prefixes_isolate_caches() {
    let a = MemoryCache::new("tenant-a");
    let b = MemoryCache::new("tenant-b");
    a.set("k", b"a", LONG).await.unwrap();
    assert_eq!(b.get("k").await.unwrap(), None);

    let Ok(url) = std::env::var("JUHE_TEST_REDIS_URL") else {
        return;
    };
    let a = RedisCache::connect(&url, &unique_prefix("isolate-a")).await.unwrap();
    let b = RedisCache::connect(&url, &unique_prefix("isolate-b")).await.unwrap();
    a.set("k", b"a", LONG).await.unwrap();
    assert_eq!(b.get("k").await.unwrap(), None);
    a.delete("k").await.unwrap();
}

#[tokio::test]
async fn redis_errors_do_not_leak_the_url() {
    let err = RedisCache::connect("redis://:hunter2-secret@127.0.0.1:1/0", "x").await.unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    let err = RedisCache::connect("not a url :hunter2", "x").await.unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

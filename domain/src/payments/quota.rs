//! Quotas (额度): daily amount and count caps per channel account and per binding, reserved
//! atomically through the cache when an order is routed, released when it closes, fails or is
//! cancelled, kept when it is paid. Counters are per UTC day and expire after it.

use super::order::Order;
use crate::cache::{Cache, CacheError};
use crate::channels::{ChannelAccount, ChannelBinding};
use crate::money::Money;
use std::time::Duration;
use time::OffsetDateTime;

const TTL: Duration = Duration::from_secs(26 * 3600);

/// One capped counter.
struct Counter {
    key: String,
    by: i64,
    cap: i64,
}

fn day(at: OffsetDateTime) -> String {
    let d = at.date();
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

fn counters(account: &ChannelAccount, binding: &ChannelBinding, amount: Money, at: OffsetDateTime) -> Vec<Counter> {
    let d = day(at);
    let mut out = Vec::new();
    for (scope, id, amount_cap, count_cap) in [
        ("account", &account.id, account.daily_amount_cap, account.daily_count_cap),
        ("binding", &binding.id, binding.daily_amount_cap, binding.daily_count_cap),
    ] {
        if let Some(cap) = amount_cap {
            out.push(Counter { key: format!("quota:{scope}:{id}:{d}:amount"), by: amount.0, cap: cap.0 });
        }
        if let Some(cap) = count_cap {
            out.push(Counter { key: format!("quota:{scope}:{id}:{d}:count"), by: 1, cap });
        }
    }
    out
}

fn held_key(order: &Order) -> String {
    format!("quota:held:{}", order.order_no)
}

/// Reserves the order's amount and one count under every cap of `account`/`binding`; all or
/// nothing. `Ok(false)`: a cap would be passed (nothing is kept).
pub async fn reserve(
    cache: &dyn Cache,
    account: &ChannelAccount,
    binding: &ChannelBinding,
    order: &Order,
) -> Result<bool, CacheError> {
    let wanted = counters(account, binding, order.amount, order.created_at);
    if wanted.is_empty() {
        // No caps: nothing to hold (and one cache round trip less per order).
        return Ok(true);
    }
    let mut taken: Vec<&Counter> = Vec::new();
    for c in &wanted {
        match cache.incr_within(&c.key, c.by, c.cap, TTL).await {
            Ok(Some(_)) => taken.push(c),
            Ok(None) => {
                undo(cache, &taken).await;
                return Ok(false);
            }
            Err(e) => {
                undo(cache, &taken).await;
                return Err(e);
            }
        }
    }
    // A marker that this order holds a reservation: exactly one release gives it back.
    cache.incr(&held_key(order), 1, TTL).await?;
    Ok(true)
}

/// Gives back what the order reserved at `account`/`binding` (it closed, failed, was cancelled,
/// or the channel refused it). Safe to call more than once: only the holder releases.
pub async fn release(cache: &dyn Cache, account: &ChannelAccount, binding: &ChannelBinding, order: &Order) {
    let wanted = counters(account, binding, order.amount, order.created_at);
    if wanted.is_empty() {
        return;
    }
    match cache.incr(&held_key(order), -1, TTL).await {
        Ok(0) => {}
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(order_no = %order.order_no, error = %e, "quota release skipped");
            return;
        }
    }
    undo(cache, &wanted.iter().collect::<Vec<_>>()).await;
}

async fn undo(cache: &dyn Cache, taken: &[&Counter]) {
    for c in taken {
        if let Err(e) = cache.incr(&c.key, -c.by, TTL).await {
            tracing::warn!(key = %c.key, error = %e, "quota release failed; the cap frees at day end");
        }
    }
}

/// Today's usage of a binding (amount, count) for the admin view.
pub async fn usage(cache: &dyn Cache, scope: &str, id: &str, at: OffsetDateTime) -> (i64, i64) {
    let d = day(at);
    let read = |what: &str| format!("quota:{scope}:{id}:{d}:{what}");
    let get = |key: String| async move {
        cache
            .get(&key)
            .await
            .ok()
            .flatten()
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    (get(read("amount")).await, get(read("count")).await)
}

//! Background work in the server process: merchant notification delivery and the order
//! lifecycle jobs. Every loop is safe to run in several processes at once (deliveries are
//! leased in the database; order transitions are optimistic).

use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;

/// How often each loop wakes (tests compress these).
#[derive(Clone, Debug)]
pub struct JobIntervals {
    pub delivery: Duration,
    pub lifecycle: Duration,
    /// Unpaid orders younger than this are left to their callbacks.
    pub requery_after_secs: i64,
}

impl Default for JobIntervals {
    fn default() -> Self {
        Self { delivery: Duration::from_secs(1), lifecycle: Duration::from_secs(10), requery_after_secs: 30 }
    }
}

/// Spawns the loops; they stop when `shutdown` flips.
pub fn spawn(state: Arc<AppState>, intervals: JobIntervals, shutdown: tokio::sync::watch::Receiver<bool>) {
    let s = state.clone();
    let mut stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            // Drain what is due, then wait for the next tick.
            while s.delivery.deliver_due(50).await == 50 {}
            tokio::select! {
                _ = tokio::time::sleep(intervals.delivery) => {},
                _ = stop.changed() => break,
            }
        }
    });
    let mut stop = shutdown;
    tokio::spawn(async move {
        loop {
            state.payments.expire_due().await;
            state.payments.resolve_pending(intervals.requery_after_secs).await;
            state.payments.poll_refunds(intervals.requery_after_secs).await;
            tokio::select! {
                _ = tokio::time::sleep(intervals.lifecycle) => {},
                _ = stop.changed() => break,
            }
        }
    });
}

/// The tokio timer behind the domain's `Timer` port.
pub struct TokioTimer;

#[async_trait::async_trait]
impl juhe_domain::clock::Timer for TokioTimer {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

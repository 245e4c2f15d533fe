//! Time as a port, so jobs and token expiry can be tested with a controlled clock.

use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// `t` cut to whole microseconds: what both databases store, so a record reads back exactly as
/// it was written (and the first answer equals every later one).
pub fn micros(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Waiting, as a port (the domain has no async runtime): barcode polling waits between queries.
#[async_trait::async_trait]
pub trait Timer: Send + Sync {
    async fn sleep(&self, duration: std::time::Duration);
}

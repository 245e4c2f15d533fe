//! A clock tests can move forward (to compress retry schedules and expiry).

use juhe_domain::clock::Clock;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

#[derive(Default)]
pub struct ShiftClock {
    offset_secs: AtomicI64,
}

impl ShiftClock {
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ShiftClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.offset_secs.load(Ordering::SeqCst))
    }
}

//! Durable jobs: the one mechanism for background work (order follow-ups, refund follow-ups,
//! notification delivery, exception resolution, and what later areas add).

pub mod admin;
pub mod model;
pub mod ports;

pub use model::{Job, JobAttempt, JobFinish, JobKind, JobOutcome, JobState, NewJob, RetryPolicy};
pub use ports::{JobFilter, JobHandler, JobRepo, KindStats};

//! Durable jobs: every background activity is a row with a kind, a key, a payload and a due
//! time, claimed under a lease by one worker at a time. The job's own state machine (what a
//! run's outcome does to it) lives here; the repository only persists it.

use crate::ids::{JobId, PlatformId};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;

/// What a job does. One handler per kind; each kind has its own retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum JobKind {
    /// An unpaid order: re-query the channel while the outcome is open, poll and reverse a
    /// barcode payment left waiting, close the order at expiry.
    OrderFollowup,
    /// A processing refund: query it, re-submit a refund the channel never received, fail it
    /// (releasing the amount) when the channel never takes it.
    RefundFollowup,
    /// One merchant notification, delivered on the 16-attempt schedule.
    NotificationDelivery,
    /// A payment exception resolved by the platform's policy (the automatic refund).
    ExceptionResolution,
}

impl JobKind {
    pub const ALL: [JobKind; 4] =
        [JobKind::OrderFollowup, JobKind::RefundFollowup, JobKind::NotificationDelivery, JobKind::ExceptionResolution];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::OrderFollowup => "order.followup",
            JobKind::RefundFollowup => "refund.followup",
            JobKind::NotificationDelivery => "notification.delivery",
            JobKind::ExceptionResolution => "exception.resolution",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// How failures of this kind back off, and when the job is parked as dead. A failure is a
    /// run that could not do its work (storage down, a bug); "not yet" answers are
    /// reschedules, not failures.
    pub fn policy(self) -> RetryPolicy {
        match self {
            JobKind::NotificationDelivery => RetryPolicy::new(8, 5, 600),
            JobKind::OrderFollowup | JobKind::RefundFollowup => RetryPolicy::new(10, 10, 1800),
            JobKind::ExceptionResolution => RetryPolicy::new(10, 30, 3600),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RetryPolicy {
    /// Consecutive failures after which the job is parked as `dead`.
    pub max_failures: i32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl RetryPolicy {
    pub const fn new(max_failures: i32, first_secs: u64, max_secs: u64) -> Self {
        Self { max_failures, first_delay: Duration::from_secs(first_secs), max_delay: Duration::from_secs(max_secs) }
    }

    /// The wait after the `failures`-th consecutive failure: doubling from `first_delay`, capped.
    pub fn delay(&self, failures: i32) -> Duration {
        let doublings = u32::try_from(failures.saturating_sub(1)).unwrap_or(0).min(20);
        self.first_delay.saturating_mul(1 << doublings).min(self.max_delay)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `next_run_at`.
    Pending,
    /// Leased by a worker until `lease_until` (a lease that runs out makes it claimable again).
    Running,
    Succeeded,
    /// Failed `max_failures` times in a row; kept with its error until an operator retries it.
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] =
        [JobState::Pending, JobState::Running, JobState::Succeeded, JobState::Dead, JobState::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// No worker will run it again unless an operator (or a new enqueue) revives it.
    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Dead | JobState::Cancelled)
    }
}

/// A job to create, usually as an effect of a state change (written in its transaction).
/// (kind, key) is unique: enqueuing it again makes the job run no later than `run_at` (a
/// finished one is revived, a pending one brought forward; a running one is left to its run).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewJob {
    pub platform_id: PlatformId,
    pub kind: JobKind,
    /// What the job is about, e.g. the order number; unique per kind.
    pub key: String,
    pub payload: Value,
    pub run_at: OffsetDateTime,
}

impl NewJob {
    pub fn new(platform_id: &PlatformId, kind: JobKind, key: &str, run_at: OffsetDateTime) -> Self {
        Self { platform_id: platform_id.clone(), kind, key: key.to_owned(), payload: Value::Null, run_at }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Job {
    pub id: JobId,
    pub platform_id: PlatformId,
    pub kind: JobKind,
    pub key: String,
    pub payload: Value,
    pub state: JobState,
    /// Runs started so far (a run whose worker died counts too).
    pub attempts: i32,
    /// Consecutive failed runs; decides the backoff and the move to `dead`.
    pub failures: i32,
    pub next_run_at: OffsetDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// What a handler reports after one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// The work is done; the job succeeds.
    Done,
    /// Nothing wrong, the work is not over (an order still unpaid, a notification to retry on
    /// its schedule): run again at that time. Resets the failure count.
    Again(OffsetDateTime),
    /// The run failed; retried with the kind's backoff, parked as dead after too many.
    Failed(String),
    /// The job can never succeed (its record is gone, its payload is unreadable): dead now.
    Fatal(String),
}

/// How a run ended, as written to the job's attempt history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResult {
    Succeeded,
    Rescheduled,
    Failed,
    /// The worker stopped (crash, kill) before finishing; another worker took the job over.
    LeaseExpired,
}

impl AttemptResult {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptResult::Succeeded => "succeeded",
            AttemptResult::Rescheduled => "rescheduled",
            AttemptResult::Failed => "failed",
            AttemptResult::LeaseExpired => "lease_expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Succeeded, Self::Rescheduled, Self::Failed, Self::LeaseExpired].into_iter().find(|r| r.as_str() == raw)
    }
}

/// One run of a job.
#[derive(Clone, Debug, Serialize)]
pub struct JobAttempt {
    pub job_id: JobId,
    /// 1-based, the job's `attempts` when the run started.
    pub attempt_no: i32,
    pub worker: String,
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
    pub result: AttemptResult,
    pub error: Option<String>,
}

/// The job after a run: what the repository writes, only while the worker still holds the lease.
#[derive(Clone, Debug)]
pub struct JobFinish {
    pub state: JobState,
    pub next_run_at: OffsetDateTime,
    pub failures: i32,
    pub last_error: Option<String>,
    pub finished_at: Option<OffsetDateTime>,
    pub attempt: JobAttempt,
}

/// Errors longer than this are cut (they are for operators, not a log archive).
const MAX_ERROR_CHARS: usize = 1000;

impl Job {
    /// The job's next state after a run that started at `started_at` ended with `outcome`.
    pub fn finish(
        &self,
        outcome: &JobOutcome,
        worker: &str,
        started_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> JobFinish {
        let (state, next_run_at, failures, error, result) = match outcome {
            JobOutcome::Done => (JobState::Succeeded, now, 0, None, AttemptResult::Succeeded),
            JobOutcome::Again(at) => (JobState::Pending, (*at).max(now), 0, None, AttemptResult::Rescheduled),
            JobOutcome::Failed(e) => {
                let failures = self.failures + 1;
                let policy = self.kind.policy();
                if failures >= policy.max_failures {
                    (JobState::Dead, now, failures, Some(cut(e)), AttemptResult::Failed)
                } else {
                    let wait = time::Duration::try_from(policy.delay(failures)).unwrap_or(time::Duration::HOUR);
                    (JobState::Pending, now + wait, failures, Some(cut(e)), AttemptResult::Failed)
                }
            }
            JobOutcome::Fatal(e) => (JobState::Dead, now, self.failures + 1, Some(cut(e)), AttemptResult::Failed),
        };
        let last_error = error.clone().or_else(|| self.last_error.clone());
        JobFinish {
            state,
            next_run_at,
            failures,
            last_error,
            finished_at: state.is_finished().then_some(now),
            attempt: JobAttempt {
                job_id: self.id.clone(),
                attempt_no: self.attempts,
                worker: worker.to_owned(),
                started_at,
                finished_at: now,
                result,
                error,
            },
        }
    }
}

fn cut(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn job(kind: JobKind, failures: i32) -> Job {
        let t = datetime!(2026-12-01 00:00 UTC);
        Job {
            id: JobId::generate(),
            platform_id: PlatformId::generate(),
            kind,
            key: "k".into(),
            payload: Value::Null,
            state: JobState::Running,
            attempts: failures + 1,
            failures,
            next_run_at: t,
            lease_owner: Some("w".into()),
            lease_until: Some(t),
            last_error: None,
            created_at: t,
            updated_at: t,
            finished_at: None,
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::new(10, 10, 100);
        assert_eq!(p.delay(1), Duration::from_secs(10));
        assert_eq!(p.delay(2), Duration::from_secs(20));
        assert_eq!(p.delay(4), Duration::from_secs(80));
        assert_eq!(p.delay(5), Duration::from_secs(100));
        assert_eq!(p.delay(60), Duration::from_secs(100));
    }

    #[test]
    fn failures_back_off_then_park_the_job_as_dead() {
        let now = datetime!(2026-12-01 01:00 UTC);
        let kind = JobKind::OrderFollowup;
        let max = kind.policy().max_failures;
        let f = job(kind, 0).finish(&JobOutcome::Failed("db down".into()), "w", now, now);
        assert_eq!((f.state, f.failures), (JobState::Pending, 1));
        assert_eq!(f.next_run_at, now + time::Duration::seconds(10));
        assert_eq!(f.last_error.as_deref(), Some("db down"));
        let f = job(kind, max - 1).finish(&JobOutcome::Failed("still down".into()), "w", now, now);
        assert_eq!((f.state, f.failures), (JobState::Dead, max));
        assert_eq!(f.finished_at, Some(now));
    }

    #[test]
    fn a_reschedule_is_not_a_failure() {
        let now = datetime!(2026-12-01 01:00 UTC);
        let later = now + time::Duration::minutes(5);
        let f = job(JobKind::RefundFollowup, 3).finish(&JobOutcome::Again(later), "w", now, now);
        assert_eq!((f.state, f.failures, f.next_run_at), (JobState::Pending, 0, later));
        assert_eq!(f.attempt.result, AttemptResult::Rescheduled);
        let f = job(JobKind::RefundFollowup, 0).finish(&JobOutcome::Fatal("gone".into()), "w", now, now);
        assert_eq!(f.state, JobState::Dead);
    }

    #[test]
    fn kinds_and_states_round_trip() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
        }
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
    }
}

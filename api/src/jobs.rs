//! The job worker of a server process: claims due jobs from the durable job table (leases, so
//! every replica may run a worker and exactly one runs each job at a time), runs each with its
//! kind's handler while a heartbeat renews the lease, and writes the outcome the domain decides
//! (done, again later, failed with backoff, dead). Also publishes queue metrics.

use crate::state::AppState;
use juhe_domain::clock::Clock;
use juhe_domain::jobs::{Job, JobHandler, JobKind, JobOutcome, JobRepo, JobState};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};

/// How a worker claims and runs jobs (tests shorten these).
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// How often an idle worker looks for due jobs (jobs written by this process wake it at once).
    pub poll: Duration,
    /// How long a claim lasts without a heartbeat; a worker that dies loses its jobs after this.
    pub lease: Duration,
    /// Jobs run at the same time by one worker.
    pub concurrency: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self { poll: Duration::from_secs(1), lease: Duration::from_secs(60), concurrency: 16 }
    }
}

/// How often the queue gauges are refreshed.
const STATS_EVERY: Duration = Duration::from_secs(15);

pub struct Worker {
    repo: Arc<dyn JobRepo>,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    clock: Arc<dyn Clock>,
    /// Unique per process: the lease owner's name.
    id: String,
    settings: JobSettings,
    signal: Arc<Notify>,
}

/// Starts the worker and the metrics loop; both stop when `shutdown` flips.
pub fn spawn(state: Arc<AppState>, settings: JobSettings, shutdown: watch::Receiver<bool>) {
    // The recorder exists before the first numbers (a `juhe worker` serves no /metrics itself).
    let _ = crate::http::metrics::handle();
    let worker = Arc::new(Worker::for_state(&state, settings));
    tokio::spawn(worker.clone().run(shutdown.clone()));
    tokio::spawn(worker.publish_stats(shutdown));
}

impl Worker {
    pub fn for_state(state: &AppState, settings: JobSettings) -> Self {
        let mut handlers: HashMap<JobKind, Arc<dyn JobHandler>> = HashMap::new();
        let p = state.payments.clone();
        handlers.insert(
            JobKind::OrderFollowup,
            handler(move |job| {
                let p = p.clone();
                async move { p.run_order_followup(&job).await }
            }),
        );
        let p = state.payments.clone();
        handlers.insert(
            JobKind::RefundFollowup,
            handler(move |job| {
                let p = p.clone();
                async move { p.run_refund_followup(&job).await }
            }),
        );
        let p = state.payments.clone();
        handlers.insert(
            JobKind::ExceptionResolution,
            handler(move |job| {
                let p = p.clone();
                async move { p.run_exception_resolution(&job).await }
            }),
        );
        let d = state.delivery.clone();
        handlers.insert(
            JobKind::NotificationDelivery,
            handler(move |job| {
                let d = d.clone();
                async move { d.run_delivery(&job).await }
            }),
        );
        Self {
            repo: state.jobs.clone(),
            handlers,
            clock: state.payments.clock.clone(),
            id: format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple()),
            settings,
            signal: state.jobs_signal.clone(),
        }
    }

    /// Claims as many due jobs as there are free slots, runs them, and waits (for a free slot,
    /// a local enqueue, or the poll interval) when there is nothing more to take.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        while !*stop.borrow() {
            // Registered before the claim, so an enqueue during the claim is not missed.
            let woken = self.signal.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let free = slots.available_permits();
            let claimed = if free == 0 { 0 } else { self.claim_and_start(free, &slots).await };
            if free > 0 && claimed == free {
                continue;
            }
            tokio::select! {
                _ = &mut woken => {},
                _ = tokio::time::sleep(self.settings.poll) => {},
                _ = slots.clone().acquire_owned(), if free == 0 => {},
                _ = stop.changed() => {},
            }
        }
    }

    async fn claim_and_start(self: &Arc<Self>, free: usize, slots: &Arc<Semaphore>) -> usize {
        let now = self.clock.now();
        let lease_until = now + lease_of(&self.settings);
        let jobs = match self.repo.claim(&self.id, now, lease_until, free as u64).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(error = %e, "claiming jobs failed");
                return 0;
            }
        };
        let count = jobs.len();
        for job in jobs {
            let Ok(permit) = slots.clone().acquire_owned().await else { break };
            let worker = self.clone();
            tokio::spawn(async move {
                worker.run_one(job).await;
                drop(permit);
            });
        }
        count
    }

    /// Runs one claimed job under a heartbeat and writes its outcome.
    async fn run_one(&self, job: Job) {
        let started_at = self.clock.now();
        let heartbeat = self.heartbeat(job.clone());
        let outcome = match self.handlers.get(&job.kind).cloned() {
            Some(h) => {
                let claimed = job.clone();
                // Its own task: a panicking handler is a failed run, not a dead worker.
                match tokio::spawn(async move { h.run(&claimed).await }).await {
                    Ok(outcome) => outcome,
                    Err(e) => JobOutcome::Failed(format!("handler panicked: {e}")),
                }
            }
            None => JobOutcome::Failed(format!("no handler for {}", job.kind.as_str())),
        };
        heartbeat.abort();
        let finish = job.finish(&outcome, &self.id, started_at, self.clock.now());
        let kind = job.kind.as_str();
        metrics::counter!("juhe_job_runs_total", "kind" => kind, "result" => finish.attempt.result.as_str())
            .increment(1);
        if let JobOutcome::Failed(e) | JobOutcome::Fatal(e) = &outcome {
            metrics::counter!("juhe_job_failures_total", "kind" => kind).increment(1);
            tracing::warn!(job = %job.id, kind, key = %job.key, error = %e, dead = finish.state == JobState::Dead, "job failed");
        }
        match self.repo.finish(&job, &self.id, &finish).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(job = %job.id, kind, "lease lost before the job finished; not recorded"),
            Err(e) => tracing::error!(job = %job.id, kind, error = %e, "recording a job run failed"),
        }
    }

    /// Renews the lease every third of its length while the job runs.
    fn heartbeat(&self, job: Job) -> tokio::task::JoinHandle<()> {
        let (repo, clock, id, lease) =
            (self.repo.clone(), self.clock.clone(), self.id.clone(), lease_of(&self.settings));
        let every = self.settings.lease / 3;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match repo.heartbeat(&job, &id, clock.now() + lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = %job.id, "lease lost while running");
                        return;
                    }
                    Err(e) => tracing::warn!(job = %job.id, error = %e, "heartbeat failed"),
                }
            }
        })
    }

    /// Queue depth and age per kind, as gauges.
    async fn publish_stats(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.repo.stats(self.clock.now()).await {
                Ok(all) => {
                    for s in all {
                        let kind = s.kind.as_str();
                        metrics::gauge!("juhe_jobs_due", "kind" => kind).set(s.due as f64);
                        metrics::gauge!("juhe_jobs_scheduled", "kind" => kind).set(s.scheduled as f64);
                        metrics::gauge!("juhe_jobs_running", "kind" => kind).set(s.running as f64);
                        metrics::gauge!("juhe_jobs_dead", "kind" => kind).set(s.dead as f64);
                        metrics::gauge!("juhe_jobs_oldest_due_seconds", "kind" => kind).set(s.oldest_due_secs as f64);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "job statistics failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(STATS_EVERY) => {},
                _ = stop.changed() => {},
            }
        }
    }
}

fn lease_of(settings: &JobSettings) -> time::Duration {
    time::Duration::try_from(settings.lease).unwrap_or(time::Duration::MINUTE)
}

fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "juhe".into())
}

/// A handler from a closure.
struct FnHandler<F>(F);

#[async_trait::async_trait]
impl<F, Fut> JobHandler for FnHandler<F>
where
    F: Fn(Job) -> Fut + Send + Sync,
    Fut: Future<Output = JobOutcome> + Send,
{
    async fn run(&self, job: &Job) -> JobOutcome {
        (self.0)(job.clone()).await
    }
}

fn handler<F, Fut>(f: F) -> Arc<dyn JobHandler>
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = JobOutcome> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

/// The tokio timer behind the domain's `Timer` port.
pub struct TokioTimer;

#[async_trait::async_trait]
impl juhe_domain::clock::Timer for TokioTimer {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

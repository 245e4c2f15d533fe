//! Exactly once under concurrency: several claimers (as in several worker processes) drain a
//! backlog; every job runs once, by one worker, and is finished once.

use crate::fixture::Fixture;
use juhe_domain::jobs::model::AttemptResult;
use juhe_domain::jobs::{JobKind, JobOutcome, JobRepo, JobState, NewJob};
use std::collections::HashMap;
use time::Duration;

const JOBS: usize = 500;
const CLAIMERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_run_every_job_exactly_once() {
    let fx = Fixture::new().await;
    let t0 = fx.now();
    let kinds = JobKind::ALL;
    let backlog: Vec<_> = (0..JOBS)
        .map(|i| {
            let due = t0 - Duration::milliseconds(i as i64 % 97);
            NewJob::new(&fx.platform, kinds[i % kinds.len()], &format!("job-{i}"), due)
        })
        .collect();
    JobRepo::enqueue(&fx.store, &backlog).await.unwrap();

    let claimers: Vec<_> = (0..CLAIMERS)
        .map(|c| {
            let store = fx.store.clone();
            let worker = format!("worker-{c}");
            tokio::spawn(async move {
                let mut runs = Vec::new();
                loop {
                    // Every claim at the same instant, under a lease that outlasts the test: a
                    // job claimed twice here was claimed while leased.
                    let claimed = JobRepo::claim(&store, &worker, t0, t0 + Duration::hours(1), 7).await.unwrap();
                    if claimed.is_empty() {
                        return runs;
                    }
                    for job in claimed {
                        let finish = job.finish(&JobOutcome::Done, &worker, t0, t0);
                        let written = JobRepo::finish(&store, &job, &worker, &finish).await.unwrap();
                        runs.push((job.key.clone(), worker.clone(), written));
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    let mut runs = Vec::new();
    for claimer in claimers {
        runs.extend(claimer.await.unwrap());
    }

    let mut by_job: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for (key, worker, written) in &runs {
        by_job.entry(key.clone()).or_default().push((worker.clone(), *written));
    }
    let twice: Vec<_> = by_job.iter().filter(|(_, r)| r.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "{} jobs claimed again while leased, e.g. {:?}",
        twice.len(),
        twice.iter().take(3).collect::<Vec<_>>()
    );
    assert_eq!(by_job.len(), JOBS, "every job was claimed");
    assert!(runs.iter().all(|(_, _, written)| *written), "every holder could finish its job");

    // The table agrees: each job succeeded, with exactly one attempt, the one that succeeded.
    for i in 0..JOBS {
        let key = format!("job-{i}");
        let filter = juhe_domain::jobs::JobFilter { key: Some(key.clone()), ..Default::default() };
        let page = crate::fixture::page(1, 10);
        let found = JobRepo::list(&fx.store, &fx.platform, &filter, page).await.unwrap().items;
        assert_eq!(found.len(), 1, "{key}");
        let job = &found[0];
        assert_eq!((job.state, job.attempts), (JobState::Succeeded, 1), "{key}");
        let attempts = JobRepo::attempts(&fx.store, &fx.platform, job.id.as_str()).await.unwrap();
        let results: Vec<_> = attempts.iter().map(|a| (a.result, a.worker.as_str())).collect();
        assert_eq!(results, vec![(AttemptResult::Succeeded, by_job[&key][0].0.as_str())], "{key}");
    }
    let stats = JobRepo::stats(&fx.store, t0).await.unwrap();
    assert!(stats.iter().all(|k| k.due + k.scheduled + k.running + k.dead == 0), "{stats:?}");
    fx.finish().await;
}

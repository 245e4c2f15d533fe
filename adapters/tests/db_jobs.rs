//! Contract tests of the durable job table (`JobRepo`): enqueue and revival, claims under a
//! lease in due order, takeover of abandoned runs, heartbeats, results written only by the lease
//! holder, backoff and the dead state, the operators' retry and cancel, queue statistics, and
//! exactly-once runs under concurrent claimers. They run on SQLite by default and on PostgreSQL
//! when `JUHE_TEST_DATABASE_URL` is set (each test then gets a database of its own).

// Shared with `db_contract`; not every builder of it is used here.
#[allow(dead_code)]
#[path = "support/db_fixture.rs"]
mod fixture;

#[path = "db_jobs/support.rs"]
mod support;

#[path = "db_jobs/admin.rs"]
mod admin;
#[path = "db_jobs/claims.rs"]
mod claims;
#[path = "db_jobs/concurrency.rs"]
mod concurrency;
#[path = "db_jobs/enqueue.rs"]
mod enqueue;
#[path = "db_jobs/failures.rs"]
mod failures;

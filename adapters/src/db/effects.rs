//! Writes a domain operation's effects (notifications, jobs, audit rows, payment exceptions) on
//! the connection of the change that caused them, so they commit or roll back with it.

use super::entities::{jobs, payment_exceptions};
use super::errors::db_err;
use super::notifications::insert_outbox;
use super::store::insert_audit;
use juhe_domain::effects::Effects;
use juhe_domain::jobs::{JobState, NewJob};
use juhe_domain::repo::RepoResult;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait};
use time::OffsetDateTime;

pub(crate) async fn write_effects(conn: &impl ConnectionTrait, effects: &Effects) -> RepoResult<()> {
    insert_outbox(conn, &effects.notifications).await?;
    enqueue_jobs(conn, &effects.jobs).await?;
    for entry in &effects.audit {
        insert_audit(conn, entry).await?;
    }
    if !effects.exceptions.is_empty() {
        payment_exceptions::Entity::insert_many(effects.exceptions.iter().map(payment_exceptions::from_domain))
            .exec_without_returning(conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// `INSERT … ON CONFLICT (kind, key) DO UPDATE … WHERE state <> running`: the job runs no later
/// than the new `run_at` — a finished one is revived, a pending one brought forward (never put
/// back); a running one is left to its run, which decides its next time.
pub(crate) async fn enqueue_jobs(conn: &impl ConnectionTrait, new: &[NewJob]) -> RepoResult<()> {
    use jobs::Column as C;
    let now = OffsetDateTime::now_utc();
    let backend = conn.get_database_backend();
    for job in new {
        let stored = |c: C| Expr::col((jobs::Entity, c));
        let finished =
            stored(C::State).is_in([JobState::Succeeded, JobState::Dead, JobState::Cancelled].map(JobState::as_str));
        // Revived or brought forward: the new due time and payload; otherwise the stored ones.
        let takes_new = finished.clone().or(sooner_than_stored(backend));
        let newer =
            |c: C, excluded: &'static str| Expr::case(takes_new.clone(), Expr::cust(excluded)).finally(stored(c));
        let upsert = OnConflict::columns([C::Kind, C::Key])
            .update_columns([C::UpdatedAt])
            .value(C::NextRunAt, newer(C::NextRunAt, r#""excluded"."next_run_at""#))
            .value(C::Payload, newer(C::Payload, r#""excluded"."payload""#))
            .value(C::State, JobState::Pending.as_str())
            .value(C::Failures, Expr::case(finished, 0).finally(stored(C::Failures)))
            .value(C::FinishedAt, Expr::val(None::<OffsetDateTime>))
            .action_and_where(stored(C::State).ne(JobState::Running.as_str()))
            .to_owned();
        jobs::Entity::insert(jobs::from_new(job, now))
            .on_conflict(upsert)
            .exec_without_returning(conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// The new due time is before the stored one (SQLite compares its RFC 3339 text without the
/// trailing `Z`, see `query::time_key`).
fn sooner_than_stored(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Sqlite => Expr::cust(r#"rtrim("excluded"."next_run_at", 'Z') < rtrim("jobs"."next_run_at", 'Z')"#),
        _ => Expr::cust(r#""excluded"."next_run_at" < "jobs"."next_run_at""#),
    }
}

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
use sea_orm::{ConnectionTrait, EntityTrait};
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

/// `INSERT … ON CONFLICT (kind, key) DO UPDATE … WHERE state IN (finished)`: a pending or
/// running job of the same kind and key is left alone, a finished one is revived.
pub(crate) async fn enqueue_jobs(conn: &impl ConnectionTrait, new: &[NewJob]) -> RepoResult<()> {
    use jobs::Column as C;
    let now = OffsetDateTime::now_utc();
    for job in new {
        let finished = [JobState::Succeeded, JobState::Dead, JobState::Cancelled].map(JobState::as_str);
        let revive = OnConflict::columns([C::Kind, C::Key])
            .update_columns([C::Payload, C::NextRunAt, C::UpdatedAt])
            .value(C::State, JobState::Pending.as_str())
            .value(C::Failures, 0)
            .value(C::FinishedAt, Expr::val(None::<OffsetDateTime>))
            .action_and_where(Expr::col((jobs::Entity, C::State)).is_in(finished))
            .to_owned();
        jobs::Entity::insert(jobs::from_new(job, now))
            .on_conflict(revive)
            .exec_without_returning(conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

//! Durable jobs with their run history, and payment exceptions (异常单).

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, json_binary_null, string_len, string_len_null, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(jobs()).await?;
        // One job per (kind, key): a second enqueue revives or leaves the first.
        unique(manager, "jobs", &["kind", "key"]).await?;
        // What workers claim: due pending jobs, and running ones whose lease ran out.
        time_index(manager, "jobs", &["state"], "next_run_at").await?;
        time_index(manager, "jobs", &["state"], "lease_until").await?;
        time_index(manager, "jobs", &["platform_id", "kind"], "next_run_at").await?;
        manager.create_table(job_attempts()).await?;

        manager.create_table(payment_exceptions()).await?;
        path_index(manager, "payment_exceptions").await?;
        index(manager, "payment_exceptions", &["order_no"]).await?;
        time_index(manager, "payment_exceptions", &["platform_id", "status"], "created_at").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["payment_exceptions", "job_attempts", "jobs"]).await
    }
}

fn jobs() -> TableCreateStatement {
    Table::create()
        .table("jobs")
        .col(id())
        .col(id_ref("platform_id"))
        .col(string_len("kind", 40))
        .col(string_len("key", 200))
        .col(json_binary_null("payload"))
        .col(code("state"))
        .col(integer("attempts"))
        .col(integer("failures"))
        .col(ts("next_run_at"))
        .col(string_len_null("lease_owner", 128))
        .col(ts_null("lease_until"))
        .col(text_null("last_error"))
        .col(ts("created_at"))
        .col(ts("updated_at"))
        .col(ts_null("finished_at"))
        // No foreign key: jobs are written with the hottest rows (orders) and never dangle.
        .take()
}

/// Keyed by (job, attempt number): a run is recorded once.
fn job_attempts() -> TableCreateStatement {
    Table::create()
        .table("job_attempts")
        .col(id_ref("job_id"))
        .col(integer("attempt_no"))
        .col(id_ref("platform_id"))
        .col(string_len("worker", 128))
        .col(ts("started_at"))
        .col(ts("finished_at"))
        .col(code("result"))
        .col(text_null("error"))
        .primary_key(&mut key("job_attempts", &["job_id", "attempt_no"]))
        .foreign_key(&mut fk("job_attempts", "job_id", "jobs"))
        .take()
}

fn payment_exceptions() -> TableCreateStatement {
    Table::create()
        .table("payment_exceptions")
        .col(id())
        .col(id_ref("platform_id"))
        .col(id_ref("merchant_id"))
        .col(path())
        .col(code("kind"))
        .col(string_len("order_no", 40))
        .col(string_len_null("refund_no", 40))
        .col(json_binary_null("evidence"))
        .col(code("status"))
        .col(code("resolution"))
        .col(text_null("note"))
        .col(string_len_null("resolved_by", 128))
        .col(ts("created_at"))
        .col(ts_null("resolved_at"))
        .foreign_key(&mut platform_fk("payment_exceptions"))
        .foreign_key(&mut fk("payment_exceptions", "merchant_id", "merchants"))
        .take()
}

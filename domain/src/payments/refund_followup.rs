//! Settling refunds: by the channel's answer, its notification, or the refund's follow-up job,
//! which queries a processing refund, re-submits one the channel never received (same refund
//! number) and finally fails it, releasing its amount, when the channel never takes it.

use super::errors::{PaymentError, PaymentResult};
use super::events;
use super::exception::{ExceptionKind, PaymentException, Resolution};
use super::notification::EventType;
use super::refund::{Refund, RefundStatus};
use super::service::PaymentService;
use crate::channels::{RefundState, RefundStatus as ChannelRefundStatus};
use crate::effects::Effects;
use crate::jobs::{Job, JobOutcome};
use crate::repo::RepoError;
use serde_json::json;
use std::time::Duration;

/// Settling re-reads the order when another change got there first.
const SETTLE_ATTEMPTS: usize = 50;

impl PaymentService {
    /// Asks the channel about a processing refund.
    pub async fn sync_refund(&self, refund: Refund) -> PaymentResult<Refund> {
        let Some(order) = self.orders.get_unscoped(&refund.order_no).await? else { return Ok(refund) };
        let Some(ctx) = self.order_context(&order).await? else { return Ok(refund) };
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Ok(refund) };
        match channel.refund_query(&ctx, &order.order_no, &refund.refund_no).await {
            Ok(status) => self.apply_refund_status(refund, &status).await,
            Err(_) => Ok(refund),
        }
    }

    /// Applies a channel-reported refund state once.
    pub async fn apply_refund_status(&self, refund: Refund, status: &ChannelRefundStatus) -> PaymentResult<Refund> {
        let target = match status.state {
            RefundState::Succeeded => RefundStatus::Succeeded,
            RefundState::Failed => RefundStatus::Failed,
            RefundState::Closed => RefundStatus::Closed,
            RefundState::Processing | RefundState::NotFound => return Ok(refund),
        };
        if refund.status != RefundStatus::Processing {
            return Ok(refund);
        }
        let mut refund = refund;
        if status.channel_refund_no.is_some() {
            refund.channel_refund_no = status.channel_refund_no.clone();
        }
        self.settle_refund(refund, target, status.succeeded_at, Effects::none()).await
    }

    /// Moves a processing refund to `target`; the order's totals follow (decided by the order).
    pub(super) async fn settle_refund(
        &self,
        mut refund: Refund,
        target: RefundStatus,
        at: Option<time::OffsetDateTime>,
        extra: Effects,
    ) -> PaymentResult<Refund> {
        let now = crate::clock::micros(self.clock.now());
        refund.status = refund.status.settle(target).map_err(|(from, to)| {
            PaymentError::Internal(format!("refund {} cannot go from {from:?} to {to:?}", refund.refund_no))
        })?;
        refund.updated_at = now;
        if target == RefundStatus::Succeeded {
            refund.succeeded_at = Some(crate::clock::micros(at.unwrap_or(now)));
        }
        let event =
            if target == RefundStatus::Succeeded { EventType::RefundSucceeded } else { EventType::RefundFailed };
        for _ in 0..SETTLE_ATTEMPTS {
            let order = self.orders.get_unscoped(&refund.order_no).await?.ok_or(PaymentError::OrderNotFound)?;
            let mut next = order
                .settle_refund(refund.amount, target == RefundStatus::Succeeded)
                .map_err(|e| PaymentError::Internal(format!("refund {}: {e}", refund.refund_no)))?;
            next.updated_at = now;
            let mut effects = extra.clone();
            effects.notify(events::refund_event(event, &refund, &next, now));
            match self.refunds.settle(&refund, &next, &effects).await {
                Ok(()) => return Ok(refund),
                // Settled concurrently (callback vs poll): the stored state wins.
                Err(RepoError::Conflict(c)) if c == "refund_state" => {
                    return self.refunds.get_unscoped(&refund.refund_no).await?.ok_or(PaymentError::RefundNotFound);
                }
                Err(RepoError::Conflict(c)) if c == "version" => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::OrderState(super::service::CONCURRENT))
    }

    /// The refund follow-up job (key: the refund number).
    pub async fn run_refund_followup(&self, job: &Job) -> JobOutcome {
        let refund = match self.refunds.get_unscoped(&job.key).await {
            Ok(Some(r)) => r,
            Ok(None) => return JobOutcome::Fatal(format!("refund {} does not exist", job.key)),
            Err(e) => return JobOutcome::Failed(e.to_string()),
        };
        if refund.status != RefundStatus::Processing {
            return JobOutcome::Done;
        }
        match self.follow_up_refund(refund, job.attempts).await {
            Ok(r) if r.status != RefundStatus::Processing => JobOutcome::Done,
            Ok(_) => JobOutcome::Again(self.clock.now() + self.requery_delay(job.attempts + 1)),
            Err(e) => JobOutcome::Failed(e.to_string()),
        }
    }

    async fn follow_up_refund(&self, refund: Refund, runs: i32) -> PaymentResult<Refund> {
        let order = self.orders.get_unscoped(&refund.order_no).await?.ok_or(PaymentError::OrderNotFound)?;
        let Some(ctx) = self.order_context(&order).await? else { return Ok(refund) };
        let channel =
            self.gateway.channel(ctx.account.channel).ok_or(PaymentError::Channel("channel not available".into()))?;
        let status = channel.refund_query(&ctx, &order.order_no, &refund.refund_no).await?;
        if status.state != RefundState::NotFound {
            return self.apply_refund_status(refund, &status).await;
        }
        // The channel never got the request (or lost it).
        let age = self.clock.now() - refund.created_at;
        if age < time::Duration::try_from(self.settings.refund_give_up_after).unwrap_or(time::Duration::HOUR) {
            tracing::warn!(refund_no = %refund.refund_no, runs, "the channel does not know the refund; re-submitting");
            return self.submit_refund(refund, &order).await;
        }
        let now = self.clock.now();
        let evidence = json!({"refund_no": refund.refund_no, "amount": refund.amount.0, "runs": runs,
            "channel_state": "not_found", "created_at": events::timestamp(refund.created_at)});
        let mut exception = PaymentException::new(
            &order.platform_id,
            &order.merchant_id,
            &order.path,
            ExceptionKind::RefundNotReceived,
            &order.order_no,
            evidence,
            Resolution::Closed,
            now,
        );
        exception.refund_no = Some(refund.refund_no.clone());
        let mut effects = Effects::none();
        effects.exception(exception);
        tracing::warn!(refund_no = %refund.refund_no, "the channel never took the refund; failing it");
        self.settle_refund(refund, RefundStatus::Failed, None, effects).await
    }

    /// The wait before the `run`-th look at an open order or refund: `requery_after`, doubling,
    /// capped at `requery_max_interval`.
    pub(super) fn requery_delay(&self, run: i32) -> time::Duration {
        let doublings = u32::try_from(run.saturating_sub(1)).unwrap_or(0).min(16);
        let wait: Duration =
            self.settings.requery_after.saturating_mul(1 << doublings).min(self.settings.requery_max_interval);
        time::Duration::try_from(wait).unwrap_or(time::Duration::MINUTE)
    }
}

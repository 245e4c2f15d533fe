//! The order follow-up job (one per order, written with it): re-query an unpaid order whose
//! callback has not come, poll a barcode payment waiting for the payer and reverse it when the
//! polling window ends, close the order at its expiry. It runs until the order is final.

use super::errors::PaymentResult;
use super::exception::{ExceptionKind, PaymentException, Resolution};
use super::order::{Order, OrderEvent, OrderStatus};
use super::service::PaymentService;
use super::way::PayWay;
use crate::channels::{TradeState, TradeStatus};
use crate::effects::Effects;
use crate::jobs::{Job, JobKind, JobOutcome, NewJob};
use serde_json::json;

/// How often a barcode payment waiting for the payer is polled (at most).
const BARCODE_POLL: time::Duration = time::Duration::seconds(5);

impl PaymentService {
    /// The follow-up job of a new order: first look after `requery_after` (or at expiry).
    pub(super) fn followup_job(&self, order: &Order) -> NewJob {
        let first = (order.created_at + self.requery_delay(1)).min(order.expire_at);
        NewJob::new(&order.platform_id, JobKind::OrderFollowup, &order.order_no, first)
    }

    pub async fn run_order_followup(&self, job: &Job) -> JobOutcome {
        let order = match self.orders.get_unscoped(&job.key).await {
            Ok(Some(o)) => o,
            Ok(None) => return JobOutcome::Fatal(format!("order {} does not exist", job.key)),
            Err(e) => return JobOutcome::Failed(e.to_string()),
        };
        match self.follow_up_order(order, job.attempts).await {
            Ok(None) => JobOutcome::Done,
            Ok(Some(at)) => JobOutcome::Again(at),
            Err(e) => JobOutcome::Failed(e.to_string()),
        }
    }

    /// One look at the order; `Some(time)` of the next look while it is still open.
    async fn follow_up_order(&self, order: Order, runs: i32) -> PaymentResult<Option<time::OffsetDateTime>> {
        if !matches!(order.status, OrderStatus::Created | OrderStatus::Paying) {
            return Ok(None);
        }
        let now = self.clock.now();
        let expired = now >= order.expire_at;
        // One query per look, its answer applied as it is.
        let order = match self.query_channel(&order).await? {
            Some(s) if s.state == TradeState::NotFound && expired => {
                return self.close_unknown(order).await.map(|_| None);
            }
            Some(s) if s.state != TradeState::NotFound => self.apply_trade_status(order, &s).await?,
            _ => order,
        };
        if !matches!(order.status, OrderStatus::Created | OrderStatus::Paying) {
            return Ok(None);
        }
        let window = time::Duration::try_from(self.settings.barcode_poll_window).unwrap_or(time::Duration::MINUTE);
        if order.way == PayWay::Barcode && order.status == OrderStatus::Paying {
            let window_ends = order.created_at + window;
            if now >= window_ends {
                let reversed = self.reverse(order).await?;
                let settled = reversed.status.is_final_unpaid() || reversed.status.is_paid();
                return Ok(if settled { None } else { Some(now + BARCODE_POLL) });
            }
            return Ok(Some((now + BARCODE_POLL).min(window_ends)));
        }
        if expired {
            let closed = self.close(order).await?;
            return Ok(if closed.status.is_paid() || closed.status.is_final_unpaid() { None } else { Some(now) });
        }
        Ok(Some((now + self.requery_delay(runs + 1)).min(order.expire_at)))
    }

    /// What the channel says of the trade (`None` when the order never reached a channel, or the
    /// query failed: the caller decides without it).
    async fn query_channel(&self, order: &Order) -> PaymentResult<Option<TradeStatus>> {
        let Some(ctx) = self.order_context(order).await? else { return Ok(None) };
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Ok(None) };
        match channel.query(&ctx, &order.order_no).await {
            Ok(status) => Ok(Some(status)),
            Err(e) => {
                tracing::info!(order_no = %order.order_no, error = %e, "follow-up query failed");
                Ok(None)
            }
        }
    }

    /// An expired order the channel has never seen (a crash after the insert, a lost create,
    /// an Alipay QR nobody scanned): closed locally, and recorded.
    async fn close_unknown(&self, order: Order) -> PaymentResult<Order> {
        let now = self.clock.now();
        let evidence = json!({"channel_state": "not_found", "status": order.status.as_str(),
            "expire_at": super::events::timestamp(order.expire_at)});
        let exception = PaymentException::new(
            &order.platform_id,
            &order.merchant_id,
            &order.path,
            ExceptionKind::UnknownAtChannel,
            &order.order_no,
            evidence,
            Resolution::Closed,
            now,
        );
        let mut effects = Effects::none();
        effects.exception(exception);
        self.transition_with(&order, OrderEvent::Close, |_| {}, effects).await
    }
}

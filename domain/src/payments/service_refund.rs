//! Refunds: reserve the amount first (decided by the order, saved with a version check, so no
//! interleaving of requests can over-refund), then ask the channel, then settle by its answer, a
//! notification, or the refund's follow-up job (refund_followup.rs).

use super::errors::{PaymentError, PaymentResult};
use super::input::merchant_number;
use super::order::Order;
use super::order_refunds::RefundRefused;
use super::refund::{Refund, RefundStatus, new_refund_no};
use super::service::PaymentService;
use crate::apps::open_auth::OpenCaller;
use crate::channels::{ChannelError, RefundRequest};
use crate::effects::Effects;
use crate::jobs::{JobKind, NewJob};
use crate::money::Money;
use crate::repo::RepoError;
use crate::validate::{self, FieldError};
use serde_json::json;

/// Concurrent refunds of one order re-read it and decide again; each retry means another
/// refund got through, so this bounds only pathological contention.
const RESERVE_ATTEMPTS: usize = 50;

#[derive(Clone, Debug)]
pub struct NewRefund {
    pub order_no: Option<String>,
    pub merchant_no: Option<String>,
    pub out_trade_no: Option<String>,
    pub out_refund_no: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
}

pub struct CreatedRefund {
    pub refund: Refund,
    pub new: bool,
}

impl PaymentService {
    pub async fn create_refund(&self, caller: &OpenCaller, req: NewRefund) -> PaymentResult<CreatedRefund> {
        merchant_number("out_refund_no", &req.out_refund_no, 6, 64)?;
        if req.amount < 1 {
            return Err(FieldError::new("amount", "at least 1 fen").into());
        }
        let reason = validate::optional_text("reason", req.reason.as_deref(), 80)?;
        if let Some(u) = &req.notify_url {
            validate::url("notify_url", u)?;
        }
        let order = match (&req.order_no, &req.merchant_no, &req.out_trade_no) {
            (Some(no), None, None) => self.get_order(caller, no).await?,
            (None, Some(m), Some(o)) => self.find_order(caller, m, o).await?,
            _ => return Err(FieldError::new("order_no", "give order_no, or merchant_no and out_trade_no").into()),
        };
        self.refund_order(order, &req.out_refund_no, Money(req.amount), reason, req.notify_url).await
    }

    /// Starts a refund of `order` (the Open API's, or one the platform makes to resolve a
    /// payment exception). The same `out_refund_no` with the same request returns the first
    /// refund; with another request it is a conflict.
    pub(super) async fn refund_order(
        &self,
        order: Order,
        out_refund_no: &str,
        amount: Money,
        reason: Option<String>,
        notify_url: Option<String>,
    ) -> PaymentResult<CreatedRefund> {
        let hash = self
            .signer
            .sha256_hex(json!([order.order_no, out_refund_no, amount.0, reason, notify_url]).to_string().as_bytes());
        if let Some(existing) = self.refunds.find_by_out_refund_no(&order.merchant_id, out_refund_no).await? {
            return same_refund(existing, &hash);
        }
        let now = crate::clock::micros(self.clock.now());
        let refund = Refund {
            refund_no: new_refund_no(now),
            platform_id: order.platform_id.clone(),
            merchant_id: order.merchant_id.clone(),
            path: order.path.clone(),
            order_no: order.order_no.clone(),
            out_refund_no: out_refund_no.to_owned(),
            amount,
            fee_refunded: Money(0),
            status: RefundStatus::Processing,
            reason,
            notify_url,
            channel_refund_no: None,
            request_hash: hash.clone(),
            created_at: now,
            succeeded_at: None,
            updated_at: now,
        };
        let merchant_id = order.merchant_id.clone();
        let (refund, order) = match self.reserve(refund, order).await {
            Err(PaymentError::Repo(RepoError::Conflict(c))) if c.contains("out_refund_no") => {
                let existing = self.refunds.find_by_out_refund_no(&merchant_id, out_refund_no).await?;
                let existing =
                    existing.ok_or_else(|| PaymentError::Internal("refund vanished after conflict".into()))?;
                return same_refund(existing, &hash);
            }
            other => other?,
        };
        let refund = self.submit_refund(refund, &order).await?;
        Ok(CreatedRefund { refund, new: true })
    }

    /// Reserves the refund's amount on the order and inserts the refund with its follow-up job,
    /// re-reading the order when another change got there first.
    async fn reserve(&self, mut refund: Refund, mut order: Order) -> PaymentResult<(Refund, Order)> {
        for _ in 0..RESERVE_ATTEMPTS {
            let reserved = order.reserve_refund(refund.amount).map_err(|why| match why {
                RefundRefused::ExceedsAvailable => PaymentError::RefundExceedsAvailable,
                RefundRefused::NotRefundable => PaymentError::OrderState(order.status.as_str()),
            })?;
            refund.fee_refunded = proportional_fee(&order, refund.amount);
            let mut effects = Effects::none();
            let first_look = refund.created_at + self.requery_delay(1);
            effects.job(NewJob::new(&refund.platform_id, JobKind::RefundFollowup, &refund.refund_no, first_look));
            match self.refunds.reserve(&refund, &reserved, &effects).await {
                Ok(()) => {
                    let mut saved = reserved;
                    saved.version += 1;
                    return Ok((refund, saved));
                }
                Err(RepoError::Conflict(c)) if c == "version" => {
                    order = self.orders.get_unscoped(&order.order_no).await?.ok_or(PaymentError::OrderNotFound)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::OrderState(super::service::CONCURRENT))
    }

    pub async fn get_refund(&self, caller: &OpenCaller, refund_no: &str) -> PaymentResult<Refund> {
        let refund = self.refunds.get(&caller.scope, refund_no).await?.ok_or(PaymentError::RefundNotFound)?;
        if refund.status == RefundStatus::Processing { self.sync_refund(refund).await } else { Ok(refund) }
    }

    /// Sends the refund to the order's channel and applies a final answer at once. Used again
    /// by the follow-up job for a refund the channel never received (same refund number, which
    /// the channel treats idempotently).
    pub(super) async fn submit_refund(&self, refund: Refund, order: &Order) -> PaymentResult<Refund> {
        let Some(ctx) = self.order_context(order).await? else {
            return self.settle_refund(refund, RefundStatus::Failed, None, Effects::none()).await;
        };
        let Some(channel) = self.gateway.channel(ctx.account.channel) else {
            return Err(PaymentError::Channel("channel not available".into()));
        };
        let call = RefundRequest {
            order_no: order.order_no.clone(),
            channel_trade_no: order.channel_trade_no.clone(),
            refund_no: refund.refund_no.clone(),
            order_amount: order.amount,
            amount: refund.amount,
            reason: refund.reason.clone(),
        };
        match channel.refund(&ctx, &call).await {
            Ok(status) => self.apply_refund_status(refund, &status).await,
            Err(ChannelError::Declined { code, message }) => {
                tracing::info!(refund_no = %refund.refund_no, %code, %message, "refund declined by the channel");
                self.settle_refund(refund, RefundStatus::Failed, None, Effects::none()).await
            }
            // Unknown: stays processing (the amount stays reserved) until the channel tells.
            Err(e) => {
                tracing::warn!(refund_no = %refund.refund_no, error = %e, "refund outcome unknown; following up");
                Ok(refund)
            }
        }
    }
}

/// The share of the order's fee that goes back with a refund, by cumulative proportion so a
/// full refund returns exactly the fee (DESIGN.md "Refunds use cumulative proportions").
fn proportional_fee(order: &Order, amount: Money) -> Money {
    if order.amount.0 == 0 {
        return Money(0);
    }
    let share = |refunded: i64| -> i64 {
        let num = i128::from(order.fee.0) * i128::from(refunded);
        let den = i128::from(order.amount.0);
        ((num * 2 + den) / (den * 2)) as i64
    };
    let before = order.refund_reserved.0;
    Money(share(before + amount.0) - share(before))
}

fn same_refund(existing: Refund, hash: &str) -> PaymentResult<CreatedRefund> {
    if existing.request_hash == hash {
        Ok(CreatedRefund { refund: existing, new: false })
    } else {
        Err(PaymentError::OutRefundNoConflict)
    }
}

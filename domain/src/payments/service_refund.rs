//! Refunds: reserve the amount first (a conditional update that can never over-refund, however
//! many requests race), then ask the channel, then settle by its answer, a notification, or the
//! polling job.

use super::errors::{PaymentError, PaymentResult};
use super::events;
use super::input::merchant_number;
use super::notification::EventType;
use super::order::Order;
use super::ports::ReserveRefused;
use super::refund::{Refund, RefundStatus, new_refund_no};
use super::service::PaymentService;
use crate::apps::open_auth::OpenCaller;
use crate::channels::{ChannelError, RefundRequest, RefundState, RefundStatus as ChannelRefundStatus};
use crate::money::Money;
use crate::repo::RepoError;
use crate::validate::{self, FieldError};
use serde_json::json;

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
        let hash = self.signer.sha256_hex(
            json!([order.order_no, req.out_refund_no, req.amount, reason, req.notify_url]).to_string().as_bytes(),
        );
        if let Some(existing) = self.refunds.find_by_out_refund_no(&order.merchant_id, &req.out_refund_no).await? {
            return same_refund(existing, &hash);
        }
        let now = crate::clock::micros(self.clock.now());
        let refund = Refund {
            refund_no: new_refund_no(now),
            platform_id: order.platform_id.clone(),
            merchant_id: order.merchant_id.clone(),
            path: order.path.clone(),
            order_no: order.order_no.clone(),
            out_refund_no: req.out_refund_no.clone(),
            amount: Money(req.amount),
            fee_refunded: proportional_fee(&order, Money(req.amount)),
            status: RefundStatus::Processing,
            reason,
            notify_url: req.notify_url.clone(),
            channel_refund_no: None,
            request_hash: hash.clone(),
            created_at: now,
            succeeded_at: None,
            updated_at: now,
        };
        match self.refunds.reserve(&refund).await {
            Ok(Ok(())) => {}
            Ok(Err(ReserveRefused::ExceedsAvailable)) => return Err(PaymentError::RefundExceedsAvailable),
            Ok(Err(ReserveRefused::NotRefundable)) => return Err(PaymentError::OrderState(order.status.as_str())),
            Err(RepoError::Conflict(c)) if c.contains("out_refund_no") => {
                let existing = self
                    .refunds
                    .find_by_out_refund_no(&order.merchant_id, &req.out_refund_no)
                    .await?
                    .ok_or_else(|| PaymentError::Internal("refund vanished after conflict".into()))?;
                return same_refund(existing, &hash);
            }
            Err(e) => return Err(e.into()),
        }
        let refund = self.submit_refund(refund, &order).await?;
        Ok(CreatedRefund { refund, new: true })
    }

    pub async fn get_refund(&self, caller: &OpenCaller, refund_no: &str) -> PaymentResult<Refund> {
        let refund = self.refunds.get(&caller.scope, refund_no).await?.ok_or(PaymentError::RefundNotFound)?;
        if refund.status == RefundStatus::Processing { self.sync_refund(refund).await } else { Ok(refund) }
    }

    /// Sends the refund to the order's channel and applies a final answer at once.
    async fn submit_refund(&self, refund: Refund, order: &Order) -> PaymentResult<Refund> {
        let Some(ctx) = self.order_context(order).await? else {
            return self.settle_refund(refund, order, RefundStatus::Failed, None).await;
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
            Ok(status) => self.apply_refund_status(refund, order, &status).await,
            Err(ChannelError::Declined { code, message }) => {
                tracing::info!(refund_no = %refund.refund_no, %code, %message, "refund declined by the channel");
                self.settle_refund(refund, order, RefundStatus::Failed, None).await
            }
            // Unknown: stays processing (the amount stays reserved) until the channel tells.
            Err(e) => {
                tracing::warn!(refund_no = %refund.refund_no, error = %e, "refund outcome unknown; polling");
                Ok(refund)
            }
        }
    }

    /// Asks the channel about a processing refund.
    pub async fn sync_refund(&self, refund: Refund) -> PaymentResult<Refund> {
        let Some(order) = self.orders.get_unscoped(&refund.order_no).await? else { return Ok(refund) };
        let Some(ctx) = self.order_context(&order).await? else { return Ok(refund) };
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Ok(refund) };
        match channel.refund_query(&ctx, &order.order_no, &refund.refund_no).await {
            Ok(status) => self.apply_refund_status(refund, &order, &status).await,
            Err(_) => Ok(refund),
        }
    }

    /// Applies a channel-reported refund state once.
    pub async fn apply_refund_status(
        &self,
        refund: Refund,
        order: &Order,
        status: &ChannelRefundStatus,
    ) -> PaymentResult<Refund> {
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
        self.settle_refund(refund, order, target, status.succeeded_at).await
    }

    async fn settle_refund(
        &self,
        mut refund: Refund,
        order: &Order,
        target: RefundStatus,
        at: Option<time::OffsetDateTime>,
    ) -> PaymentResult<Refund> {
        let now = crate::clock::micros(self.clock.now());
        refund.status = target;
        refund.updated_at = now;
        if target == RefundStatus::Succeeded {
            refund.succeeded_at = Some(crate::clock::micros(at.unwrap_or(now)));
        }
        let event =
            if target == RefundStatus::Succeeded { EventType::RefundSucceeded } else { EventType::RefundFailed };
        let outbox = events::refund_event(event, &refund, order, now);
        match self.refunds.settle(&refund, &outbox).await {
            Ok(()) => Ok(refund),
            // Settled concurrently (callback vs poll): the stored state wins.
            Err(RepoError::Conflict(c)) if c == "refund_state" => {
                self.refunds.get_unscoped(&refund.refund_no).await?.ok_or(PaymentError::RefundNotFound)
            }
            Err(e) => Err(e.into()),
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

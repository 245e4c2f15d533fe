//! Query, close, cancel, and applying what a channel reports to an order (shared by the API,
//! channel callbacks and the lifecycle jobs).

use super::errors::{PaymentError, PaymentResult};
use super::order::{Order, OrderEvent, OrderStatus};
use super::service::{CONCURRENT, PaymentService};
use super::way::PayWay;
use crate::apps::open_auth::OpenCaller;
use crate::channels::{ChannelError, ReverseOutcome, TradeState, TradeStatus};
use crate::effects::Effects;
use std::time::Duration;

impl PaymentService {
    /// Applies a channel-reported trade state to the order, once: a state the order is already
    /// in changes nothing; a paid amount different from the order's is refused (and logged).
    pub async fn apply_trade_status(&self, order: Order, status: &TradeStatus) -> PaymentResult<Order> {
        let order_no = order.order_no.clone();
        match self.apply_trade_status_once(order, status).await {
            // A notification and a synchronous answer (or a query) raced: re-read and apply to
            // the stored order, which may already be in the reported state.
            Err(PaymentError::OrderState(CONCURRENT)) => {
                let fresh = self.orders.get_unscoped(&order_no).await?.ok_or(PaymentError::OrderNotFound)?;
                self.apply_trade_status_once(fresh, status).await
            }
            other => other,
        }
    }

    async fn apply_trade_status_once(&self, order: Order, status: &TradeStatus) -> PaymentResult<Order> {
        if let Some(amount) = status.amount
            && status.state == TradeState::Paid
            && amount != order.amount
        {
            tracing::error!(order_no = %order.order_no, channel_amount = amount.0, order_amount = order.amount.0,
                "channel reports a paid amount that differs from the order; not applied");
            return Err(PaymentError::Channel("amount mismatch".into()));
        }
        let event = match (status.state, order.status) {
            (TradeState::Paid, s) if s.is_paid() => return Ok(order),
            (TradeState::Paid, s) if s.is_final_unpaid() => return self.late_payment(order, status).await,
            (TradeState::Paid, _) => OrderEvent::Pay,
            (TradeState::Paying, OrderStatus::Created) => OrderEvent::AwaitPayer,
            (TradeState::Closed, OrderStatus::Created | OrderStatus::Paying) => OrderEvent::Close,
            (TradeState::Revoked, OrderStatus::Created | OrderStatus::Paying) => OrderEvent::Cancel,
            (TradeState::Failed, OrderStatus::Created | OrderStatus::Paying) => OrderEvent::Fail,
            _ => return Ok(order),
        };
        let paid_at = crate::clock::micros(status.paid_at.unwrap_or_else(|| self.clock.now()));
        let trade_no = status.channel_trade_no.clone();
        self.transition(&order, event, |o| {
            if event == OrderEvent::Pay {
                o.paid_at = Some(paid_at);
            }
            if trade_no.is_some() {
                o.channel_trade_no = trade_no;
            }
        })
        .await
    }

    /// After a barcode call: paid and failed answers apply at once; "waiting for the payer"
    /// is polled inline for a few seconds, then left to the polling job.
    pub(super) async fn apply_barcode_status(&self, order: Order, status: TradeStatus) -> PaymentResult<Order> {
        let mut order = self.apply_trade_status(order, &status).await?;
        let mut waited = Duration::ZERO;
        let mut step = Duration::from_millis(500);
        while order.status == OrderStatus::Paying && waited < self.settings.barcode_inline_wait {
            self.timer.sleep(step).await;
            waited += step;
            step = (step * 2).min(Duration::from_secs(2));
            order = self.sync_with_channel(order).await?;
        }
        Ok(order)
    }

    /// Asks the channel about an unpaid order and applies the answer.
    pub async fn sync_with_channel(&self, order: Order) -> PaymentResult<Order> {
        if !matches!(order.status, OrderStatus::Created | OrderStatus::Paying) {
            return Ok(order);
        }
        let Some(ctx) = self.order_context(&order).await? else { return Ok(order) };
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Ok(order) };
        match channel.query(&ctx, &order.order_no).await {
            Ok(status) => self.apply_trade_status(order, &status).await,
            Err(e) => {
                tracing::info!(order_no = %order.order_no, error = %e, "query failed; will retry later");
                Ok(order)
            }
        }
    }

    /// `GET /open/v1/orders/{no}`: the order, refreshed from the channel while unpaid.
    pub async fn query_order(&self, caller: &OpenCaller, order_no: &str) -> PaymentResult<Order> {
        let order = self.get_order(caller, order_no).await?;
        self.sync_with_channel(order).await
    }

    /// Closes an unpaid order at the channel, then locally. A trade that turns out to be paid
    /// is applied as paid and the close is refused.
    pub async fn close_order(&self, caller: &OpenCaller, order_no: &str) -> PaymentResult<Order> {
        let order = self.get_order(caller, order_no).await?;
        self.close(order).await
    }

    pub(super) async fn close(&self, order: Order) -> PaymentResult<Order> {
        let order = self.close_at_channel(&order).await?;
        if order.status.is_paid() || order.status.is_final_unpaid() {
            return Ok(order);
        }
        self.transition(&order, OrderEvent::Close, |_| {}).await
    }

    /// Closes the trade at the channel. When that fails the channel's state decides: an order
    /// found paid (or already final) comes back in that state, anything else is an error.
    async fn close_at_channel(&self, order: &Order) -> PaymentResult<Order> {
        if !matches!(order.status, OrderStatus::Created | OrderStatus::Paying) {
            return Err(PaymentError::OrderState(order.status.as_str()));
        }
        if let Some(ctx) = self.order_context(order).await?
            && let Some(channel) = self.gateway.channel(ctx.account.channel)
            && let Err(e) = channel.close(&ctx, &order.order_no).await
        {
            // The channel's word decides: paid or final comes back as such; a trade it has
            // never seen (an Alipay QR nobody scanned) is closed here.
            let status = channel.query(&ctx, &order.order_no).await?;
            if status.state == TradeState::NotFound {
                return Ok(order.clone());
            }
            let synced = self.apply_trade_status(order.clone(), &status).await?;
            if synced.status.is_paid() || synced.status.is_final_unpaid() {
                return Ok(synced);
            }
            return Err(PaymentError::Channel(e.to_string()));
        }
        Ok(order.clone())
    }

    /// Reverses (撤销) an order: an unpaid one is closed at the channel, a paid barcode one is
    /// refunded by the channel's reverse.
    pub async fn cancel_order(&self, caller: &OpenCaller, order_no: &str) -> PaymentResult<Order> {
        let order = self.get_order(caller, order_no).await?;
        match order.status {
            OrderStatus::Created | OrderStatus::Paying => {}
            OrderStatus::Paid if order.way == PayWay::Barcode => {}
            other => return Err(PaymentError::OrderState(other.as_str())),
        }
        self.reverse(order).await
    }

    pub(super) async fn reverse(&self, order: Order) -> PaymentResult<Order> {
        // Channels reverse barcode trades only; any other unpaid order is closed at the channel.
        if order.way != PayWay::Barcode {
            let closed_at_channel = self.close_at_channel(&order).await?;
            return if closed_at_channel.status.is_paid() || closed_at_channel.status.is_final_unpaid() {
                Ok(closed_at_channel)
            } else {
                self.transition(&closed_at_channel, OrderEvent::Cancel, |_| {}).await
            };
        }
        let Some(ctx) = self.order_context(&order).await? else {
            return self.transition(&order, OrderEvent::Cancel, |_| {}).await;
        };
        let Some(channel) = self.gateway.channel(ctx.account.channel) else {
            return Err(PaymentError::Channel("channel not available".into()));
        };
        // A paid order is held first (its whole amount reserved, saved with a version check):
        // a refund in flight refuses the reverse, and no refund starts during it.
        let order = if order.status == OrderStatus::Paid {
            let held = order.hold_for_reverse().ok_or(PaymentError::OrderState("refunding"))?;
            self.save_order(held, &Effects::none()).await?
        } else {
            order
        };
        let release = |o: &Order| if o.status == OrderStatus::Paid { o.release_reverse_hold() } else { o.clone() };
        for _ in 0..3 {
            match channel.reverse(&ctx, &order.order_no).await {
                Ok(ReverseOutcome::Reversed) => {
                    // Nothing stays reserved on a cancelled order.
                    return self
                        .transition(&order, OrderEvent::Cancel, |o| o.refund_reserved = o.refunded_amount)
                        .await;
                }
                Ok(ReverseOutcome::Retry) => self.timer.sleep(Duration::from_millis(500)).await,
                // Channels without reverse: an unpaid order is closed instead.
                Err(ChannelError::Unsupported) if !order.status.is_paid() => return self.close(order).await,
                Err(e) => {
                    if order.status == OrderStatus::Paid {
                        self.save_order(release(&order), &Effects::none()).await?;
                    }
                    return Err(PaymentError::Channel(e.to_string()));
                }
            }
        }
        if order.status == OrderStatus::Paid {
            self.save_order(release(&order), &Effects::none()).await?;
        }
        Err(PaymentError::Channel("the channel kept asking to retry the reverse".into()))
    }
}

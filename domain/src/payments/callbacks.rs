//! Channel callbacks (回调): verify, check against the local order, apply once, acknowledge in the
//! channel's format. Nothing a channel says is trusted until its signature verified and its
//! out_trade_no, sub-merchant and amount match what we recorded.

use super::service::PaymentService;
use crate::channels::{Ack, ChannelCode, ChannelNotification, InboundRequest};

impl PaymentService {
    /// Handles one notification sent to `/callbacks/{channel}/{account_id}`; the answer is what
    /// the channel expects (a rejection makes it retry later).
    pub async fn handle_callback(
        &self,
        channel: ChannelCode,
        account_id: &str,
        req: &InboundRequest<'_>,
    ) -> Option<Ack> {
        let adapter = self.gateway.channel(channel)?;
        let accepted = match self.callback(channel, account_id, req).await {
            Ok(()) => true,
            Err(reason) => {
                tracing::warn!(channel = channel.as_str(), account_id, %reason, "channel notification rejected");
                false
            }
        };
        Some(adapter.ack(accepted))
    }

    async fn callback(&self, channel: ChannelCode, account_id: &str, req: &InboundRequest<'_>) -> Result<(), String> {
        let adapter = self.gateway.channel(channel).ok_or("channel not enabled")?;
        let account = self
            .channels
            .get_account_unscoped(account_id)
            .await
            .map_err(|e| e.to_string())?
            .filter(|a| a.channel == channel)
            .ok_or("unknown channel account")?;
        let ctx = self.gateway.context(&account, None).map_err(|e| e.to_string())?;
        let notification = adapter.parse_notification(&ctx, req).await.map_err(|e| e.to_string())?;
        match notification {
            ChannelNotification::Payment { order_no, sub_merchant_id, status } => {
                let order =
                    self.orders.get_unscoped(&order_no).await.map_err(|e| e.to_string())?.ok_or("unknown order")?;
                if order.channel_account_id.as_deref() != Some(account_id) {
                    return Err(format!("order {order_no} does not belong to this channel account"));
                }
                if sub_merchant_id.is_some() && sub_merchant_id != order.sub_merchant_id {
                    return Err(format!("order {order_no}: sub-merchant does not match"));
                }
                if status.amount.is_some_and(|a| a != order.amount) {
                    return Err(format!("order {order_no}: amount does not match"));
                }
                self.apply_with_retry(order, &status).await
            }
            ChannelNotification::Refund { refund_no, order_no, sub_merchant_id, amount, status } => {
                let refund =
                    self.refunds.get_unscoped(&refund_no).await.map_err(|e| e.to_string())?.ok_or("unknown refund")?;
                let order =
                    self.orders.get_unscoped(&order_no).await.map_err(|e| e.to_string())?.ok_or("unknown order")?;
                let belongs =
                    refund.order_no == order.order_no && order.channel_account_id.as_deref() == Some(account_id);
                if !belongs || (sub_merchant_id.is_some() && sub_merchant_id != order.sub_merchant_id) {
                    return Err(format!("refund {refund_no} does not match the order"));
                }
                if amount.is_some_and(|a| a != refund.amount) {
                    return Err(format!("refund {refund_no}: amount does not match"));
                }
                self.apply_refund_status(refund, &status).await.map(|_| ()).map_err(|e| e.to_string())
            }
            ChannelNotification::Other { kind } => {
                tracing::info!(channel = channel.as_str(), %kind, "notification acknowledged, not a payment event");
                Ok(())
            }
        }
    }

    /// A notification and a query (or two deliveries) may race; the loser re-reads and finds
    /// the state already applied.
    async fn apply_with_retry(
        &self,
        order: super::order::Order,
        status: &crate::channels::TradeStatus,
    ) -> Result<(), String> {
        let order_no = order.order_no.clone();
        match self.apply_trade_status(order, status).await {
            Ok(_) => Ok(()),
            Err(first) => {
                let fresh =
                    self.orders.get_unscoped(&order_no).await.map_err(|e| e.to_string())?.ok_or("order vanished")?;
                self.apply_trade_status(fresh, status).await.map(|_| ()).map_err(|e| format!("{first}; {e}"))
            }
        }
    }
}

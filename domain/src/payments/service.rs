//! The payment use cases: the parts every flow shares (dependencies, loading, saving with
//! events). Creation, order operations, refunds and channel callbacks live in sibling files.

use super::errors::{PaymentError, PaymentResult};
use super::events;
use super::gateway::ChannelGateway;
use super::notification::EventType;
use super::order::{Order, OrderEvent};
use super::ports::{ChannelRepo, ExceptionRepo, OrderRepo, RefundRepo};
use crate::apps::open_auth::OpenCaller;
use crate::cache::Cache;
use crate::channels::{ChannelBinding, ChannelContext};
use crate::clock::{Clock, Timer};
use crate::crypto::Signer;
use crate::effects::Effects;
use crate::repo::RepoError;
use crate::tenancy::Merchant;
use crate::tenancy::ports::{NodeDirectory, TenancyRepo};
use std::sync::Arc;
use std::time::Duration;

/// The state reported when an order changed between reading and writing it.
pub const CONCURRENT: &str = "changed concurrently";

/// Knobs of the payment flows.
#[derive(Clone, Debug)]
pub struct PaymentSettings {
    /// How long a barcode order waits inline for the payer before answering `paying`.
    pub barcode_inline_wait: Duration,
    /// How long the server keeps polling a `paying` barcode order before reversing it.
    pub barcode_poll_window: Duration,
    /// Whether the `instant` load-test channel may be used.
    pub instant_enabled: bool,
    pub breaker: super::breaker::BreakerSettings,
    /// An unpaid order (or processing refund) is first asked about this long after creation,
    /// unless a notification settled it before; then less and less often.
    pub requery_after: Duration,
    /// Re-queries never wait longer than this.
    pub requery_max_interval: Duration,
    /// A refund the channel still does not know this long after creation (re-submitted in
    /// between) is failed and its amount released.
    pub refund_give_up_after: Duration,
    /// What happens to money that arrives on a closed order.
    pub late_payment_policy: super::exception::LatePaymentPolicy,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            barcode_inline_wait: Duration::from_secs(4),
            barcode_poll_window: Duration::from_secs(60),
            instant_enabled: false,
            breaker: super::breaker::BreakerSettings::default(),
            requery_after: Duration::from_secs(30),
            requery_max_interval: Duration::from_secs(300),
            refund_give_up_after: Duration::from_secs(6 * 3600),
            late_payment_policy: super::exception::LatePaymentPolicy::Refund,
        }
    }
}

pub struct PaymentService {
    pub orders: Arc<dyn OrderRepo>,
    pub refunds: Arc<dyn RefundRepo>,
    pub exceptions: Arc<dyn ExceptionRepo>,
    pub channels: Arc<dyn ChannelRepo>,
    pub tenancy: Arc<dyn TenancyRepo>,
    pub nodes: Arc<dyn NodeDirectory>,
    pub gateway: Arc<ChannelGateway>,
    pub signer: Arc<dyn Signer>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
    pub timer: Arc<dyn Timer>,
    /// Risk control (风控): block lists and limits, checked before an order is written.
    pub risk: Arc<super::risk::RiskService>,
    /// Signs the links of `way=CASHIER` orders.
    pub cashier_links: Arc<crate::cashier::links::CashierLinks>,
    pub settings: PaymentSettings,
}

impl PaymentService {
    /// The merchant an Open API caller names, if the app may act for it.
    pub(super) async fn merchant_for(&self, caller: &OpenCaller, merchant_no: &str) -> PaymentResult<Merchant> {
        let merchant =
            self.tenancy.get_merchant_by_no(&caller.scope, merchant_no).await?.ok_or(PaymentError::MerchantNotFound)?;
        // The signature check has just checked the app owner's path: a merchant app acting for
        // itself needs no second look (two queries saved on every order).
        if merchant.path != caller.app.path && self.nodes.path_disabled(&merchant.path).await? {
            return Err(PaymentError::MerchantDisabled);
        }
        Ok(merchant)
    }

    /// An order visible to the caller.
    pub async fn get_order(&self, caller: &OpenCaller, order_no: &str) -> PaymentResult<Order> {
        self.orders.get(&caller.scope, order_no).await?.ok_or(PaymentError::OrderNotFound)
    }

    /// An order by the merchant's own number.
    pub async fn find_order(&self, caller: &OpenCaller, merchant_no: &str, out_trade_no: &str) -> PaymentResult<Order> {
        let merchant =
            self.tenancy.get_merchant_by_no(&caller.scope, merchant_no).await?.ok_or(PaymentError::OrderNotFound)?;
        self.orders.find_by_out_trade_no(&merchant.id, out_trade_no).await?.ok_or(PaymentError::OrderNotFound)
    }

    /// The channel context of the binding an order went to.
    pub(super) async fn order_context(&self, order: &Order) -> PaymentResult<Option<ChannelContext>> {
        let (Some(account_id), Some(binding_id)) = (&order.channel_account_id, &order.binding_id) else {
            return Ok(None);
        };
        let account = self
            .channels
            .get_account(&order.platform_id, account_id)
            .await?
            .ok_or_else(|| PaymentError::Internal(format!("channel account {account_id} missing")))?;
        let binding: Option<ChannelBinding> =
            self.channels.bindings_of(&order.merchant_id).await?.into_iter().find(|b| &b.id == binding_id);
        Ok(Some(self.gateway.context(&account, binding.as_ref())?))
    }

    /// Applies `event` to the order and saves it with the notification it causes. Returns the
    /// saved order; a transition the order cannot take is reported, never forced.
    pub(super) async fn transition(
        &self,
        order: &Order,
        event: OrderEvent,
        mutate: impl FnOnce(&mut Order),
    ) -> PaymentResult<Order> {
        self.transition_with(order, event, mutate, Effects::none()).await
    }

    /// `transition`, with more effects written alongside (exceptions, jobs).
    pub(super) async fn transition_with(
        &self,
        order: &Order,
        event: OrderEvent,
        mutate: impl FnOnce(&mut Order),
        mut effects: Effects,
    ) -> PaymentResult<Order> {
        let next = order.status.apply(event).map_err(|_| PaymentError::OrderState(order.status.as_str()))?;
        let now = self.clock.now();
        let mut updated = order.clone();
        updated.status = next;
        updated.updated_at = now;
        mutate(&mut updated);
        let event_type = match event {
            OrderEvent::Pay => Some(EventType::OrderPaid),
            OrderEvent::Close => Some(EventType::OrderClosed),
            OrderEvent::Cancel => Some(EventType::OrderCancelled),
            _ => None,
        };
        if let Some(t) = event_type {
            effects.notify(events::order_event(t, &updated, now));
        }
        if event == OrderEvent::LatePay
            && let Some(exception) = effects.exceptions.first()
        {
            let notification = events::exception_event(&updated, exception, now);
            effects.notify(notification);
        }
        let updated = self.save_order(updated, &effects).await?;
        if matches!(event, OrderEvent::Close | OrderEvent::Cancel | OrderEvent::Fail) {
            self.release_quota(&updated).await;
            self.risk.release_for(&updated).await;
        }
        Ok(updated)
    }

    /// Saves what the domain decided with its effects; returns the order at its new version.
    pub(super) async fn save_order(&self, mut order: Order, effects: &Effects) -> PaymentResult<Order> {
        self.orders.save(&order, effects).await.map_err(|e| match e {
            RepoError::Conflict(c) if c == "version" => PaymentError::OrderState(CONCURRENT),
            other => other.into(),
        })?;
        order.version += 1;
        Ok(order)
    }

    /// Gives back the order's quota reservation (once; later calls do nothing).
    async fn release_quota(&self, order: &Order) {
        let (Some(account_id), Some(binding_id)) = (&order.channel_account_id, &order.binding_id) else { return };
        let Ok(Some(account)) = self.channels.get_account(&order.platform_id, account_id).await else { return };
        let Ok(bindings) = self.channels.bindings_of(&order.merchant_id).await else { return };
        if let Some(binding) = bindings.iter().find(|b| &b.id == binding_id) {
            super::quota::release(self.cache.as_ref(), &account, binding, order).await;
        }
    }
}

//! Unified order (统一下单): validate, apply risk rules, make the order idempotent, write it
//! before any channel call (a crash never leaves money without a record), then route through
//! the merchant's bindings, failing over only where the channel certainly created nothing.

use super::errors::{PaymentError, PaymentResult};
use super::input::NewOrder;
use super::order::{Order, OrderEvent, OrderStatus, new_order_no};
use super::routing;
use super::service::PaymentService;
use super::way::{PayWay, Wallet};
use super::{breaker, quota};
use crate::apps::open_auth::OpenCaller;
use crate::channels::{
    BarcodePay, ChannelBinding, ChannelCode, ChannelContext, ChannelError, CreateOrder, Created, TradeState,
    TradeStatus,
};
use crate::effects::Effects;
use crate::ids::StoreId;
use crate::money::Money;
use crate::tenancy::{BusinessScene, Merchant};

/// The outcome of a create call: the order and whether this call created it (201) or found the
/// same request made before (200).
pub struct CreatedOrder {
    pub order: Order,
    pub new: bool,
}

impl PaymentService {
    pub async fn create_order(&self, caller: &OpenCaller, req: NewOrder) -> PaymentResult<CreatedOrder> {
        let barcode_wallet = req.validate()?;
        let merchant = self.merchant_for(caller, &req.merchant_no).await?;
        let request_hash = self.signer.sha256_hex(req.fingerprint_source().as_bytes());
        // A new order is the common case, so its insert is tried first (the unique
        // out_trade_no decides); only a refusal before the insert looks for an earlier order:
        // a repeated request gets its order back even if, say, the risk limits are full now.
        let (order, candidates) =
            match self.write_new_order(caller, &merchant, &req, barcode_wallet, &request_hash).await {
                Ok(written) => written,
                Err(e) => {
                    return match self.orders.find_by_out_trade_no(&merchant.id, &req.out_trade_no).await? {
                        Some(existing) => same_request(existing, &request_hash),
                        None => Err(e),
                    };
                }
            };
        if order.way == PayWay::Cashier {
            return Ok(CreatedOrder { order, new: true });
        }
        let order = self.route(order, &req, barcode_wallet, candidates).await?;
        Ok(CreatedOrder { order, new: true })
    }

    /// Checks the request (way, store, scene, channels, risk) and inserts the order; returns it
    /// with the routing candidates.
    async fn write_new_order(
        &self,
        caller: &OpenCaller,
        merchant: &Merchant,
        req: &NewOrder,
        barcode_wallet: Option<Wallet>,
        request_hash: &str,
    ) -> PaymentResult<(Order, Vec<ChannelBinding>)> {
        let app = &caller.app;
        if !app.allowed_ways.is_empty() && !app.allowed_ways.iter().any(|w| w == req.way.as_str()) {
            return Err(PaymentError::WayNotEnabled(req.way.as_str().into()));
        }
        let store_id = self.store_of(merchant, req.store_id.as_deref()).await?;
        check_scene(merchant, req.way)?;
        let bindings = self.channels.bindings_of(&merchant.id).await?;
        // CASHIER: no channel yet; the payer's wallet picks one on the cashier page.
        let cashier = req.way == PayWay::Cashier;
        if cashier && !super::service_cashier::takes_cashier(&bindings) {
            return Err(PaymentError::NoChannelAvailable);
        }
        let candidates =
            routing::candidates(bindings, req.way, barcode_wallet, || uuid::Uuid::new_v4().as_u128() as u64)
                .into_iter()
                .filter(|b| b.channel != ChannelCode::Instant || self.settings.instant_enabled)
                .collect::<Vec<_>>();
        if candidates.is_empty() && !cashier {
            return Err(PaymentError::NoChannelAvailable);
        }

        let now = crate::clock::micros(self.clock.now());
        let mut order = Order {
            order_no: new_order_no(now),
            platform_id: merchant.platform_id.clone(),
            merchant_id: merchant.id.clone(),
            merchant_no: merchant.merchant_no.clone(),
            path: merchant.path.clone(),
            store_id,
            app_id: app.id.clone(),
            out_trade_no: req.out_trade_no.clone(),
            amount: req.money(),
            currency: req.currency.clone(),
            way: req.way,
            channel: None,
            channel_account_id: None,
            binding_id: None,
            sub_merchant_id: None,
            status: OrderStatus::Created,
            refunded_amount: Money(0),
            refund_reserved: Money(0),
            fee: Money(0),
            pay_data: None,
            channel_trade_no: None,
            subject: req.subject.trim().to_owned(),
            attach: req.attach.clone(),
            notify_url: req.notify_url.clone().or_else(|| app.notify_url.clone()),
            return_url: req.return_url.clone(),
            client_ip: req.client_ip.clone(),
            payer_id: req.payer_id(),
            request_hash: request_hash.to_owned(),
            expire_at: now + time::Duration::seconds(req.expire_secs()),
            paid_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if cashier {
            order.pay_data = Some(serde_json::json!({
                "cashier_url": self.cashier_links.order_url(&order.order_no, order.expire_at)
            }));
        }
        // Where the order will most likely go is written with it: the routing below then saves
        // again only when it moves on to another candidate (one write less per order).
        if let Some(first) = candidates.first().filter(|_| !cashier) {
            record_binding(&mut order, first);
        }
        // Risk control (风控): block lists, then limits reserved for this order until it ends.
        let (payer, ip) = (order.payer_id.as_deref(), order.client_ip.as_deref());
        let reservation = self.risk.check(merchant, order.store_id.as_ref(), order.amount, payer, ip, now).await?;
        self.risk.hold(reservation, &order.order_no).await?;
        // The follow-up job is written with the order: whatever happens next (a crash before
        // the channel call, a lost answer), the order is re-queried and closed at expiry.
        let mut effects = Effects::none();
        effects.job(self.followup_job(&order));
        if let Err(e) = self.orders.insert(&order, &effects).await {
            self.risk.release_for(&order).await;
            return Err(e.into());
        }
        Ok((order, candidates))
    }

    /// Walks the candidates until one channel takes the order.
    async fn route(
        &self,
        mut order: Order,
        req: &NewOrder,
        barcode_wallet: Option<Wallet>,
        candidates: Vec<ChannelBinding>,
    ) -> PaymentResult<Order> {
        let mut last_error = None;
        let mut over_quota = false;
        let mut called_any = false;
        for binding in candidates {
            let Some(account) = self.channels.get_account(&order.platform_id, &binding.channel_account_id).await?
            else {
                continue;
            };
            if self.gateway.channel(binding.channel).is_none() {
                continue;
            }
            if breaker::is_open(self.cache.as_ref(), &account.id).await {
                tracing::info!(order_no = %order.order_no, account = %account.id, "breaker open; skipping");
                continue;
            }
            // Caps hold across replicas: the cache counts atomically.
            if !quota::reserve(self.cache.as_ref(), &account, &binding, &order)
                .await
                .map_err(|e| PaymentError::Internal(format!("quota counters unavailable: {e}")))?
            {
                over_quota = true;
                continue;
            }
            let ctx = self.gateway.context(&account, Some(&binding))?;
            // Record where the order goes before calling, so a crash mid-call can be resolved
            // (the first candidate was recorded when the order was inserted).
            if order.binding_id.as_deref() != Some(binding.id.as_str()) {
                record_binding(&mut order, &binding);
                order = self.save_order(order, &Effects::none()).await?;
            }
            called_any = true;

            let outcome = if order.way == PayWay::Barcode {
                self.barcode_call(&ctx, &order, req, barcode_wallet).await.map(Err)
            } else {
                self.create_call(&ctx, &order, req).await.map(Ok)
            };
            let now = self.clock.now();
            let failed = outcome.as_ref().err().is_some_and(is_channel_fault);
            breaker::record(self.cache.as_ref(), &self.settings.breaker, &account.id, failed, now).await;
            match outcome {
                Ok(Ok(created)) => {
                    order.pay_data = Some(created.pay_data);
                    order.channel_trade_no = created.channel_trade_no;
                    return self.save_order(order, &Effects::none()).await;
                }
                Ok(Err(status)) => return self.apply_barcode_status(order, status).await,
                // A declined payment code (balance, limits, expired code) is the payer's answer:
                // the order fails; another channel would not change it.
                Err(ChannelError::Declined { code, message }) if order.way == PayWay::Barcode => {
                    tracing::info!(order_no = %order.order_no, %code, %message, "barcode payment declined");
                    return self.transition(&order, OrderEvent::Fail, |_| {}).await;
                }
                Err(e @ (ChannelError::Declined { .. } | ChannelError::Unreachable(_)))
                    if !e.money_may_have_moved() =>
                {
                    tracing::warn!(order_no = %order.order_no, binding = %binding.id, error = %e, "channel refused; failing over");
                    quota::release(self.cache.as_ref(), &account, &binding, &order).await;
                    last_error = Some(e);
                }
                Err(e @ (ChannelError::Unsupported | ChannelError::Config(_))) => {
                    quota::release(self.cache.as_ref(), &account, &binding, &order).await;
                    last_error = Some(e);
                }
                Err(e) => {
                    // Outcome unknown: the order stays with this channel (and its quota) until
                    // the jobs resolve it by query.
                    return Err(PaymentError::Channel(e.to_string()));
                }
            }
        }
        // No channel was called: the order keeps no channel (the insert recorded a guess).
        let failed = self
            .transition(&order, OrderEvent::Fail, |o| {
                if !called_any {
                    o.channel = None;
                    o.channel_account_id = None;
                    o.binding_id = None;
                    o.sub_merchant_id = None;
                }
            })
            .await?;
        if last_error.is_none() && over_quota {
            return Err(PaymentError::QuotaExceeded);
        }
        let reason = last_error.map(|e| e.to_string()).unwrap_or_else(|| "no usable channel".into());
        tracing::warn!(order_no = %failed.order_no, %reason, "no channel took the order");
        Err(PaymentError::Channel(reason))
    }

    /// Creates a merchant-presented order. On an unknown outcome the trade is looked up: if the
    /// channel has it, creating again with the same parameters returns the same payable data
    /// (channels are idempotent per out_trade_no) — never a second trade.
    async fn create_call(&self, ctx: &ChannelContext, order: &Order, req: &NewOrder) -> Result<Created, ChannelError> {
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Err(ChannelError::Unsupported) };
        let call = CreateOrder {
            order_no: order.order_no.clone(),
            way: order.way,
            amount: order.amount,
            subject: order.subject.clone(),
            payer_id: req.payer_id(),
            client_ip: order.client_ip.clone(),
            expire_at: order.expire_at,
            return_url: order.return_url.clone(),
        };
        match channel.create(ctx, &call).await {
            Err(ChannelError::Unknown(first)) => match channel.query(ctx, &order.order_no).await {
                Ok(s) if s.state == TradeState::NotFound => Err(ChannelError::Declined {
                    code: "NOT_CREATED".into(),
                    message: format!("channel has no trade after: {first}"),
                }),
                Ok(_) => channel.create(ctx, &call).await,
                Err(_) => Err(ChannelError::Unknown(first)),
            },
            other => other,
        }
    }

    async fn barcode_call(
        &self,
        ctx: &ChannelContext,
        order: &Order,
        req: &NewOrder,
        _wallet: Option<Wallet>,
    ) -> Result<TradeStatus, ChannelError> {
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Err(ChannelError::Unsupported) };
        let auth_code = req.auth_code.clone().ok_or_else(|| ChannelError::Config("auth code missing".into()))?;
        let call = BarcodePay {
            order_no: order.order_no.clone(),
            amount: order.amount,
            subject: order.subject.clone(),
            auth_code,
            store_id: order.store_id.as_ref().map(|s| s.to_string()),
            client_ip: order.client_ip.clone(),
        };
        match channel.barcode_pay(ctx, &call).await {
            // Money may have moved: the trade's state decides, never a blind retry elsewhere.
            Err(ChannelError::Unknown(_)) => match channel.query(ctx, &order.order_no).await {
                Ok(s) if s.state == TradeState::NotFound => Ok(TradeStatus::of(TradeState::Paying)),
                Ok(s) => Ok(s),
                Err(_) => Ok(TradeStatus::of(TradeState::Paying)),
            },
            other => other,
        }
    }

    async fn store_of(&self, merchant: &Merchant, store_id: Option<&str>) -> PaymentResult<Option<StoreId>> {
        let Some(raw) = store_id else { return Ok(None) };
        let id = StoreId::parse(raw).ok_or(PaymentError::StoreNotFound)?;
        let scope = crate::scope::Scope::new(merchant.platform_id.clone(), merchant.path.clone());
        let store = self.tenancy.get_store(&scope, &id).await?.ok_or(PaymentError::StoreNotFound)?;
        if store.merchant_id != merchant.id {
            return Err(PaymentError::StoreNotFound);
        }
        Ok(Some(id))
    }
}

/// Where an order goes: the binding, its account and the sub-merchant there.
fn record_binding(order: &mut Order, binding: &ChannelBinding) {
    order.channel = Some(binding.channel);
    order.channel_account_id = Some(binding.channel_account_id.clone());
    order.binding_id = Some(binding.id.clone());
    order.sub_merchant_id = Some(binding.sub_merchant_id.clone());
}

/// Failures that say the channel is sick (not that it refused this order for a reason).
fn is_channel_fault(e: &ChannelError) -> bool {
    match e {
        ChannelError::Unreachable(_) | ChannelError::Unknown(_) => true,
        ChannelError::Declined { code, .. } => matches!(code.as_str(), "SYSTEM_ERROR" | "BANKERROR" | "NOT_CREATED"),
        _ => false,
    }
}

/// A repeated request: the same body gets the same order; a different one is a conflict.
fn same_request(existing: Order, request_hash: &str) -> PaymentResult<CreatedOrder> {
    if existing.request_hash == request_hash {
        Ok(CreatedOrder { order: existing, new: false })
    } else {
        Err(PaymentError::OutTradeNoConflict)
    }
}

/// An offline-only merchant may not take online ways (虚假包装), nor an online-only one barcode.
fn check_scene(merchant: &Merchant, way: PayWay) -> PaymentResult<()> {
    match (merchant.business_scene, way) {
        (BusinessScene::Offline, w) if w.is_online() => {
            Err(PaymentError::RiskRejected(format!("{} is an online way; the merchant is offline-only", w.as_str())))
        }
        (BusinessScene::Online, PayWay::Barcode) => {
            Err(PaymentError::RiskRejected("BARCODE needs an offline scene; the merchant is online-only".into()))
        }
        _ => Ok(()),
    }
}

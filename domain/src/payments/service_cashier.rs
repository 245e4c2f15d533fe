//! `way=CASHIER` orders: created with no channel and a signed cashier link as `pay_data`; when
//! the payer opens the link in a wallet, the order is routed through that wallet's JSAPI way.
//!
//! The routing walk is the unified order's (priority and weight, breaker, quota, fail over only
//! where the channel certainly created nothing), with one difference: when no channel takes the
//! order it is detached again and stays `created` (another wallet may still pay it), instead of
//! failing. The order keeps `way = CASHIER`; the channel sees the JSAPI way. A second visit by
//! the same payer gets the same payable data; another payer is refused while one holds it.

use super::errors::{PaymentError, PaymentResult};
use super::order::{Order, OrderStatus};
use super::routing;
use super::service::PaymentService;
use super::way::{PayWay, Wallet};
use super::{breaker, quota};
use crate::channels::{ChannelBinding, ChannelCode, ChannelContext, ChannelError, CreateOrder, Created, TradeState};
use crate::scope::Scope;
use serde_json::Value;

/// Whether the merchant can take a CASHIER order at all (some binding offers a JSAPI way).
pub(super) fn takes_cashier(bindings: &[ChannelBinding]) -> bool {
    bindings
        .iter()
        .any(|b| routing::binding_fits(b, PayWay::WxJsapi, None) || routing::binding_fits(b, PayWay::AliJsapi, None))
}

/// The way the cashier pays a wallet through.
fn jsapi_way(wallet: Wallet) -> PaymentResult<PayWay> {
    match wallet {
        Wallet::Wechat => Ok(PayWay::WxJsapi),
        Wallet::Alipay => Ok(PayWay::AliJsapi),
        Wallet::UnionPay => Err(PaymentError::WayNotEnabled("UnionPay in the cashier".into())),
    }
}

/// Whether `pay_data` already holds what the wallet needs (not just the cashier link).
fn has_invocation(pay_data: Option<&Value>) -> bool {
    pay_data.is_some_and(|p| p.get("jsapi").is_some() || p.get("trade_no").is_some())
}

/// The cashier link stays beside the wallet's data.
fn merged(link: Option<Value>, created: Value) -> Value {
    match (link, created) {
        (Some(Value::Object(mut base)), Value::Object(extra)) => {
            base.extend(extra);
            Value::Object(base)
        }
        (_, created) => created,
    }
}

impl PaymentService {
    /// Routes a `created` CASHIER order through the JSAPI way of `wallet` for `payer_id` and
    /// returns it with the wallet's payable data in `pay_data`.
    pub async fn pay_cashier_order(
        &self,
        order_no: &str,
        wallet: Wallet,
        payer_id: &str,
        client_ip: Option<String>,
    ) -> PaymentResult<Order> {
        let way = jsapi_way(wallet)?;
        let order = self
            .orders
            .get_unscoped(order_no)
            .await?
            .filter(|o| o.way == PayWay::Cashier)
            .ok_or(PaymentError::OrderNotFound)?;
        if order.status != OrderStatus::Created {
            return Err(PaymentError::OrderState(order.status.as_str()));
        }
        if self.clock.now() >= order.expire_at {
            return Err(PaymentError::OrderState("expired"));
        }
        if order.channel.is_some() {
            return self.resume_cashier(order, wallet, way, payer_id).await;
        }
        if self.nodes.path_disabled(&order.path).await? {
            return Err(PaymentError::MerchantDisabled);
        }
        // The payer is known only now: the block lists apply to them (the limits were reserved
        // when the order was created).
        let scope = Scope::platform(order.platform_id.clone());
        let merchant =
            self.tenancy.get_merchant(&scope, &order.merchant_id).await?.ok_or(PaymentError::MerchantNotFound)?;
        let ip = client_ip.as_deref().or(order.client_ip.as_deref());
        self.risk.check_blocked(&merchant, Some(payer_id), ip).await?;
        let bindings = self.channels.bindings_of(&order.merchant_id).await?;
        let candidates = routing::candidates(bindings, way, None, || uuid::Uuid::new_v4().as_u128() as u64)
            .into_iter()
            .filter(|b| b.channel != ChannelCode::Instant || self.settings.instant_enabled)
            .collect::<Vec<_>>();
        if candidates.is_empty() {
            return Err(PaymentError::NoChannelAvailable);
        }
        let mut order = order;
        order.payer_id = Some(payer_id.to_owned());
        if client_ip.is_some() {
            order.client_ip = client_ip;
        }
        self.attach(order, way, candidates).await
    }

    async fn attach(&self, mut order: Order, way: PayWay, candidates: Vec<ChannelBinding>) -> PaymentResult<Order> {
        let mut last_error = None;
        let mut over_quota = false;
        for binding in candidates {
            let Some(account) = self.channels.get_account(&order.platform_id, &binding.channel_account_id).await?
            else {
                continue;
            };
            if self.gateway.channel(binding.channel).is_none()
                || breaker::is_open(self.cache.as_ref(), &account.id).await
            {
                continue;
            }
            if !quota::reserve(self.cache.as_ref(), &account, &binding, &order)
                .await
                .map_err(|e| PaymentError::Internal(format!("quota counters unavailable: {e}")))?
            {
                over_quota = true;
                continue;
            }
            let ctx = self.gateway.context(&account, Some(&binding))?;
            // Recorded before the call (a crash mid-call is resolved by the jobs' query); the
            // version check makes a concurrent second payer lose here.
            order.channel = Some(binding.channel);
            order.channel_account_id = Some(account.id.clone());
            order.binding_id = Some(binding.id.clone());
            order.sub_merchant_id = Some(binding.sub_merchant_id.clone());
            if let Err(e) = self.save_cashier(&mut order).await {
                quota::release(self.cache.as_ref(), &account, &binding, &order).await;
                return Err(e);
            }
            let outcome = self.jsapi_create(&ctx, &order, way).await;
            let failed = matches!(outcome, Err(ChannelError::Unreachable(_) | ChannelError::Unknown(_)));
            breaker::record(self.cache.as_ref(), &self.settings.breaker, &account.id, failed, self.clock.now()).await;
            match outcome {
                Ok(created) => {
                    order.pay_data = Some(merged(order.pay_data.take(), created.pay_data));
                    order.channel_trade_no = created.channel_trade_no;
                    self.save_cashier(&mut order).await?;
                    return Ok(order);
                }
                Err(e @ (ChannelError::Declined { .. } | ChannelError::Unreachable(_)))
                    if !e.money_may_have_moved() =>
                {
                    tracing::warn!(order_no = %order.order_no, binding = %binding.id, error = %e, "cashier: channel refused; failing over");
                    quota::release(self.cache.as_ref(), &account, &binding, &order).await;
                    last_error = Some(e);
                }
                Err(e @ (ChannelError::Unsupported | ChannelError::Config(_))) => {
                    quota::release(self.cache.as_ref(), &account, &binding, &order).await;
                    last_error = Some(e);
                }
                // Outcome unknown: the order stays with this channel until a query resolves it.
                Err(e) => return Err(PaymentError::Channel(e.to_string())),
            }
        }
        // Nobody took it: detach, so the payer (or another wallet) can try again.
        order.channel = None;
        order.channel_account_id = None;
        order.binding_id = None;
        order.sub_merchant_id = None;
        order.payer_id = None;
        self.save_cashier(&mut order).await?;
        if last_error.is_none() && over_quota {
            return Err(PaymentError::QuotaExceeded);
        }
        Err(PaymentError::Channel(last_error.map(|e| e.to_string()).unwrap_or_else(|| "no usable channel".into())))
    }

    /// A second visit: the payer who holds the order gets its payable data again (asking the
    /// channel once more if the first call's answer was lost); anyone else is refused.
    async fn resume_cashier(
        &self,
        mut order: Order,
        wallet: Wallet,
        way: PayWay,
        payer_id: &str,
    ) -> PaymentResult<Order> {
        let same_wallet = order.channel.and_then(routing::channel_wallet) == Some(wallet);
        if !same_wallet || order.payer_id.as_deref() != Some(payer_id) {
            return Err(PaymentError::OrderState("being paid by another payer"));
        }
        if has_invocation(order.pay_data.as_ref()) {
            return Ok(order);
        }
        let ctx = self
            .order_context(&order)
            .await?
            .ok_or_else(|| PaymentError::Internal(format!("order {} lost its binding", order.order_no)))?;
        let created = self.jsapi_create(&ctx, &order, way).await?;
        order.pay_data = Some(merged(order.pay_data.take(), created.pay_data));
        order.channel_trade_no = created.channel_trade_no;
        self.save_cashier(&mut order).await?;
        Ok(order)
    }

    async fn save_cashier(&self, order: &mut Order) -> PaymentResult<()> {
        order.updated_at = self.clock.now();
        *order = self.save_order(order.clone(), &crate::effects::Effects::none()).await?;
        Ok(())
    }

    /// The JSAPI create call. On an unknown outcome the trade is looked up: the channel answers
    /// a repeated create with the same payable data, never a second trade.
    async fn jsapi_create(&self, ctx: &ChannelContext, order: &Order, way: PayWay) -> Result<Created, ChannelError> {
        let Some(channel) = self.gateway.channel(ctx.account.channel) else { return Err(ChannelError::Unsupported) };
        let call = CreateOrder {
            order_no: order.order_no.clone(),
            way,
            amount: order.amount,
            subject: order.subject.clone(),
            payer_id: order.payer_id.clone(),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_link_stays_beside_the_wallet_data() {
        let link = Some(json!({"cashier_url": "https://x/cashier/o/1"}));
        let out = merged(link, json!({"trade_no": "2026"}));
        assert_eq!(out, json!({"cashier_url": "https://x/cashier/o/1", "trade_no": "2026"}));
        assert!(has_invocation(Some(&out)));
        assert!(!has_invocation(Some(&json!({"cashier_url": "u"}))));
        assert!(jsapi_way(Wallet::UnionPay).is_err());
    }
}

//! The payer's side of one-code pay, up to the amount form: open a store's code or a CASHIER
//! order's link, send the payer through the wallet's OAuth step, and come back with the payer's
//! id and a signed form token.

use super::errors::{CashierError, CashierResult};
use super::links::{CashierLinks, PURPOSE_OAUTH_STATE, PURPOSE_ORDER_LINK, PURPOSE_PAY_FORM};
use super::model::{
    PayerGrant, QrCode, QrCodeStatus, ShopView, Target, cashier_way, is_code, is_payer_id, wallet_code,
};
use super::ports::QrCodeRepo;
use crate::apps::ports::AppRepo;
use crate::cache::Cache;
use crate::channels::{ChannelCode, ChannelContext, ChannelError, PaymentChannel};
use crate::clock::Clock;
use crate::ids::MerchantId;
use crate::payments::order::Order;
use crate::payments::routing;
use crate::payments::service::PaymentService;
use crate::payments::way::{PayWay, Wallet};
use crate::scope::Scope;
use crate::tenancy::ports::{NodeDirectory, TenancyRepo};
use crate::tenancy::{Merchant, NodeStatus, Store};
use std::sync::Arc;

/// Knobs of the cashier pages.
#[derive(Clone, Debug)]
pub struct CashierSettings {
    /// Pay attempts per client IP and minute.
    pub pay_attempts_per_minute: i64,
    /// How long the OAuth round trip may take.
    pub oauth_ttl_secs: i64,
    /// How long an amount form stays valid.
    pub form_ttl_secs: i64,
    /// How long the result page may be polled.
    pub result_ttl_secs: i64,
}

impl Default for CashierSettings {
    fn default() -> Self {
        Self { pay_attempts_per_minute: 30, oauth_ttl_secs: 600, form_ttl_secs: 900, result_ttl_secs: 3600 }
    }
}

pub struct CashierService {
    pub payments: Arc<PaymentService>,
    pub qr_codes: Arc<dyn QrCodeRepo>,
    pub apps: Arc<dyn AppRepo>,
    pub tenancy: Arc<dyn TenancyRepo>,
    pub nodes: Arc<dyn NodeDirectory>,
    pub links: Arc<CashierLinks>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
    pub settings: CashierSettings,
}

impl CashierService {
    /// A store's code, checked usable: issued, active, its store open and its merchant enabled.
    pub(super) async fn open_code(&self, code: &str) -> CashierResult<(QrCode, Store, Merchant)> {
        if !is_code(code) {
            return Err(CashierError::UnknownCode);
        }
        let qr = self.qr_codes.get_public(code).await?.ok_or(CashierError::UnknownCode)?;
        if qr.status != QrCodeStatus::Active {
            return Err(CashierError::CodeDisabled);
        }
        let scope = Scope::platform(qr.platform_id.clone());
        let store = self.tenancy.get_store(&scope, &qr.store_id).await?.ok_or(CashierError::StoreClosed)?;
        let merchant = self.tenancy.get_merchant(&scope, &qr.merchant_id).await?.ok_or(CashierError::StoreClosed)?;
        if store.status != NodeStatus::Active || self.nodes.path_disabled(&merchant.path).await? {
            return Err(CashierError::StoreClosed);
        }
        Ok((qr, store, merchant))
    }

    /// What the page shows about a store's code; a merchant that cannot take orders (no active
    /// app) is told before the payer goes through the wallet's OAuth step.
    pub async fn shop(&self, code: &str) -> CashierResult<ShopView> {
        let (qr, store, merchant) = self.open_code(code).await?;
        self.open_caller(&merchant).await?;
        Ok(ShopView { code: qr.code, store_name: store.name, merchant_name: merchant.short_name })
    }

    /// A CASHIER order behind a link we signed, not yet past its expiry.
    pub async fn open_order(&self, order_no: &str, exp: i64, sig: &str) -> CashierResult<Order> {
        if !self.links.verify(PURPOSE_ORDER_LINK, &[order_no], exp, sig, self.clock.now()) {
            return Err(CashierError::BadToken);
        }
        self.payments
            .orders
            .get_unscoped(order_no)
            .await?
            .filter(|o| o.way == PayWay::Cashier)
            .ok_or(CashierError::BadToken)
    }

    /// Where to send the payer's browser so the wallet says who pays; the wallet comes back to
    /// `return_url` (the cashier page itself) with a code and a signed `state`.
    pub async fn payer_auth_url(&self, target: &Target, wallet: Wallet, return_url: &str) -> CashierResult<String> {
        let merchant_id = self.merchant_of(target).await?;
        let (channel, ctx) = self.wallet_channel(&merchant_id, wallet).await?;
        let exp = self.clock.now().unix_timestamp() + self.settings.oauth_ttl_secs;
        let state = self.links.token(PURPOSE_OAUTH_STATE, &[&target.key(), wallet_code(wallet)], exp);
        channel.payer_auth_url(&ctx, return_url, &state).map_err(|e| match e {
            ChannelError::Unsupported => CashierError::WalletUnavailable(wallet),
            other => CashierError::PayerUnknown(other.to_string()),
        })
    }

    /// Back from the wallet: checks the `state`, exchanges the code for the payer's id and
    /// issues the token the amount form posts back.
    pub async fn payer_back(
        &self,
        target: &Target,
        wallet: Wallet,
        code: &str,
        state: &str,
    ) -> CashierResult<PayerGrant> {
        let wallet_name = wallet_code(wallet);
        if self.links.check_token(PURPOSE_OAUTH_STATE, &[&target.key(), wallet_name], state, self.clock.now()).is_none()
        {
            return Err(CashierError::BadToken);
        }
        let code_ok = (1..=256).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !code_ok {
            return Err(CashierError::PayerUnknown("malformed authorization code".into()));
        }
        let merchant_id = self.merchant_of(target).await?;
        let (channel, ctx) = self.wallet_channel(&merchant_id, wallet).await?;
        let payer_id = channel.payer_id(&ctx, code).await.map_err(|e| CashierError::PayerUnknown(e.to_string()))?;
        if !is_payer_id(&payer_id) {
            return Err(CashierError::PayerUnknown("the wallet answered an unusable payer id".into()));
        }
        let exp = self.clock.now().unix_timestamp() + self.settings.form_ttl_secs;
        let token = self.links.token(PURPOSE_PAY_FORM, &[&target.key(), wallet_name, &payer_id], exp);
        Ok(PayerGrant { wallet, payer_id, token })
    }

    async fn merchant_of(&self, target: &Target) -> CashierResult<MerchantId> {
        match target {
            Target::Code(code) => Ok(self.open_code(code).await?.2.id),
            Target::Order(order_no) => Ok(self
                .payments
                .orders
                .get_unscoped(order_no)
                .await?
                .filter(|o| o.way == PayWay::Cashier)
                .ok_or(CashierError::BadToken)?
                .merchant_id),
        }
    }

    /// The channel (and account context) that serves `wallet`'s cashier way for the merchant:
    /// its first routing candidate. The OAuth step runs against that account's app.
    async fn wallet_channel(
        &self,
        merchant_id: &MerchantId,
        wallet: Wallet,
    ) -> CashierResult<(Arc<dyn PaymentChannel>, ChannelContext)> {
        let way = cashier_way(wallet).ok_or(CashierError::WalletUnavailable(wallet))?;
        let p = &self.payments;
        let bindings = p.channels.bindings_of(merchant_id).await?;
        for binding in routing::candidates(bindings, way, None, || 0) {
            if binding.channel == ChannelCode::Instant {
                continue;
            }
            let Some(channel) = p.gateway.channel(binding.channel) else { continue };
            let Some(account) = p.channels.get_account(&binding.platform_id, &binding.channel_account_id).await? else {
                continue;
            };
            let ctx = p.gateway.context(&account, Some(&binding)).map_err(CashierError::Payment)?;
            return Ok((channel, ctx));
        }
        Err(CashierError::WalletUnavailable(wallet))
    }
}

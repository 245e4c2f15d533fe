//! The payer's side of one-code pay, from the amount form on: pay a store's code (a new JSAPI
//! order on behalf of the store's merchant, through the merchant's first active app) or a
//! CASHIER order (routed through the wallet's JSAPI way), then follow the result.

use super::errors::{CashierError, CashierResult};
use super::links::{PURPOSE_PAY_FORM, PURPOSE_RESULT};
use super::model::{Target, cashier_way, is_payer_id, wallet_code};
use super::service_visit::CashierService;
use crate::apps::AppFilter;
use crate::apps::AppStatus;
use crate::apps::open_auth::OpenCaller;
use crate::page::PageRequest;
use crate::payments::input::{MAX_AMOUNT, MIN_AMOUNT, NewOrder};
use crate::payments::order::Order;
use crate::payments::way::{PayWay, Wallet};
use crate::scope::Scope;
use crate::tenancy::Merchant;
use crate::validate::FieldError;
use std::time::Duration;

/// A posted amount form.
#[derive(Clone, Debug)]
pub struct PayForm {
    pub target: Target,
    pub wallet: Wallet,
    pub payer_id: String,
    /// The form token from `payer_back`.
    pub token: String,
    /// Fen; required for a store's code, ignored for a CASHIER order (its amount is fixed).
    pub amount: Option<i64>,
    pub client_ip: Option<String>,
}

/// The order to pay and the token its result page polls with.
#[derive(Clone, Debug)]
pub struct Paying {
    pub order: Order,
    pub result_token: String,
}

impl CashierService {
    pub async fn pay(&self, form: PayForm) -> CashierResult<Paying> {
        self.count_attempt(form.client_ip.as_deref()).await?;
        let now = self.clock.now();
        let fields = [form.target.key(), wallet_code(form.wallet).to_owned(), form.payer_id.clone()];
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let nonce =
            self.links.check_token(PURPOSE_PAY_FORM, &fields, &form.token, now).ok_or(CashierError::BadToken)?;
        if !is_payer_id(&form.payer_id) {
            return Err(CashierError::BadToken);
        }
        let order = match &form.target {
            Target::Code(code) => self.pay_code(code, &form, &nonce).await?,
            Target::Order(order_no) => {
                self.payments.pay_cashier_order(order_no, form.wallet, &form.payer_id, form.client_ip.clone()).await?
            }
        };
        let exp = now.unix_timestamp() + self.settings.result_ttl_secs;
        let result_token = self.links.token(PURPOSE_RESULT, &[&order.order_no], exp);
        Ok(Paying { order, result_token })
    }

    /// The order behind a result page.
    pub async fn result(&self, order_no: &str, token: &str) -> CashierResult<Order> {
        if self.links.check_token(PURPOSE_RESULT, &[order_no], token, self.clock.now()).is_none() {
            return Err(CashierError::BadToken);
        }
        self.payments.orders.get_unscoped(order_no).await?.ok_or(CashierError::BadToken)
    }

    /// A new JSAPI order for the store. The form's nonce makes the merchant's `out_trade_no`,
    /// so a form posted twice is one order (the second answer is the first order).
    async fn pay_code(&self, code: &str, form: &PayForm, nonce: &str) -> CashierResult<Order> {
        let amount = form.amount.filter(|a| (MIN_AMOUNT..=MAX_AMOUNT).contains(a));
        let amount = amount.ok_or_else(|| FieldError::new("amount", "an amount from 0.01 yuan"))?;
        let (qr, store, merchant) = self.open_code(code).await?;
        let way = cashier_way(form.wallet).ok_or(CashierError::WalletUnavailable(form.wallet))?;
        let caller = self.open_caller(&merchant).await?;
        let subject: String = format!("{} 扫码付款", store.name).chars().take(128).collect();
        let (openid, buyer_id) = match way {
            PayWay::WxJsapi => (Some(form.payer_id.clone()), None),
            _ => (None, Some(form.payer_id.clone())),
        };
        let req = NewOrder {
            merchant_no: merchant.merchant_no.clone(),
            store_id: Some(store.id.to_string()),
            out_trade_no: format!("QR{nonce}"),
            amount,
            currency: "CNY".into(),
            way,
            subject,
            auth_code: None,
            openid,
            buyer_id,
            notify_url: None,
            return_url: None,
            expire_seconds: None,
            client_ip: form.client_ip.clone(),
            attach: Some(format!("qr:{}", qr.code)),
        };
        Ok(self.payments.create_order(&caller, req).await?.order)
    }

    /// The merchant's first (oldest) active app with a usable key: orders are made as that app,
    /// so its notifications go where the merchant's integration expects them.
    pub(super) async fn open_caller(&self, merchant: &Merchant) -> CashierResult<OpenCaller> {
        let scope = Scope::new(merchant.platform_id.clone(), merchant.path.clone());
        let filter = AppFilter { owner_id: Some(merchant.id.to_string()), status: Some(AppStatus::Active) };
        let newest = self.apps.list(&scope, &filter, PageRequest { page: 1, page_size: 1 }).await?;
        let oldest = match newest.total {
            0 => return Err(CashierError::NotActivated),
            1 => newest,
            n => self.apps.list(&scope, &filter, PageRequest { page: n, page_size: 1 }).await?,
        };
        let app = oldest.items.into_iter().next().ok_or(CashierError::NotActivated)?;
        let (app, keys) = self.apps.get_for_auth(&app.id).await?.ok_or(CashierError::NotActivated)?;
        let now = self.clock.now();
        let key = keys.into_iter().find(|k| k.usable_at(now)).ok_or(CashierError::NotActivated)?;
        let scope = Scope::new(app.platform_id.clone(), app.path.clone());
        Ok(OpenCaller { app, key, hmac_secret: None, scope })
    }

    /// Pay attempts per client IP and minute, counted in the cache (holds across replicas).
    async fn count_attempt(&self, client_ip: Option<&str>) -> CashierResult<()> {
        let minute = self.clock.now().unix_timestamp() / 60;
        let key = format!("rate:cashier:{}:{minute}", client_ip.unwrap_or("unknown"));
        let limit = self.settings.pay_attempts_per_minute;
        let counted = self
            .cache
            .incr_within(&key, 1, limit, Duration::from_secs(120))
            .await
            .map_err(|e| CashierError::Internal(e.to_string()))?;
        counted.map(|_| ()).ok_or(CashierError::RateLimited)
    }
}

//! The admin side of payments: orders, refunds and notifications in the caller's scope; channel
//! accounts and merchant bindings (routing priority, weight, caps) for platform admins.

use super::errors::{PaymentError, PaymentResult};
use super::gateway::ChannelGateway;
use super::notification::{DeliveryAttempt, Notification};
use super::order::Order;
use super::ports::{ChannelRepo, NotificationRepo, OrderFilter, OrderRepo, RefundRepo};
use super::refund::Refund;
use super::way::PayWay;
use crate::audit::AuditEntry;
use crate::channels::{BindingStatus, ChannelAccount, ChannelBinding, ChannelCode};
use crate::clock::Clock;
use crate::identity::{Caller, NodeKind, Permission};
use crate::ids::MerchantId;
use crate::money::Money;
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::status::Status;
use crate::tenancy::ports::TenancyRepo;
use crate::validate::{self, FieldError};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct PaymentAdmin {
    pub orders: Arc<dyn OrderRepo>,
    pub refunds: Arc<dyn RefundRepo>,
    pub notifications: Arc<dyn NotificationRepo>,
    pub channels: Arc<dyn ChannelRepo>,
    pub tenancy: Arc<dyn TenancyRepo>,
    pub gateway: Arc<ChannelGateway>,
    pub cache: Arc<dyn crate::cache::Cache>,
    pub clock: Arc<dyn Clock>,
}

/// Today's use of a binding and its account against their caps, and the account's breaker.
#[derive(Clone, Debug)]
pub struct BindingUsage {
    pub binding: ChannelBinding,
    pub binding_amount_used: i64,
    pub binding_count_used: i64,
    pub account_amount_used: i64,
    pub account_count_used: i64,
    pub account_daily_amount_cap: Option<i64>,
    pub account_daily_count_cap: Option<i64>,
    pub breaker_open: bool,
}

#[derive(Clone, Debug)]
pub struct NewAccount {
    pub channel: ChannelCode,
    pub name: String,
    pub config: Value,
    pub secrets: Value,
    pub daily_amount_cap: Option<i64>,
    pub daily_count_cap: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewBinding {
    pub merchant_id: MerchantId,
    pub channel_account_id: String,
    pub sub_merchant_id: String,
    pub config: Value,
    pub ways: Vec<PayWay>,
    pub priority: i32,
    pub weight: i32,
    pub daily_amount_cap: Option<i64>,
    pub daily_count_cap: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct BindingPatch {
    pub status: Option<BindingStatus>,
    pub ways: Option<Vec<PayWay>>,
    pub priority: Option<i32>,
    pub weight: Option<i32>,
    /// `Some(None)` removes the cap.
    pub daily_amount_cap: Option<Option<i64>>,
    pub daily_count_cap: Option<Option<i64>>,
}

fn need(caller: &Caller, p: Permission) -> PaymentResult<()> {
    caller.require(p).map_err(|_| PaymentError::Forbidden)
}

fn check_caps(amount: Option<i64>, count: Option<i64>) -> Result<(), FieldError> {
    if amount.is_some_and(|a| a < 0) {
        return Err(FieldError::new("daily_amount_cap", "not negative"));
    }
    if count.is_some_and(|c| c < 0) {
        return Err(FieldError::new("daily_count_cap", "not negative"));
    }
    Ok(())
}

fn check_routing(priority: i32, weight: i32) -> Result<(), FieldError> {
    if !(0..=1000).contains(&priority) {
        return Err(FieldError::new("priority", "0..=1000"));
    }
    if !(0..=10_000).contains(&weight) {
        return Err(FieldError::new("weight", "0..=10000 (0 takes no traffic)"));
    }
    Ok(())
}

impl PaymentAdmin {
    pub async fn list_orders(
        &self,
        caller: &Caller,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> PaymentResult<Page<Order>> {
        need(caller, Permission::PaymentRead)?;
        Ok(self.orders.list(&caller.scope, filter, page).await?)
    }

    pub async fn get_order(&self, caller: &Caller, order_no: &str) -> PaymentResult<(Order, Vec<Refund>)> {
        need(caller, Permission::PaymentRead)?;
        let order = self.orders.get(&caller.scope, order_no).await?.ok_or(PaymentError::OrderNotFound)?;
        let refunds = self.refunds.list_for_order(order_no).await?;
        Ok((order, refunds))
    }

    pub async fn list_notifications(
        &self,
        caller: &Caller,
        resource_no: Option<&str>,
        page: PageRequest,
    ) -> PaymentResult<Page<Notification>> {
        need(caller, Permission::PaymentRead)?;
        Ok(self.notifications.list(&caller.scope, resource_no, page).await?)
    }

    pub async fn get_notification(
        &self,
        caller: &Caller,
        id: &str,
    ) -> PaymentResult<(Notification, Vec<DeliveryAttempt>)> {
        need(caller, Permission::PaymentRead)?;
        let n = self.notifications.get(&caller.scope, id).await?.ok_or(PaymentError::NotFound("notification"))?;
        let attempts = self.notifications.attempts(&caller.scope, id).await?;
        Ok((n, attempts))
    }

    /// Sends a notification again now (after the merchant fixed their endpoint).
    pub async fn resend(&self, caller: &Caller, id: &str) -> PaymentResult<Notification> {
        need(caller, Permission::PaymentWrite)?;
        let n = self.notifications.get(&caller.scope, id).await?.ok_or(PaymentError::NotFound("notification"))?;
        let now = self.clock.now();
        let audit = AuditEntry::new(
            &n.platform_id,
            &n.path,
            &caller.actor(),
            "notification.resend",
            "notification",
            &n.id,
            None,
            None,
            now,
        );
        let mut effects = crate::effects::Effects::none();
        effects.audit(audit).job(crate::jobs::NewJob::new(
            &n.platform_id,
            crate::jobs::JobKind::NotificationDelivery,
            &n.id,
            now,
        ));
        self.notifications.resend(&caller.scope, id, now, &effects).await?;
        self.notifications.get(&caller.scope, id).await?.ok_or(PaymentError::NotFound("notification"))
    }

    fn platform_only(&self, caller: &Caller) -> PaymentResult<()> {
        need(caller, Permission::ChannelAdmin)?;
        if caller.node_kind != NodeKind::Platform {
            return Err(PaymentError::Forbidden);
        }
        Ok(())
    }

    pub async fn create_account(&self, caller: &Caller, new: NewAccount) -> PaymentResult<ChannelAccount> {
        self.platform_only(caller)?;
        let name = validate::text("name", &new.name, 64)?;
        check_caps(new.daily_amount_cap, new.daily_count_cap)?;
        if !new.config.is_object() || !new.secrets.is_object() {
            return Err(FieldError::new("config", "config and secrets are JSON objects").into());
        }
        if self.gateway.channel(new.channel).is_none() {
            return Err(FieldError::new("channel", "this channel is not enabled on this server").into());
        }
        let now = self.clock.now();
        let account = ChannelAccount {
            id: format!("ca_{}", uuid::Uuid::now_v7().simple()),
            platform_id: caller.scope.platform_id.clone(),
            channel: new.channel,
            name,
            config: new.config,
            secrets_enc: self.gateway.seal_secrets(&new.secrets),
            status: Status::Active,
            daily_amount_cap: new.daily_amount_cap.map(Money),
            daily_count_cap: new.daily_count_cap,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEntry::new(
            &account.platform_id,
            &caller.scope.path,
            &caller.actor(),
            "channel_account.create",
            "channel_account",
            &account.id,
            None,
            Some(json!({"channel": account.channel, "name": account.name, "secrets": "***"})),
            now,
        );
        self.channels.insert_account(&account, &audit).await?;
        Ok(account)
    }

    pub async fn list_accounts(&self, caller: &Caller) -> PaymentResult<Vec<ChannelAccount>> {
        self.platform_only(caller)?;
        Ok(self.channels.list_accounts(&caller.scope.platform_id).await?)
    }

    pub async fn create_binding(&self, caller: &Caller, new: NewBinding) -> PaymentResult<ChannelBinding> {
        self.platform_only(caller)?;
        check_caps(new.daily_amount_cap, new.daily_count_cap)?;
        check_routing(new.priority, new.weight)?;
        let sub = validate::text("sub_merchant_id", &new.sub_merchant_id, 64)?;
        let merchant =
            self.tenancy.get_merchant(&caller.scope, &new.merchant_id).await?.ok_or(PaymentError::MerchantNotFound)?;
        let account = self
            .channels
            .get_account(&caller.scope.platform_id, &new.channel_account_id)
            .await?
            .ok_or_else(|| FieldError::new("channel_account_id", "no such channel account"))?;
        let now = self.clock.now();
        let binding = ChannelBinding {
            id: format!("cb_{}", uuid::Uuid::now_v7().simple()),
            platform_id: merchant.platform_id.clone(),
            merchant_id: merchant.id.clone(),
            path: merchant.path.clone(),
            channel_account_id: account.id.clone(),
            channel: account.channel,
            sub_merchant_id: sub,
            config: new.config,
            ways: new.ways,
            status: BindingStatus::Approved,
            priority: new.priority,
            weight: new.weight,
            daily_amount_cap: new.daily_amount_cap.map(Money),
            daily_count_cap: new.daily_count_cap,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = AuditEntry::new(
            &binding.platform_id,
            &binding.path,
            &caller.actor(),
            "channel_binding.create",
            "channel_binding",
            &binding.id,
            None,
            Some(binding_view(&binding)),
            now,
        );
        self.channels.insert_binding(&binding, &audit).await.map_err(|e| match e {
            RepoError::Conflict(_) => {
                FieldError::new("sub_merchant_id", "already bound at this channel account").into()
            }
            other => PaymentError::from(other),
        })?;
        Ok(binding)
    }

    pub async fn list_bindings(
        &self,
        caller: &Caller,
        merchant_id: Option<&MerchantId>,
        page: PageRequest,
    ) -> PaymentResult<Page<ChannelBinding>> {
        need(caller, Permission::PaymentRead)?;
        Ok(self.channels.list_bindings(&caller.scope, merchant_id, page).await?)
    }

    /// Traffic shifting (切量), caps and suspension of one binding; audited.
    pub async fn update_binding(
        &self,
        caller: &Caller,
        id: &str,
        version: Option<i64>,
        patch: BindingPatch,
    ) -> PaymentResult<ChannelBinding> {
        self.platform_only(caller)?;
        let before = self.channels.get_binding(&caller.scope, id).await?.ok_or(PaymentError::NotFound("binding"))?;
        let mut b = before.clone();
        if let Some(s) = patch.status {
            b.status = s;
        }
        if let Some(w) = patch.ways {
            b.ways = w;
        }
        b.priority = patch.priority.unwrap_or(b.priority);
        b.weight = patch.weight.unwrap_or(b.weight);
        check_routing(b.priority, b.weight)?;
        if let Some(c) = patch.daily_amount_cap {
            b.daily_amount_cap = c.map(Money);
        }
        if let Some(c) = patch.daily_count_cap {
            b.daily_count_cap = c;
        }
        check_caps(b.daily_amount_cap.map(|m| m.0), b.daily_count_cap)?;
        b.version = version.unwrap_or(before.version);
        b.updated_at = self.clock.now();
        let audit = AuditEntry::new(
            &b.platform_id,
            &b.path,
            &caller.actor(),
            "channel_binding.update",
            "channel_binding",
            &b.id,
            Some(binding_view(&before)),
            Some(binding_view(&b)),
            b.updated_at,
        );
        self.channels.update_binding(&b, &audit).await.map_err(|e| match e {
            RepoError::Conflict(_) => PaymentError::OrderState("changed concurrently"),
            other => other.into(),
        })?;
        b.version += 1;
        Ok(b)
    }
}

impl PaymentAdmin {
    pub async fn binding_usage(&self, caller: &Caller, id: &str) -> PaymentResult<BindingUsage> {
        need(caller, Permission::PaymentRead)?;
        let binding = self.channels.get_binding(&caller.scope, id).await?.ok_or(PaymentError::NotFound("binding"))?;
        let account = self
            .channels
            .get_account(&binding.platform_id, &binding.channel_account_id)
            .await?
            .ok_or(PaymentError::NotFound("channel_account"))?;
        let now = self.clock.now();
        let cache = self.cache.as_ref();
        let (binding_amount_used, binding_count_used) = super::quota::usage(cache, "binding", &binding.id, now).await;
        let (account_amount_used, account_count_used) = super::quota::usage(cache, "account", &account.id, now).await;
        let breaker_open = super::breaker::is_open(cache, &account.id).await;
        Ok(BindingUsage {
            binding,
            binding_amount_used,
            binding_count_used,
            account_amount_used,
            account_count_used,
            account_daily_amount_cap: account.daily_amount_cap.map(|m| m.0),
            account_daily_count_cap: account.daily_count_cap,
            breaker_open,
        })
    }
}

fn binding_view(b: &ChannelBinding) -> Value {
    json!({
        "status": b.status, "ways": b.ways, "priority": b.priority, "weight": b.weight,
        "daily_amount_cap": b.daily_amount_cap, "daily_count_cap": b.daily_count_cap, "sub_merchant_id": b.sub_merchant_id,
    })
}

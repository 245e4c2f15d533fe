//! Builders of payment records on top of the tenancy fixture: a "shop" is a merchant with an
//! app, a channel account and a binding, ready to take orders.

use crate::fixture::Fixture;
use juhe_domain::apps::App;
use juhe_domain::channels::{BindingStatus, ChannelAccount, ChannelBinding, ChannelCode};
use juhe_domain::effects::Effects;
use juhe_domain::identity::NodeKind;
use juhe_domain::jobs::{Job, JobFilter, JobKind, JobRepo};
use juhe_domain::money::Money;
use juhe_domain::payments::notification::{DeliveryStatus, EventType, Notification};
use juhe_domain::payments::order::{Order, OrderStatus};
use juhe_domain::payments::ports::{ChannelRepo, OrderRepo};
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::payments::way::PayWay;
use juhe_domain::status::Status;
use juhe_domain::tenancy::{Agent, Merchant};
use serde_json::json;
use time::{Duration, OffsetDateTime};

pub struct Shop {
    pub merchant: Merchant,
    pub app: App,
    pub account: ChannelAccount,
    pub binding: ChannelBinding,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

pub fn new_account(fx: &Fixture, channel: ChannelCode, name: &str) -> ChannelAccount {
    let now = fx.now();
    ChannelAccount {
        id: unique("ca_"),
        platform_id: fx.platform.clone(),
        channel,
        name: name.into(),
        config: json!({"sp_mchid": "1900000001", "base_url": "https://api.example.com"}),
        secrets_enc: "enc:v1:private-key".into(),
        status: Status::Active,
        daily_amount_cap: Some(Money(50_000_000)),
        daily_count_cap: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

pub async fn account(fx: &Fixture, channel: ChannelCode, name: &str) -> ChannelAccount {
    let account = new_account(fx, channel, name);
    let audit = fx.audit(&fx.root_path(), "channel_account.create", "channel_account", &account.id);
    fx.store.insert_account(&account, &audit).await.expect("insert channel account");
    account
}

pub fn new_binding(fx: &Fixture, merchant: &Merchant, account: &ChannelAccount, priority: i32) -> ChannelBinding {
    let now = fx.now();
    ChannelBinding {
        id: unique("cb_"),
        platform_id: fx.platform.clone(),
        merchant_id: merchant.id.clone(),
        path: merchant.path.clone(),
        channel_account_id: account.id.clone(),
        channel: account.channel,
        sub_merchant_id: unique("sub"),
        config: json!({"sub_appid": "wx123"}),
        ways: vec![PayWay::WxJsapi, PayWay::WxNative],
        status: BindingStatus::Approved,
        priority,
        weight: 100,
        daily_amount_cap: None,
        daily_count_cap: Some(1000),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

pub async fn binding(fx: &Fixture, merchant: &Merchant, account: &ChannelAccount, priority: i32) -> ChannelBinding {
    let binding = new_binding(fx, merchant, account, priority);
    let audit = fx.audit(&merchant.path, "channel_binding.create", "channel_binding", &binding.id);
    fx.store.insert_binding(&binding, &audit).await.expect("insert channel binding");
    binding
}

/// A merchant below `agent` (or the platform) with an app, a WeChat account and a binding.
pub async fn shop(fx: &Fixture, agent: Option<&Agent>, name: &str) -> Shop {
    let entity = fx.entity(&format!("{name} Ltd")).await;
    let merchant = fx.merchant(agent, &entity, name).await;
    let (app, _) = fx.app_at(NodeKind::Merchant, merchant.id.as_str(), &merchant.path, &format!("{name} app")).await;
    let account = account(fx, ChannelCode::Wechat, &format!("{name} account")).await;
    let binding = binding(fx, &merchant, &account, 10).await;
    Shop { merchant, app, account, binding }
}

/// An order of `shop` in `status`, not stored yet.
pub fn new_order(fx: &Fixture, shop: &Shop, amount: i64, status: OrderStatus) -> Order {
    let now = fx.now();
    let paid = status.is_paid();
    Order {
        order_no: juhe_domain::payments::order::new_order_no(now),
        platform_id: fx.platform.clone(),
        merchant_id: shop.merchant.id.clone(),
        merchant_no: shop.merchant.merchant_no.clone(),
        path: shop.merchant.path.clone(),
        store_id: None,
        app_id: shop.app.id.clone(),
        out_trade_no: unique("T"),
        amount: Money(amount),
        currency: "CNY".into(),
        way: PayWay::WxNative,
        channel: Some(ChannelCode::Wechat),
        channel_account_id: Some(shop.account.id.clone()),
        binding_id: Some(shop.binding.id.clone()),
        sub_merchant_id: Some(shop.binding.sub_merchant_id.clone()),
        status,
        refunded_amount: Money(0),
        refund_reserved: Money(0),
        fee: Money(amount * 6 / 1000),
        pay_data: Some(json!({"code_url": "weixin://wxpay/bizpayurl?pr=abc"})),
        channel_trade_no: paid.then(|| unique("42000")),
        subject: "Coffee".into(),
        attach: Some("table=7".into()),
        notify_url: Some("https://merchant.example.com/notify".into()),
        return_url: None,
        client_ip: Some("203.0.113.7".into()),
        payer_id: paid.then(|| "o-openid".to_owned()),
        request_hash: "a".repeat(64),
        expire_at: now + Duration::minutes(15),
        paid_at: paid.then_some(now),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// A stored order of `shop` in `status`.
pub async fn order(fx: &Fixture, shop: &Shop, amount: i64, status: OrderStatus) -> Order {
    let order = new_order(fx, shop, amount, status);
    OrderRepo::insert(&fx.store, &order, &Effects::none()).await.expect("insert order");
    order
}

/// A processing refund of `order`, not reserved yet.
pub fn new_refund(fx: &Fixture, order: &Order, amount: i64) -> Refund {
    let now = fx.now();
    Refund {
        refund_no: juhe_domain::payments::refund::new_refund_no(now),
        platform_id: order.platform_id.clone(),
        merchant_id: order.merchant_id.clone(),
        path: order.path.clone(),
        order_no: order.order_no.clone(),
        out_refund_no: unique("R"),
        amount: Money(amount),
        fee_refunded: Money(0),
        status: RefundStatus::Processing,
        reason: Some("customer asked".into()),
        notify_url: None,
        channel_refund_no: None,
        request_hash: "b".repeat(64),
        created_at: now,
        succeeded_at: None,
        updated_at: now,
    }
}

/// A pending notification about `resource_no`, due at `due`.
pub fn notification(
    fx: &Fixture,
    shop: &Shop,
    event: EventType,
    resource_no: &str,
    due: OffsetDateTime,
) -> Notification {
    Notification {
        id: unique("evt_"),
        platform_id: fx.platform.clone(),
        merchant_id: shop.merchant.id.clone(),
        path: shop.merchant.path.clone(),
        app_id: shop.app.id.clone(),
        event_type: event,
        resource_no: resource_no.into(),
        url: "https://merchant.example.com/notify".into(),
        payload: json!({"event": event.as_str(), "resource_no": resource_no}).to_string(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: due,
        delivered_at: None,
        created_at: fx.now(),
    }
}

/// Effects that notify `outbox` (each with its delivery job), as the services build them.
pub fn notifying(outbox: &[Notification]) -> Effects {
    let mut effects = Effects::none();
    effects.notify(outbox.iter().cloned());
    effects
}

/// Stores `outbox` the way the services do: with an order's state change.
pub async fn publish(fx: &Fixture, shop: &Shop, outbox: &[Notification]) -> Order {
    let mut order = order(fx, shop, 100, OrderStatus::Created).await;
    order.status = OrderStatus::Paid;
    order.paid_at = Some(fx.now());
    OrderRepo::save(&fx.store, &order, &notifying(outbox)).await.expect("save order with outbox");
    order.version += 1;
    order
}

/// The platform's jobs about `key` (an order or refund number, a notification id).
pub async fn jobs_about(fx: &Fixture, key: &str) -> Vec<Job> {
    let filter = JobFilter { key: Some(key.to_owned()), ..Default::default() };
    JobRepo::list(&fx.store, &fx.platform, &filter, crate::fixture::page(1, 50)).await.unwrap().items
}

/// The one job of `kind` about `key`, if any.
pub async fn job_about(fx: &Fixture, kind: JobKind, key: &str) -> Option<Job> {
    let mut found: Vec<_> = jobs_about(fx, key).await.into_iter().filter(|j| j.kind == kind).collect();
    assert!(found.len() <= 1, "(kind, key) is unique");
    found.pop()
}

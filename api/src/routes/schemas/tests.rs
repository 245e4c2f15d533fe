//! The typed objects send exactly the JSON of the domain's `order_object` / `refund_object`
//! (which still build the notification payloads): same keys, same values, same bytes.

use super::{OrderObject, RefundObject};
use juhe_domain::channels::ChannelCode;
use juhe_domain::ids::{AppId, MerchantId, PlatformId, StoreId};
use juhe_domain::money::Money;
use juhe_domain::payments::events::{order_object, refund_object};
use juhe_domain::payments::order::{Order, OrderStatus};
use juhe_domain::payments::refund::{Refund, RefundStatus};
use juhe_domain::payments::way::PayWay;
use juhe_domain::scope::NodePath;
use poem_openapi::types::ToJSON;
use serde_json::json;
use time::macros::datetime;

/// An order with every optional part set, at times with nanoseconds and a +08:00 offset (the
/// wire form is UTC with microseconds).
fn full_order() -> Order {
    let at = datetime!(2026-03-01 10:20:30.123456789 +08:00);
    Order {
        order_no: "P20260301102030123456".into(),
        platform_id: PlatformId::from_trusted("pf_1".into()),
        merchant_id: MerchantId::from_trusted("mc_1".into()),
        merchant_no: "M100001".into(),
        path: NodePath::from_trusted("/pf_1/mc_1".into()),
        store_id: Some(StoreId::from_trusted("st_0190aa".into())),
        app_id: AppId::from_trusted("app_1".into()),
        out_trade_no: "shop-0001".into(),
        amount: Money(12_345),
        currency: "CNY".into(),
        way: PayWay::WxJsapi,
        channel: Some(ChannelCode::Wechat),
        channel_account_id: Some("ca_1".into()),
        binding_id: Some("bd_1".into()),
        sub_merchant_id: Some("1900000109".into()),
        status: OrderStatus::PartiallyRefunded,
        refunded_amount: Money(345),
        refund_reserved: Money(345),
        fee: Money(47),
        pay_data: Some(json!({"jsapi": {"appId": "wx1", "timeStamp": "1", "nonceStr": "n", "package": "prepay_id=x",
            "signType": "RSA", "paySign": "s"}})),
        channel_trade_no: Some("4200000001".into()),
        subject: "咖啡 \"双份\"".into(),
        attach: Some("table=7".into()),
        notify_url: Some("https://merchant.example/notify".into()),
        return_url: Some("https://merchant.example/return".into()),
        client_ip: Some("203.0.113.7".into()),
        payer_id: Some("openid-1".into()),
        request_hash: "h".into(),
        expire_at: at + time::Duration::minutes(15),
        paid_at: Some(at + time::Duration::seconds(9)),
        created_at: at,
        updated_at: at,
        version: 3,
    }
}

/// The same order with nothing optional: every such key must still be sent, as `null`.
fn bare_order() -> Order {
    Order {
        store_id: None,
        channel: None,
        status: OrderStatus::Created,
        pay_data: None,
        channel_trade_no: None,
        attach: None,
        paid_at: None,
        ..full_order()
    }
}

fn assert_same_order(o: &Order) {
    let typed = OrderObject::from(o).to_json().expect("an object");
    let domain = order_object(o);
    assert_eq!(typed, domain);
    assert_eq!(serde_json::to_string(&typed).unwrap(), serde_json::to_string(&domain).unwrap());
}

#[test]
fn the_order_object_is_the_domain_order_object() {
    let full = full_order();
    assert_same_order(&full);
    assert_same_order(&bare_order());
    let sent = OrderObject::from(&full).to_json().unwrap();
    assert_eq!(sent["created_at"], "2026-03-01T02:20:30.123456Z");
    let bare = OrderObject::from(&bare_order()).to_json().unwrap();
    assert!(bare.as_object().unwrap().get("paid_at").is_some_and(|v| v.is_null()), "null, not left out");
    for way in PayWay::ALL {
        for channel in ChannelCode::ALL {
            assert_same_order(&Order { way, channel: Some(channel), ..full_order() });
        }
    }
    use OrderStatus as S;
    for status in
        [S::Created, S::Paying, S::Paid, S::PartiallyRefunded, S::Refunded, S::Closed, S::Cancelled, S::Failed]
    {
        assert_same_order(&Order { status, ..bare_order() });
    }
}

fn refund(status: RefundStatus, reason: Option<&str>, succeeded: bool) -> Refund {
    let at = datetime!(2026-03-01 11:00:00.000000999 +08:00);
    Refund {
        refund_no: "R20260301110000000001".into(),
        platform_id: PlatformId::from_trusted("pf_1".into()),
        merchant_id: MerchantId::from_trusted("mc_1".into()),
        path: NodePath::from_trusted("/pf_1/mc_1".into()),
        order_no: "P20260301102030123456".into(),
        out_refund_no: "refund-0001".into(),
        amount: Money(345),
        fee_refunded: Money(1),
        status,
        reason: reason.map(Into::into),
        notify_url: None,
        channel_refund_no: Some("50300001".into()),
        request_hash: "h".into(),
        created_at: at,
        succeeded_at: succeeded.then_some(at + time::Duration::seconds(2)),
        updated_at: at,
    }
}

#[test]
fn the_refund_object_is_the_domain_refund_object() {
    use RefundStatus as S;
    for r in [
        refund(S::Succeeded, Some("客户退货"), true),
        refund(S::Processing, None, false),
        refund(S::Failed, Some("x"), false),
        refund(S::Closed, None, false),
    ] {
        let typed = RefundObject::from(&r).to_json().expect("an object");
        let domain = refund_object(&r);
        assert_eq!(typed, domain);
        assert_eq!(serde_json::to_string(&typed).unwrap(), serde_json::to_string(&domain).unwrap());
    }
}

//! Channel accounts (platform-level) and bindings (scoped like their merchant).

use crate::fixture::{Fixture, audit_rows, conflict, page};
use crate::support::{account, binding, new_account, new_binding, shop};
use juhe_domain::channels::{BindingStatus, ChannelCode};
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::money::Money;
use juhe_domain::payments::ports::ChannelRepo;
use juhe_domain::payments::way::PayWay;
use juhe_domain::repo::RepoError;
use juhe_domain::status::Status;
use serde_json::json;

#[tokio::test]
async fn accounts_belong_to_the_platform_and_update_optimistically() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let wechat = account(&fx, ChannelCode::Wechat, "WeChat ISV").await;
    let alipay = account(&fx, ChannelCode::Alipay, "Alipay ISV").await;

    let got = s.get_account(&fx.platform, &wechat.id).await.unwrap().unwrap();
    assert_eq!((got.channel, got.name.as_str(), got.status), (ChannelCode::Wechat, "WeChat ISV", Status::Active));
    assert_eq!((got.config, got.secrets_enc), (wechat.config.clone(), "enc:v1:private-key".to_owned()));
    assert_eq!((got.daily_amount_cap, got.daily_count_cap, got.version), (Some(Money(50_000_000)), None, 1));
    assert_eq!(got.created_at, wechat.created_at);
    let other = PlatformId::generate();
    assert!(s.get_account(&other, &wechat.id).await.unwrap().is_none(), "another platform never sees it");
    assert!(s.list_accounts(&other).await.unwrap().is_empty());
    assert_eq!(s.get_account_unscoped(&alipay.id).await.unwrap().unwrap().channel, ChannelCode::Alipay);
    assert!(s.get_account_unscoped("ca_missing").await.unwrap().is_none());
    let listed: Vec<_> = s.list_accounts(&fx.platform).await.unwrap().into_iter().map(|a| a.id).collect();
    assert_eq!(listed, vec![wechat.id.clone(), alipay.id.clone()], "oldest first");

    let mut changed = wechat.clone();
    changed.name = "WeChat ISV (new key)".into();
    changed.secrets_enc = "enc:v2:rotated".into();
    changed.config = json!({"sp_mchid": "1900000002"});
    changed.status = Status::Disabled;
    changed.daily_amount_cap = None;
    changed.daily_count_cap = Some(10);
    changed.channel = ChannelCode::Unionpay; // ignored: another channel is another account
    changed.updated_at = fx.now();
    let audit = fx.audit(&fx.root_path(), "channel_account.update", "channel_account", &wechat.id);
    s.update_account(&changed, &audit).await.unwrap();
    let got = s.get_account(&fx.platform, &wechat.id).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.secrets_enc.as_str()), ("WeChat ISV (new key)", "enc:v2:rotated"));
    assert_eq!((got.channel, got.status, got.version), (ChannelCode::Wechat, Status::Disabled, 2));
    assert_eq!((got.daily_amount_cap, got.daily_count_cap), (None, Some(10)));
    assert_eq!(got.config, json!({"sp_mchid": "1900000002"}));

    let stale = fx.audit(&fx.root_path(), "channel_account.update", "channel_account", &wechat.id);
    assert_eq!(conflict(s.update_account(&changed, &stale).await.unwrap_err()), "version");
    assert_eq!(audit_rows(&fx, &wechat.id).await, 2, "create and one update; the stale one wrote nothing");
    let mut ghost = new_account(&fx, ChannelCode::Wechat, "Ghost");
    ghost.id = "ca_ghost".into();
    let audit = fx.audit(&fx.root_path(), "channel_account.update", "channel_account", &ghost.id);
    assert!(matches!(s.update_account(&ghost, &audit).await, Err(RepoError::NotFound)));
    fx.finish().await;
}

#[tokio::test]
async fn bindings_are_scoped_like_their_merchant() {
    let fx = Fixture::new().await;
    let s = &fx.store;
    let (a, b) = (fx.agent(None, "A").await, fx.agent(None, "B").await);
    let shop_a = shop(&fx, Some(&a), "Shop A").await;
    let shop_b = shop(&fx, Some(&b), "Shop B").await;
    let high = binding(&fx, &shop_a.merchant, &shop_b.account, 50).await;
    let (sa, sb) = (fx.scope(&a.path), fx.scope(&b.path));

    let got = s.get_binding(&sa, &shop_a.binding.id).await.unwrap().unwrap();
    assert_eq!((got.ways, got.status), (vec![PayWay::WxJsapi, PayWay::WxNative], BindingStatus::Approved));
    assert_eq!(
        (got.sub_merchant_id, got.config),
        (shop_a.binding.sub_merchant_id.clone(), json!({"sub_appid": "wx123"}))
    );
    assert_eq!((got.path, got.daily_count_cap), (shop_a.merchant.path.clone(), Some(1000)));
    assert!(s.get_binding(&sb, &shop_a.binding.id).await.unwrap().is_none(), "another agent's binding is invisible");
    assert!(s.get_binding(&fx.scope(&shop_b.merchant.path), &high.id).await.unwrap().is_none());

    let ids = |p: juhe_domain::page::Page<juhe_domain::channels::ChannelBinding>| {
        (p.total, p.items.into_iter().map(|x| x.id).collect::<Vec<_>>())
    };
    let in_a = ids(s.list_bindings(&sa, None, page(1, 10)).await.unwrap());
    assert_eq!(in_a, (2, vec![high.id.clone(), shop_a.binding.id.clone()]), "newest first, only the scope's");
    let of_b = ids(s.list_bindings(&fx.root(), Some(&shop_b.merchant.id), page(1, 10)).await.unwrap());
    assert_eq!(of_b, (1, vec![shop_b.binding.id.clone()]));
    assert_eq!(ids(s.list_bindings(&sa, Some(&shop_b.merchant.id), page(1, 10)).await.unwrap()).0, 0);
    assert_eq!(ids(s.list_bindings(&fx.root(), None, page(2, 2)).await.unwrap()), (3, vec![shop_a.binding.id.clone()]));

    // Routing reads them unscoped, highest priority first.
    let routed: Vec<_> = s.bindings_of(&shop_a.merchant.id).await.unwrap().into_iter().map(|x| x.id).collect();
    assert_eq!(routed, vec![high.id.clone(), shop_a.binding.id.clone()]);
    assert!(s.bindings_of(&MerchantId::generate()).await.unwrap().is_empty());

    // One sub-merchant id per account.
    let mut twin = new_binding(&fx, &shop_b.merchant, &shop_a.account, 1);
    twin.sub_merchant_id = shop_a.binding.sub_merchant_id.clone();
    let audit = fx.audit(&shop_b.merchant.path, "channel_binding.create", "channel_binding", &twin.id);
    assert_eq!(conflict(s.insert_binding(&twin, &audit).await.unwrap_err()), "channel_bindings.sub_merchant_id");
    assert_eq!(audit_rows(&fx, &twin.id).await, 0);

    let mut changed = shop_a.binding.clone();
    changed.ways = vec![PayWay::AliQr];
    changed.status = BindingStatus::Restricted;
    changed.priority = 99;
    changed.weight = 0;
    changed.sub_merchant_id = "moved".into(); // ignored: another identity is another binding
    let audit = fx.audit(&shop_a.merchant.path, "channel_binding.update", "channel_binding", &changed.id);
    s.update_binding(&changed, &audit).await.unwrap();
    let got = s.get_binding(&sa, &changed.id).await.unwrap().unwrap();
    assert_eq!(
        (got.ways, got.status, got.priority, got.weight),
        (vec![PayWay::AliQr], BindingStatus::Restricted, 99, 0)
    );
    assert_eq!((got.sub_merchant_id, got.version), (shop_a.binding.sub_merchant_id.clone(), 2));
    let stale = fx.audit(&shop_a.merchant.path, "channel_binding.update", "channel_binding", &changed.id);
    assert_eq!(conflict(s.update_binding(&changed, &stale).await.unwrap_err()), "version");
    assert_eq!(audit_rows(&fx, &changed.id).await, 2);
    fx.finish().await;
}

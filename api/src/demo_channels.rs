//! Demo channel set-up: one channel account per built-in sandbox and approved bindings of the
//! demo merchants to each, so a payment works right after `make run`.

use crate::state::AppState;
use anyhow::anyhow;
use juhe_domain::channels::ChannelCode;
use juhe_domain::identity::Caller;
use juhe_domain::payments::admin::{NewAccount, NewBinding};
use juhe_domain::payments::way::PayWay;
use juhe_domain::tenancy::Merchant;

const WECHAT_WAYS: &[PayWay] =
    &[PayWay::WxJsapi, PayWay::WxNative, PayWay::WxH5, PayWay::WxApp, PayWay::WxMini, PayWay::Barcode];
const ALIPAY_WAYS: &[PayWay] = &[PayWay::AliQr, PayWay::AliJsapi, PayWay::AliWap, PayWay::AliApp, PayWay::Barcode];
const UNIONPAY_WAYS: &[PayWay] = &[PayWay::UpQr, PayWay::Barcode];

/// Binds every merchant to every sandbox (no-op when the sandboxes are off).
pub async fn bind_sandboxes(state: &AppState, caller: &Caller, merchants: &[&Merchant]) -> anyhow::Result<()> {
    let Some(sandboxes) = &state.sandboxes else { return Ok(()) };
    let base = state.config.public_url.trim_end_matches('/');
    let wechat = sandboxes.wechat.provision_account(&format!("{base}/sandbox/wechat"));
    let alipay = sandboxes.alipay.provision_account(&format!("{base}/sandbox/alipay/gateway.do"));
    let unionpay = sandboxes.unionpay.provision_account(&format!("{base}/sandbox/unionpay/gateway"));
    for (channel, name, (config, secrets), ways) in [
        (ChannelCode::Wechat, "WeChat Pay sandbox", wechat, WECHAT_WAYS),
        (ChannelCode::Alipay, "Alipay sandbox", alipay, ALIPAY_WAYS),
        (ChannelCode::Unionpay, "UnionPay QR sandbox", unionpay, UNIONPAY_WAYS),
    ] {
        let new =
            NewAccount { channel, name: name.into(), config, secrets, daily_amount_cap: None, daily_count_cap: None };
        let account = state.payment_admin.create_account(caller, new).await.map_err(|e| anyhow!("{name}: {e}"))?;
        for merchant in merchants {
            let sub_merchant_id = match channel {
                ChannelCode::Wechat => sandboxes.wechat.provision_sub_merchant(),
                ChannelCode::Unionpay => sandboxes.unionpay.provision_sub_merchant(),
                _ => sandboxes.alipay.provision_sub_merchant(),
            };
            let binding = NewBinding {
                merchant_id: merchant.id.clone(),
                channel_account_id: account.id.clone(),
                sub_merchant_id,
                config: serde_json::json!({}),
                ways: ways.to_vec(),
                priority: 10,
                weight: 100,
                daily_amount_cap: None,
                daily_count_cap: None,
            };
            state.payment_admin.create_binding(caller, binding).await.map_err(|e| anyhow!("{name} binding: {e}"))?;
        }
    }
    Ok(())
}

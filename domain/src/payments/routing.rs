//! Routing (路由): which of a merchant's channel bindings takes an order. Approved bindings that
//! offer the way, highest priority first; within one priority a weighted random order, so the
//! platform shifts traffic by weight (切量). Quota and health checks are applied by the caller
//! while walking the list, so a skipped candidate simply yields to the next.

use super::way::{PayWay, Wallet};
use crate::channels::{BindingStatus, ChannelBinding, ChannelCode};

/// The wallet a channel serves (`None` = any: the load-test channel).
pub fn channel_wallet(code: ChannelCode) -> Option<Wallet> {
    match code {
        ChannelCode::Wechat => Some(Wallet::Wechat),
        ChannelCode::Alipay => Some(Wallet::Alipay),
        ChannelCode::Unionpay => Some(Wallet::UnionPay),
        ChannelCode::Instant => None,
    }
}

/// Whether the binding can take `way` (for BARCODE: the wallet of the auth code).
pub fn binding_fits(binding: &ChannelBinding, way: PayWay, barcode_wallet: Option<Wallet>) -> bool {
    if binding.status != BindingStatus::Approved || !binding.ways.contains(&way) {
        return false;
    }
    match (way, barcode_wallet, channel_wallet(binding.channel)) {
        (PayWay::Barcode, Some(w), Some(cw)) => w == cw,
        (PayWay::Barcode, _, None) => true,
        (PayWay::Barcode, None, Some(_)) => false,
        (other, _, Some(cw)) => other.wallet() == Some(cw),
        (_, _, None) => true,
    }
}

/// Orders the fitting bindings: priority descending, weighted-random within a priority.
/// `random` supplies numbers in `0..u64::MAX` (tests pass a fixed sequence).
pub fn candidates(
    bindings: Vec<ChannelBinding>,
    way: PayWay,
    barcode_wallet: Option<Wallet>,
    mut random: impl FnMut() -> u64,
) -> Vec<ChannelBinding> {
    let mut fitting: Vec<ChannelBinding> =
        bindings.into_iter().filter(|b| binding_fits(b, way, barcode_wallet) && b.weight > 0).collect();
    fitting.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
    let mut ordered = Vec::with_capacity(fitting.len());
    while !fitting.is_empty() {
        let top = fitting[0].priority;
        let group_len = fitting.iter().take_while(|b| b.priority == top).count();
        let mut group: Vec<ChannelBinding> = fitting.drain(..group_len).collect();
        while !group.is_empty() {
            let total: u64 = group.iter().map(|b| b.weight as u64).sum();
            let mut pick = random() % total;
            let idx = group
                .iter()
                .position(|b| {
                    let w = b.weight as u64;
                    if pick < w {
                        true
                    } else {
                        pick -= w;
                        false
                    }
                })
                .unwrap_or(0);
            ordered.push(group.remove(idx));
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{MerchantId, PlatformId};
    use crate::scope::NodePath;

    fn binding(id: &str, channel: ChannelCode, priority: i32, weight: i32) -> ChannelBinding {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        ChannelBinding {
            id: id.into(),
            platform_id: PlatformId::generate(),
            merchant_id: MerchantId::generate(),
            path: NodePath::from_trusted("/p/".into()),
            channel_account_id: "ca".into(),
            channel,
            sub_merchant_id: "sub".into(),
            config: serde_json::json!({}),
            ways: vec![PayWay::WxNative, PayWay::AliQr, PayWay::Barcode],
            status: BindingStatus::Approved,
            priority,
            weight,
            daily_amount_cap: None,
            daily_count_cap: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn priority_then_weight() {
        let bs = vec![
            binding("a", ChannelCode::Wechat, 1, 1),
            binding("b", ChannelCode::Wechat, 5, 1),
            binding("c", ChannelCode::Alipay, 9, 1),
        ];
        let ids: Vec<String> = candidates(bs, PayWay::WxNative, None, || 0).into_iter().map(|b| b.id).collect();
        assert_eq!(ids, vec!["b", "a"], "Alipay cannot take WX_NATIVE; higher priority first");
    }

    #[test]
    fn weights_split_traffic() {
        let mut seq = 0u64;
        let mut firsts = std::collections::HashMap::new();
        for _ in 0..1000 {
            let bs = vec![binding("x", ChannelCode::Wechat, 1, 3), binding("y", ChannelCode::Wechat, 1, 1)];
            seq = seq.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let s = seq;
            let first = candidates(bs, PayWay::WxNative, None, move || s >> 11).remove(0).id;
            *firsts.entry(first).or_insert(0) += 1;
        }
        let x = firsts["x"];
        assert!((650..=850).contains(&x), "≈75% to weight 3: {x}");
    }

    #[test]
    fn barcode_follows_the_wallet() {
        let bs = vec![binding("w", ChannelCode::Wechat, 1, 1), binding("a", ChannelCode::Alipay, 1, 1)];
        let ids: Vec<String> =
            candidates(bs, PayWay::Barcode, Some(Wallet::Alipay), || 0).into_iter().map(|b| b.id).collect();
        assert_eq!(ids, vec!["a"]);
    }
}

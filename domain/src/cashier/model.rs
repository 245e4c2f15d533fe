//! Store QR codes and the values the cashier passes between its pages.

use crate::ids::{MerchantId, PlatformId, StoreId};
use crate::payments::way::{PayWay, Wallet};
use crate::scope::NodePath;
use serde::Serialize;
use time::OffsetDateTime;

/// A disabled code answers "this code is no longer in use" and takes no payment.
pub use crate::status::Status as QrCodeStatus;

/// Random bytes behind a code: 12 bytes are 16 URL-safe characters.
pub const CODE_BYTES: usize = 12;

/// A printed store QR code (台牌). It encodes `{public_url}/cashier/{code}`; the code is random
/// and URL-safe, so codes cannot be guessed from one another.
#[derive(Clone, Debug, Serialize)]
pub struct QrCode {
    pub code: String,
    pub platform_id: PlatformId,
    pub merchant_id: MerchantId,
    pub store_id: StoreId,
    /// The store's path: codes are scoped like their store (a clerk sees their store's codes).
    pub path: NodePath,
    /// A label for the operator ("收银台 1", "2 号桌").
    pub name: String,
    pub status: QrCodeStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Whether a string can be a code we issued: 12–64 characters of `[A-Za-z0-9_-]`.
pub fn is_code(raw: &str) -> bool {
    (12..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Clone, Debug, Default)]
pub struct QrCodeFilter {
    pub store_id: Option<StoreId>,
    pub status: Option<QrCodeStatus>,
}

/// The JSAPI way the cashier pays a wallet through (`None`: the wallet has no cashier way yet).
pub fn cashier_way(wallet: Wallet) -> Option<PayWay> {
    match wallet {
        Wallet::Wechat => Some(PayWay::WxJsapi),
        Wallet::Alipay => Some(PayWay::AliJsapi),
        Wallet::UnionPay => None,
    }
}

pub fn wallet_code(wallet: Wallet) -> &'static str {
    match wallet {
        Wallet::Wechat => "wechat",
        Wallet::Alipay => "alipay",
        Wallet::UnionPay => "unionpay",
    }
}

pub fn parse_wallet(raw: &str) -> Option<Wallet> {
    [Wallet::Wechat, Wallet::Alipay, Wallet::UnionPay].into_iter().find(|w| wallet_code(*w) == raw)
}

/// A payer id as the wallets issue them (WeChat openid, Alipay `2088…` user id or open id):
/// 6–64 characters of `[A-Za-z0-9_-]`. Anything else is refused before it is signed or sent.
pub fn is_payer_id(raw: &str) -> bool {
    (6..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the cashier pays: a store's code (the payer enters the amount) or a CASHIER order (the
/// amount is fixed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Code(String),
    Order(String),
}

impl Target {
    /// The value signed into tokens, so a token for one target never serves another.
    pub fn key(&self) -> String {
        match self {
            Target::Code(c) => format!("code:{c}"),
            Target::Order(o) => format!("order:{o}"),
        }
    }
}

/// The payer, known after the wallet's OAuth step, and the signed token the amount page posts
/// back (CSRF protection: it binds target, wallet, payer and expiry).
#[derive(Clone, Debug)]
pub struct PayerGrant {
    pub wallet: Wallet,
    pub payer_id: String,
    pub token: String,
}

/// What the amount page needs to show a store.
#[derive(Clone, Debug)]
pub struct ShopView {
    pub code: String,
    pub store_name: String,
    pub merchant_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_wallets_and_payers() {
        assert!(is_code("abcDEF012_-xyz"));
        assert!(!is_code("short"));
        assert!(!is_code("has space in it!"));
        for w in [Wallet::Wechat, Wallet::Alipay, Wallet::UnionPay] {
            assert_eq!(parse_wallet(wallet_code(w)), Some(w));
        }
        assert_eq!(cashier_way(Wallet::Wechat), Some(PayWay::WxJsapi));
        assert_eq!(cashier_way(Wallet::UnionPay), None);
        assert!(is_payer_id("2088102146225135"));
        assert!(is_payer_id("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"));
        assert!(!is_payer_id("a\nb"));
        assert_ne!(Target::Code("x".into()).key(), Target::Order("x".into()).key());
    }
}

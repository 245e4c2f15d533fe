//! Pay ways (支付方式) and wallets.

use serde::{Deserialize, Serialize};

/// The consumer's wallet, which decides the channel family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    Wechat,
    Alipay,
    UnionPay,
}

impl Wallet {
    /// Detects the wallet from a payment barcode (付款码): WeChat 18 digits starting 10–15,
    /// Alipay 16–24 digits starting 25–30, UnionPay 19 digits starting 62.
    pub fn from_auth_code(code: &str) -> Option<Wallet> {
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u32 = code.get(..2)?.parse().ok()?;
        match (code.len(), prefix) {
            (18, 10..=15) => Some(Wallet::Wechat),
            (16..=24, 25..=30) => Some(Wallet::Alipay),
            (19, 62) => Some(Wallet::UnionPay),
            _ => None,
        }
    }

    /// Detects the wallet from a browser's User-Agent (一码付).
    pub fn from_user_agent(ua: &str) -> Option<Wallet> {
        if ua.contains("MicroMessenger/") && !ua.contains("WindowsWechat") {
            Some(Wallet::Wechat)
        } else if ua.contains("AlipayClient/") {
            Some(Wallet::Alipay)
        } else if ua.contains("UnionPay/") {
            Some(Wallet::UnionPay)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayWay {
    #[serde(rename = "WX_JSAPI")]
    WxJsapi,
    #[serde(rename = "WX_NATIVE")]
    WxNative,
    #[serde(rename = "WX_H5")]
    WxH5,
    #[serde(rename = "WX_APP")]
    WxApp,
    #[serde(rename = "WX_MINI")]
    WxMini,
    #[serde(rename = "ALI_QR")]
    AliQr,
    #[serde(rename = "ALI_JSAPI")]
    AliJsapi,
    #[serde(rename = "ALI_WAP")]
    AliWap,
    #[serde(rename = "ALI_APP")]
    AliApp,
    #[serde(rename = "UP_QR")]
    UpQr,
    /// Merchant scans the payer's barcode; the wallet comes from the auth code.
    #[serde(rename = "BARCODE")]
    Barcode,
    /// A cashier page that detects the wallet.
    #[serde(rename = "CASHIER")]
    Cashier,
}

impl PayWay {
    pub const ALL: [PayWay; 12] = [
        PayWay::WxJsapi,
        PayWay::WxNative,
        PayWay::WxH5,
        PayWay::WxApp,
        PayWay::WxMini,
        PayWay::AliQr,
        PayWay::AliJsapi,
        PayWay::AliWap,
        PayWay::AliApp,
        PayWay::UpQr,
        PayWay::Barcode,
        PayWay::Cashier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayWay::WxJsapi => "WX_JSAPI",
            PayWay::WxNative => "WX_NATIVE",
            PayWay::WxH5 => "WX_H5",
            PayWay::WxApp => "WX_APP",
            PayWay::WxMini => "WX_MINI",
            PayWay::AliQr => "ALI_QR",
            PayWay::AliJsapi => "ALI_JSAPI",
            PayWay::AliWap => "ALI_WAP",
            PayWay::AliApp => "ALI_APP",
            PayWay::UpQr => "UP_QR",
            PayWay::Barcode => "BARCODE",
            PayWay::Cashier => "CASHIER",
        }
    }

    pub fn parse(raw: &str) -> Option<PayWay> {
        PayWay::ALL.into_iter().find(|w| w.as_str() == raw)
    }

    /// The wallet a way is for (`None` for BARCODE and CASHIER, decided per order).
    pub fn wallet(self) -> Option<Wallet> {
        match self {
            PayWay::WxJsapi | PayWay::WxNative | PayWay::WxH5 | PayWay::WxApp | PayWay::WxMini => Some(Wallet::Wechat),
            PayWay::AliQr | PayWay::AliJsapi | PayWay::AliWap | PayWay::AliApp => Some(Wallet::Alipay),
            PayWay::UpQr => Some(Wallet::UnionPay),
            PayWay::Barcode | PayWay::Cashier => None,
        }
    }

    /// Online ways (web, app, mini-program): an offline-only merchant may not use them
    /// (虚假包装 — channels punish scene mismatch).
    pub fn is_online(self) -> bool {
        matches!(self, PayWay::WxH5 | PayWay::WxApp | PayWay::WxMini | PayWay::AliWap | PayWay::AliApp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_codes_and_user_agents() {
        assert_eq!(Wallet::from_auth_code("134567890123456789"), Some(Wallet::Wechat));
        assert_eq!(Wallet::from_auth_code("284567890123456789"), Some(Wallet::Alipay));
        assert_eq!(Wallet::from_auth_code("6212345678901234567"), Some(Wallet::UnionPay));
        assert_eq!(Wallet::from_auth_code("164567890123456789"), None);
        assert_eq!(Wallet::from_auth_code("13456789012345678x"), None);
        assert_eq!(Wallet::from_user_agent("Mozilla/5.0 MicroMessenger/8.0.40"), Some(Wallet::Wechat));
        assert_eq!(Wallet::from_user_agent("Mozilla/5.0 MicroMessenger/8.0 WindowsWechat"), None);
        assert_eq!(Wallet::from_user_agent("AlipayClient/10.5"), Some(Wallet::Alipay));
        for w in PayWay::ALL {
            assert_eq!(PayWay::parse(w.as_str()), Some(w));
        }
    }
}

//! The unified-order request as the domain sees it, its validation, and the fingerprint that
//! makes a repeated request idempotent.

use super::way::{PayWay, Wallet};
use crate::money::Money;
use crate::secret::Secret;
use crate::validate::{self, FieldError};
use serde_json::json;

pub const MIN_AMOUNT: i64 = 1;
pub const MAX_AMOUNT: i64 = 10_000_000_000;
pub const DEFAULT_EXPIRE_SECS: i64 = 900;

#[derive(Clone, Debug)]
pub struct NewOrder {
    pub merchant_no: String,
    pub store_id: Option<String>,
    pub out_trade_no: String,
    pub amount: i64,
    pub currency: String,
    pub way: PayWay,
    pub subject: String,
    pub auth_code: Option<Secret<String>>,
    pub openid: Option<String>,
    pub buyer_id: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub expire_seconds: Option<i64>,
    pub client_ip: Option<String>,
    pub attach: Option<String>,
}

/// `[A-Za-z0-9_-]{min,max}`: merchant-chosen numbers.
pub fn merchant_number(field: &'static str, v: &str, min: usize, max: usize) -> Result<(), FieldError> {
    let ok = (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(()) } else { Err(FieldError::new(field, format!("{min}-{max} of [A-Za-z0-9_-]"))) }
}

impl NewOrder {
    /// Checks everything that does not need storage; returns the wallet for BARCODE.
    pub fn validate(&self) -> Result<Option<Wallet>, FieldError> {
        merchant_number("out_trade_no", &self.out_trade_no, 6, 32)?;
        if !(MIN_AMOUNT..=MAX_AMOUNT).contains(&self.amount) {
            return Err(FieldError::new("amount", format!("{MIN_AMOUNT}..={MAX_AMOUNT} fen")));
        }
        if self.currency != "CNY" {
            return Err(FieldError::new("currency", "only CNY"));
        }
        validate::text("subject", &self.subject, 128)?;
        if let Some(a) = &self.attach
            && a.chars().count() > 256
        {
            return Err(FieldError::new("attach", "at most 256 characters"));
        }
        if let Some(e) = self.expire_seconds
            && !(60..=86_400).contains(&e)
        {
            return Err(FieldError::new("expire_seconds", "60..=86400"));
        }
        for (field, url) in [("notify_url", &self.notify_url), ("return_url", &self.return_url)] {
            if let Some(u) = url {
                validate::url(field, u)?;
            }
        }
        if let Some(ip) = &self.client_ip
            && ip.parse::<std::net::IpAddr>().is_err()
        {
            return Err(FieldError::new("client_ip", "an IPv4 or IPv6 address"));
        }
        match self.way {
            PayWay::Barcode => {
                let code =
                    self.auth_code.as_ref().ok_or_else(|| FieldError::new("auth_code", "required for BARCODE"))?;
                Wallet::from_auth_code(code.expose())
                    .map(Some)
                    .ok_or_else(|| FieldError::new("auth_code", "not a WeChat, Alipay or UnionPay payment code"))
            }
            PayWay::WxJsapi | PayWay::WxMini if self.openid.as_deref().is_none_or(str::is_empty) => {
                Err(FieldError::new("openid", "required for WX_JSAPI and WX_MINI"))
            }
            PayWay::AliJsapi if self.buyer_id.as_deref().is_none_or(str::is_empty) => {
                Err(FieldError::new("buyer_id", "required for ALI_JSAPI"))
            }
            _ => Ok(None),
        }
    }

    pub fn expire_secs(&self) -> i64 {
        self.expire_seconds.unwrap_or(DEFAULT_EXPIRE_SECS)
    }

    pub fn money(&self) -> Money {
        Money(self.amount)
    }

    /// The payer id the way needs.
    pub fn payer_id(&self) -> Option<String> {
        self.openid.clone().or_else(|| self.buyer_id.clone())
    }

    /// A canonical rendering of everything that defines the order (the auth code is single-use
    /// and may differ on a retry of the same payment, so it is left out).
    pub fn fingerprint_source(&self) -> String {
        json!([
            self.merchant_no,
            self.store_id,
            self.out_trade_no,
            self.amount,
            self.currency,
            self.way.as_str(),
            self.subject,
            self.openid,
            self.buyer_id,
            self.notify_url,
            self.return_url,
            self.expire_seconds,
            self.attach,
        ])
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> NewOrder {
        NewOrder {
            merchant_no: "M1".into(),
            store_id: None,
            out_trade_no: "ORDER-0001".into(),
            amount: 100,
            currency: "CNY".into(),
            way: PayWay::WxNative,
            subject: "coffee".into(),
            auth_code: None,
            openid: None,
            buyer_id: None,
            notify_url: None,
            return_url: None,
            expire_seconds: None,
            client_ip: None,
            attach: None,
        }
    }

    #[test]
    fn validation() {
        assert_eq!(base().validate(), Ok(None));
        assert!(NewOrder { amount: 0, ..base() }.validate().is_err());
        assert!(NewOrder { amount: 10_000_000_001, ..base() }.validate().is_err());
        assert!(NewOrder { out_trade_no: "a b".into(), ..base() }.validate().is_err());
        assert!(NewOrder { currency: "USD".into(), ..base() }.validate().is_err());
        assert!(NewOrder { way: PayWay::WxJsapi, ..base() }.validate().is_err());
        assert!(NewOrder { expire_seconds: Some(59), ..base() }.validate().is_err());
        let barcode =
            NewOrder { way: PayWay::Barcode, auth_code: Some(Secret::new("134567890123456789".into())), ..base() };
        assert_eq!(barcode.validate(), Ok(Some(Wallet::Wechat)));
        let retried = NewOrder { auth_code: Some(Secret::new("134567890123450000".into())), ..barcode.clone() };
        assert_eq!(barcode.fingerprint_source(), retried.fingerprint_source());
        assert_ne!(base().fingerprint_source(), NewOrder { amount: 101, ..base() }.fingerprint_source());
    }
}

//! The `biz_content` of order-creating calls, and the two ways that are not server calls at all:
//! mobile web (a signed gateway URL the payer's browser opens) and app (a signed order string the
//! Alipay app SDK submits).

use super::account::{Account, form_encode};
use super::amount::fen_to_yuan;
use super::protocol;
use juhe_domain::channels::{BarcodePay, ChannelError, ChannelResult, CreateOrder};
use juhe_domain::money::Money;
use serde_json::{Value, json};

/// `total_amount` of an order; juhe never sends a zero or negative amount to a channel.
pub fn total_amount(amount: Money) -> ChannelResult<String> {
    match fen_to_yuan(amount) {
        Some(yuan) if amount.fen() > 0 => Ok(yuan),
        _ => Err(ChannelError::Declined {
            code: "juhe.invalid-amount".into(),
            message: "amount must be positive".into(),
        }),
    }
}

/// Common fields of a merchant-presented order.
pub fn order_biz(account: &Account, req: &CreateOrder, product_code: &str) -> ChannelResult<Value> {
    let mut biz = json!({
        "out_trade_no": req.order_no,
        "total_amount": total_amount(req.amount)?,
        "subject": req.subject,
        "product_code": product_code,
        // Bounds when the payer can still pay, also for a QR code nobody scanned before close.
        "time_expire": protocol::format_time(req.expire_at),
    });
    account.add_merchant_fields(&mut biz)?;
    Ok(biz)
}

/// JSAPI: the payer is a `buyer_id` (`2088` + 12 digits) or, for apps on OpenID, a
/// `buyer_open_id`.
pub fn jsapi_biz(account: &Account, req: &CreateOrder) -> ChannelResult<Value> {
    let payer = req.payer_id.as_deref().filter(|p| !p.is_empty()).ok_or_else(|| ChannelError::Declined {
        code: "juhe.missing-buyer-id".into(),
        message: "ALI_JSAPI needs the payer's buyer_id or buyer_open_id".into(),
    })?;
    let mut biz = order_biz(account, req, protocol::JSAPI_PAY)?;
    let key = if is_user_id(payer) { "buyer_id" } else { "buyer_open_id" };
    if let Some(obj) = biz.as_object_mut() {
        obj.insert(key.into(), Value::String(payer.to_owned()));
    }
    Ok(biz)
}

/// An Alipay user id: `2088` followed by 12 digits.
pub fn is_user_id(payer: &str) -> bool {
    payer.len() == 16 && payer.starts_with("2088") && payer.bytes().all(|b| b.is_ascii_digit())
}

/// Barcode pay (`scene=bar_code`).
pub fn barcode_biz(account: &Account, req: &BarcodePay) -> ChannelResult<Value> {
    let mut biz = json!({
        "out_trade_no": req.order_no,
        "scene": "bar_code",
        "auth_code": req.auth_code.expose(),
        "subject": req.subject,
        "total_amount": total_amount(req.amount)?,
        "product_code": protocol::FACE_TO_FACE,
    });
    if let (Some(store), Some(obj)) = (&req.store_id, biz.as_object_mut()) {
        obj.insert("store_id".into(), Value::String(store.clone()));
    }
    account.add_merchant_fields(&mut biz)?;
    Ok(biz)
}

/// Mobile web: the signed gateway URL (GET) that shows Alipay's cashier to the payer.
pub fn wap_url(account: &Account, req: &CreateOrder) -> ChannelResult<String> {
    let biz = order_biz(account, req, protocol::QUICK_WAP_WAY)?;
    let return_url = req.return_url.as_deref().unwrap_or("");
    let params = account.signed_params(
        protocol::WAP_PAY,
        &biz,
        &[("notify_url", &account.notify_url), ("return_url", return_url)],
    );
    let separator = if account.gateway.contains('?') { '&' } else { '?' };
    Ok(format!("{}{separator}{}", account.gateway, form_encode(&params)))
}

/// App: the signed order string handed to the Alipay app SDK on the payer's phone.
pub fn app_order_string(account: &Account, req: &CreateOrder) -> ChannelResult<String> {
    let biz = order_biz(account, req, protocol::QUICK_MSECURITY_PAY)?;
    let params = account.signed_params(protocol::APP_PAY, &biz, &[("notify_url", &account.notify_url)]);
    Ok(form_encode(&params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_and_open_ids() {
        assert!(is_user_id("2088102169481075"));
        assert!(!is_user_id("074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"));
        assert!(!is_user_id("20881021694810751"));
        assert!(total_amount(Money(0)).is_err());
        assert_eq!(total_amount(Money(1)).ok().as_deref(), Some("0.01"));
    }
}

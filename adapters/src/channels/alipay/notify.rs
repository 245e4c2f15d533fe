//! Alipay's asynchronous notifications: a form POST signed with the Alipay key over all fields but
//! `sign` and `sign_type`. Only a notification that verifies, is RSA2, and names our app is read.

use super::account::Account;
use super::amount::yuan_to_fen;
use super::mapping;
use super::protocol;
use super::sign::{self, Covers};
use juhe_domain::channels::*;
use std::collections::HashMap;

const TRADE_STATUS_SYNC: &str = "trade_status_sync";

fn bad(why: impl Into<String>) -> ChannelError {
    ChannelError::BadMessage(why.into())
}

pub fn parse(account: &Account, req: &InboundRequest<'_>) -> ChannelResult<ChannelNotification> {
    let mut fields: HashMap<String, String> = HashMap::new();
    for (key, value) in form_urlencoded::parse(req.body) {
        // A repeated field could make what we verify differ from what we read.
        if fields.insert(key.into_owned(), value.into_owned()).is_some() {
            return Err(bad("repeated field in notification"));
        }
    }
    let get = |key: &str| fields.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let signature = get("sign").ok_or_else(|| bad("notification without sign"))?;
    if get("sign_type") != Some(sign::SIGN_TYPE) {
        return Err(bad("notification sign_type is not RSA2"));
    }
    let content = sign::content_to_sign(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), Covers::Notification);
    if !account.keys.verify(&content, signature) {
        return Err(bad("notification signature does not verify with the Alipay public key"));
    }
    if get("app_id") != Some(account.app_id.as_str()) {
        return Err(bad("notification is for another app_id"));
    }
    let kind = get("notify_type").unwrap_or(TRADE_STATUS_SYNC);
    if kind != TRADE_STATUS_SYNC {
        return Ok(ChannelNotification::Other { kind: kind.to_owned() });
    }
    let order_no = get("out_trade_no").ok_or_else(|| bad("notification without out_trade_no"))?.to_owned();
    let time = |key: &str| match get(key) {
        None => Ok(None),
        Some(text) => protocol::parse_time(text).map(Some).ok_or_else(|| bad(format!("malformed `{key}`"))),
    };
    let money = |key: &str| match get(key) {
        None => Ok(None),
        Some(text) => yuan_to_fen(text).map(Some).ok_or_else(|| bad(format!("malformed `{key}`"))),
    };

    // A refund shows up as a trade-status notification naming the refund (`out_biz_no`) and the
    // refunded total (`refund_fee`, cumulative, so not this refund's amount).
    if let (Some(refund_no), Some(_)) = (get("out_biz_no"), get("refund_fee")) {
        money("refund_fee")?;
        return Ok(ChannelNotification::Refund {
            refund_no: refund_no.to_owned(),
            order_no,
            sub_merchant_id: None,
            amount: None,
            status: RefundStatus {
                state: RefundState::Succeeded,
                channel_refund_no: get("trade_no").map(str::to_owned),
                succeeded_at: time("gmt_refund")?,
                message: None,
            },
        });
    }

    let trade_status = get("trade_status").ok_or_else(|| bad("notification without trade_status"))?;
    let paid_at = time("gmt_payment")?;
    let state = mapping::trade_state(trade_status, paid_at.is_some())
        .ok_or_else(|| bad(format!("unknown trade_status {trade_status}")))?;
    Ok(ChannelNotification::Payment {
        order_no,
        // Alipay notifications do not name the smid; the order is matched by out_trade_no, app
        // and amount.
        sub_merchant_id: None,
        status: TradeStatus {
            state,
            channel_trade_no: get("trade_no").map(str::to_owned),
            amount: money("total_amount")?,
            paid_at: if state == TradeState::Paid { paid_at } else { None },
            message: Some(trade_status.to_owned()),
        },
    })
}

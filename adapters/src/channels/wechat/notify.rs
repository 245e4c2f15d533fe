//! Inbound notifications: verify the platform signature and its window over the raw body,
//! decrypt the AEAD resource with the APIv3 key, check it is for our service provider, and map
//! payment and refund events. Anything that does not pass is `BadMessage`.

use super::account::Account;
use super::aead::ALGORITHM;
use super::mapping::{parse_time, refund_state, trade_status};
use super::protocol::{Notification, RefundNotice, Transaction};
use super::sign::WechatpaySignature;
use juhe_domain::channels::{Ack, ChannelError, ChannelNotification, ChannelResult, InboundRequest, RefundStatus};
use juhe_domain::money::Money;
use serde::de::DeserializeOwned;

const ENCRYPTED: &str = "encrypt-resource";

/// `now` (Unix seconds) bounds the signature's timestamp window.
pub(crate) fn parse(account: &Account, req: &InboundRequest<'_>, now: i64) -> ChannelResult<ChannelNotification> {
    WechatpaySignature::from_headers(|name| req.header(name))
        .and_then(|sig| sig.verify(&account.platform, req.body, now))
        .map_err(|err| bad(&format!("notification signature: {err}")))?;
    let envelope: Notification = serde_json::from_slice(req.body).map_err(|e| bad(&format!("envelope: {e}")))?;
    let kind = envelope.event_type.as_str();
    if kind == "TRANSACTION.SUCCESS" {
        let tx: Transaction = open(account, &envelope, "transaction")?;
        check_sp(account, tx.sp_mchid.as_deref())?;
        Ok(ChannelNotification::Payment {
            order_no: tx.out_trade_no.clone(),
            sub_merchant_id: tx.sub_mchid.clone(),
            status: trade_status(&tx),
        })
    } else if kind.starts_with("REFUND.") {
        let notice: RefundNotice = open(account, &envelope, "refund")?;
        check_sp(account, Some(&notice.sp_mchid))?;
        Ok(ChannelNotification::Refund {
            refund_no: notice.out_refund_no,
            order_no: notice.out_trade_no,
            sub_merchant_id: Some(notice.sub_mchid),
            amount: Some(Money(notice.amount.refund)),
            status: RefundStatus {
                state: refund_state(&notice.refund_status),
                channel_refund_no: Some(notice.refund_id),
                succeeded_at: notice.success_time.as_deref().and_then(parse_time),
                message: Some(format!("{kind}: {}", envelope.summary)),
            },
        })
    } else {
        // Verified, but about complaints, violations, profit sharing…: handled elsewhere.
        Ok(ChannelNotification::Other { kind: envelope.event_type })
    }
}

fn open<T: DeserializeOwned>(account: &Account, envelope: &Notification, original_type: &str) -> ChannelResult<T> {
    let resource = &envelope.resource;
    if envelope.resource_type != ENCRYPTED || resource.algorithm != ALGORITHM {
        return Err(bad("resource is not AEAD_AES_256_GCM"));
    }
    if !resource.original_type.is_empty() && resource.original_type != original_type {
        return Err(bad(&format!("{} resource in a {} event", resource.original_type, envelope.event_type)));
    }
    let plain = account
        .api_v3_key
        .decrypt(&resource.nonce, &resource.associated_data, &resource.ciphertext)
        .map_err(|_| bad("resource does not decrypt with the api_v3_key"))?;
    serde_json::from_slice(&plain).map_err(|e| bad(&format!("resource: {e}")))
}

/// A notification for another service provider was not meant for this account.
fn check_sp(account: &Account, sp_mchid: Option<&str>) -> ChannelResult<()> {
    match sp_mchid {
        Some(sp) if sp == account.sp_mchid => Ok(()),
        other => Err(bad(&format!("sp_mchid {other:?} is not this account's"))),
    }
}

fn bad(reason: &str) -> ChannelError {
    ChannelError::BadMessage(reason.to_owned())
}

/// WeChat stops retrying on 200 `{"code":"SUCCESS"}`; anything else is retried on its schedule.
pub(crate) fn ack(accepted: bool) -> Ack {
    if accepted {
        Ack { status: 200, content_type: "application/json", body: r#"{"code":"SUCCESS"}"#.into() }
    } else {
        Ack { status: 500, content_type: "application/json", body: r#"{"code":"FAIL","message":"失败"}"#.into() }
    }
}

//! The acquirer's result notifications (`reqType=0250000903`): a form POST to the `backUrl` of
//! the transaction, signed like every answer. Only a notification that verifies with UnionPay's
//! key (the one `unionpay_cert_id` names) and names our acquirer code is read; `origReqType`
//! says which transaction it reports (QR apply or barcode pay → payment, refund → refund) and
//! `origRespCode` its outcome.

use super::account::Account;
use super::mapping;
use super::message::Message;
use super::protocol::{self, field};
use super::qr::QR_APPLY;
use juhe_domain::channels::*;

fn bad(why: impl Into<String>) -> ChannelError {
    ChannelError::BadMessage(why.into())
}

pub fn parse(account: &Account, req: &InboundRequest<'_>) -> ChannelResult<ChannelNotification> {
    let msg = Message::parse_form(req.body).ok_or_else(|| bad("repeated field in notification"))?;
    account.keys.verify(&msg).map_err(|why| bad(format!("notification not trusted: {why}")))?;
    if msg.get(field::REQ_TYPE) != Some(protocol::NOTIFICATION) {
        return Err(bad("not a notification reqType"));
    }
    if msg.get(field::ACQ_CODE) != Some(account.acq_code.as_str()) {
        return Err(bad("notification is for another acquirer code"));
    }
    let required = |key: &str| msg.get(key).ok_or_else(|| bad(format!("notification without `{key}`")));
    let order_no = required(field::ORDER_NO)?.to_owned();
    let orig_req_type = required(field::ORIG_REQ_TYPE)?;
    let orig_resp_code = required(field::ORIG_RESP_CODE)?;
    let sub_merchant_id = msg.get(field::MER_ID).map(str::to_owned);
    let amount = mapping::amount(&msg, field::TXN_AMT).map_err(|_| bad("malformed `txnAmt`"))?;
    let done_at = mapping::time(&msg, field::TXN_TIME).map_err(|_| bad("malformed `txnTime`"))?;
    let message = msg.get(field::ORIG_RESP_MSG).map(str::to_owned);
    let channel_no = msg.get(field::QUERY_ID).map(str::to_owned);

    match orig_req_type {
        QR_APPLY | protocol::PAY => {
            let state = mapping::trade_state(orig_req_type, orig_resp_code);
            Ok(ChannelNotification::Payment {
                order_no,
                sub_merchant_id,
                status: TradeStatus {
                    state,
                    channel_trade_no: channel_no,
                    amount,
                    paid_at: done_at.filter(|_| state == TradeState::Paid),
                    message,
                },
            })
        }
        protocol::REFUND => {
            let state = mapping::refund_state(orig_resp_code);
            Ok(ChannelNotification::Refund {
                refund_no: order_no,
                order_no: required(field::ORIG_ORDER_NO)?.to_owned(),
                sub_merchant_id,
                amount,
                status: RefundStatus {
                    state,
                    channel_refund_no: channel_no,
                    succeeded_at: done_at.filter(|_| state == RefundState::Succeeded),
                    message,
                },
            })
        }
        other => Ok(ChannelNotification::Other { kind: format!("unionpay.{other}") }),
    }
}

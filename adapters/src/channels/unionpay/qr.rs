//! UP_QR, the merchant-presented QR code (主扫), isolated here because its shape is not in
//! CHANNELS.md (unverified, our choice within the same family): request type `0210000903`
//! ("QR code apply") with the common fields plus `txnAmt`, `currencyCode=156`, `backUrl` and
//! `payTimeout` (`yyyyMMddHHmmss`, Beijing: the code is not payable after it); the success
//! answer carries `qrCode`, the content to show as a QR code. The same `orderNo` with the same
//! content answers the same `qrCode` again.

use super::account::Account;
use super::mapping;
use super::message::Message;
use super::protocol::{self, field};
use juhe_domain::channels::{ChannelError, ChannelResult, CreateOrder, Created};
use juhe_domain::money::Money;
use serde_json::json;

pub const QR_APPLY: &str = "0210000903";
pub const PAY_TIMEOUT: &str = "payTimeout";
pub const QR_CODE: &str = "qrCode";

/// `txnAmt` of a new transaction; juhe never sends a zero or negative amount to a channel.
pub fn txn_amt(amount: Money) -> ChannelResult<String> {
    if amount.fen() > 0 {
        Ok(protocol::format_fen(amount))
    } else {
        Err(ChannelError::Declined { code: "juhe.invalid-amount".into(), message: "amount must be positive".into() })
    }
}

pub fn apply_request(account: &Account, req: &CreateOrder) -> ChannelResult<Message> {
    let mut msg = account.request(QR_APPLY, &req.order_no)?;
    msg.set(field::TXN_AMT, txn_amt(req.amount)?);
    msg.set(field::CURRENCY_CODE, protocol::CURRENCY_CNY);
    msg.set(field::BACK_URL, account.notify_url.as_str());
    msg.set(PAY_TIMEOUT, protocol::format_time(req.expire_at));
    Ok(msg)
}

/// The pay_data of a verified `00` answer: `{code_url}`.
pub fn created(answer: &Message) -> ChannelResult<Created> {
    let qr_code = answer
        .get(QR_CODE)
        .ok_or_else(|| ChannelError::Unknown(format!("{QR_APPLY}: success answer without `{QR_CODE}`")))?;
    Ok(Created {
        pay_data: json!({ "code_url": qr_code }),
        channel_trade_no: answer.get(field::QUERY_ID).map(str::to_owned),
    })
}

/// Reads a QR apply answer.
pub fn read_answer(answer: &Message) -> ChannelResult<Created> {
    if mapping::resp_code(answer) == protocol::code::SUCCESS {
        created(answer)
    } else {
        Err(mapping::failure(answer, mapping::Stakes::Creation))
    }
}

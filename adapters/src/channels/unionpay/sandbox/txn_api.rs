//! The transactions behind the sandbox gateway: each reads the checked request, acts on the order
//! book and answers the acquirer's fields. Barcode outcomes follow the payer code's last four
//! digits: `0000` (and any other) paid at once, `1111` waiting for the payer (`05`) until
//! `simulate/pay`, `2222` declined (`60`), `3333` status unknown (`04`, the payment waits like
//! `1111`). Only 19-digit codes starting `62` are UnionPay's.

use super::super::message::Message;
use super::super::protocol::{self, code, field, format_date, format_time};
use super::super::qr::{PAY_TIMEOUT, QR_APPLY, QR_CODE};
use super::UnionpaySandbox;
use super::book::{self, Kind, NewTxn, Reject, Status, Txn};
use super::keys::random_digits;
use super::{bill, notify};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::payments::way::Wallet;
use time::OffsetDateTime;

/// A checked request.
pub struct Call<'a> {
    pub msg: &'a Message,
    /// `txnAmt` in fen (0 for request types without one).
    pub amount: i64,
    pub base_url: &'a str,
    pub now: OffsetDateTime,
}

impl Call<'_> {
    fn get(&self, key: &str) -> &str {
        self.msg.get(key).unwrap_or("")
    }

    fn new_txn(&self, kind: Kind, fingerprint: String) -> NewTxn {
        NewTxn {
            kind,
            mer_id: self.get(field::MER_ID).to_owned(),
            term_id: self.get(field::TERM_ID).to_owned(),
            order_no: self.get(field::ORDER_NO).to_owned(),
            order_time: self.get(field::ORDER_TIME).to_owned(),
            orig_order_no: self.msg.get(field::ORIG_ORDER_NO).map(str::to_owned),
            fingerprint,
            amount: self.amount,
            expire_at: None,
            back_url: self.msg.get(field::BACK_URL).map(str::to_owned),
        }
    }
}

/// What the gateway answers, before the echoed fields and the signature.
pub struct Reply {
    pub code: &'static str,
    pub message: &'static str,
    pub fields: Message,
}

impl From<Reject> for Reply {
    fn from(Reject(code, message): Reject) -> Self {
        Reply { code, message, fields: Message::new() }
    }
}

fn success(fields: Message) -> Reply {
    Reply { code: code::SUCCESS, message: "成功", fields }
}

const PAY_FAILED: Reject = Reject(code::PAY_FAILED, "付款码无效或已过期，请顾客刷新付款码");
const MISSING: Reject = Reject(code::MISSING_FIELD, "报文交易要素缺失");
const MALFORMED: Reject = Reject(code::FORMAT_ERROR, "报文格式错误");

pub fn dispatch(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Reply {
    let outcome = match call.get(field::REQ_TYPE) {
        QR_APPLY => qr_apply(sandbox, call),
        protocol::PAY => return barcode_pay(sandbox, call).unwrap_or_else(Reply::from),
        protocol::REVERSAL => reversal(sandbox, call),
        protocol::VOID => void(sandbox, call),
        protocol::REFUND => refund(sandbox, call),
        protocol::QUERY => query(sandbox, call),
        _ => statement(sandbox, call),
    };
    outcome.map(success).unwrap_or_else(Reply::from)
}

/// The fields describing a transaction's result (answers, queries, notifications).
pub fn txn_fields(txn: &Txn) -> Message {
    let mut fields = Message::new().with(field::QUERY_ID, txn.query_id.as_str());
    if !txn.is_tombstone() {
        fields.set(field::TXN_AMT, txn.amount.to_string());
        fields.set(field::CURRENCY_CODE, protocol::CURRENCY_CNY);
    }
    if let Some(done_at) = txn.done_at {
        fields.set(field::TXN_TIME, format_time(done_at));
        fields.set(field::SETTLE_DATE, format_date(done_at.to_offset(protocol::BEIJING).date()));
    }
    if let Some(orig) = &txn.orig_order_no {
        fields.set(field::ORIG_ORDER_NO, orig.as_str());
    }
    fields
}

fn qr_apply(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Message, Reject> {
    let expire_at = match call.msg.get(PAY_TIMEOUT) {
        None => None,
        Some(text) => Some(protocol::parse_time(text).ok_or(MALFORMED)?),
    };
    let fingerprint = format!("{QR_APPLY}|{}|{}", call.amount, call.get(field::TERM_ID));
    let mut new = call.new_txn(Kind::Qr, fingerprint);
    new.expire_at = expire_at;
    let mut book = sandbox.book();
    let txn = book.open(new, call.now)?;
    if txn.status != Status::Waiting {
        return Err(book::CLOSED);
    }
    // The same request again shows the same code.
    let qr_code = txn.qr_code.get_or_insert_with(|| format!("{}/qr/{}", call.base_url, random_digits(20))).clone();
    Ok(Message::new().with(QR_CODE, qr_code))
}

fn barcode_pay(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Reply, Reject> {
    let qr_no = call.msg.get(field::QR_NO).ok_or(MISSING)?;
    if Wallet::from_auth_code(qr_no) != Some(Wallet::UnionPay) || qr_no.ends_with("2222") {
        return Err(PAY_FAILED);
    }
    let waits = qr_no.ends_with("1111") || qr_no.ends_with("3333");
    let fingerprint = format!("{}|{}|{}|{qr_no}", protocol::PAY, call.amount, call.get(field::TERM_ID));
    let mut book = sandbox.book();
    let txn = book.open(call.new_txn(Kind::Barcode, fingerprint), call.now)?;
    if !waits && book::pay(txn, call.now)? {
        sandbox.send(notify::result(&sandbox.keys, txn));
    }
    let fields = txn_fields(txn);
    Ok(match txn.status {
        Status::Succeeded => success(fields),
        _ if qr_no.ends_with("3333") => Reply { code: code::STATUS_UNKNOWN, message: "交易状态未明", fields },
        _ => Reply { code: code::IN_PROGRESS, message: "交易处理中，等待用户输入密码", fields },
    })
}

/// Undoes a transaction whatever its state: unpaid → reversed (no longer payable), paid →
/// reversed and refunded in full (no notification: the reversal's answer is the result).
fn reversal(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Message, Reject> {
    let mut book = sandbox.book();
    let (mer_id, order_no) = (call.get(field::MER_ID), call.get(field::ORDER_NO));
    let Some(txn) = book.get(mer_id, order_no, call.now) else {
        book.tombstone(mer_id, call.get(field::TERM_ID), order_no, Status::Reversed, call.now);
        return Ok(Message::new());
    };
    if txn.kind == Kind::Refund || txn.refunded > 0 {
        return Err(book::WRONG_STATE);
    }
    txn.status = Status::Reversed;
    Ok(txn_fields(txn))
}

/// Cancels an unpaid transaction (its QR code can no longer be paid); a paid one is refused.
fn void(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Message, Reject> {
    let mut book = sandbox.book();
    let (mer_id, order_no) = (call.get(field::MER_ID), call.get(field::ORDER_NO));
    let Some(txn) = book.get(mer_id, order_no, call.now) else {
        book.tombstone(mer_id, call.get(field::TERM_ID), order_no, Status::Closed, call.now);
        return Ok(Message::new());
    };
    match (txn.kind, txn.status) {
        (Kind::Refund, _) | (_, Status::Succeeded) => Err(book::WRONG_STATE),
        (_, Status::Reversed) => Err(book::REVERSED),
        (_, Status::Waiting | Status::Closed) => {
            txn.status = Status::Closed;
            Ok(txn_fields(txn))
        }
    }
}

fn refund(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Message, Reject> {
    let orig = call.msg.get(field::ORIG_ORDER_NO).ok_or(MISSING)?;
    let fingerprint = format!("{}|{orig}|{}", protocol::REFUND, call.amount);
    let (refund, moved) = sandbox.book().refund(call.new_txn(Kind::Refund, fingerprint), call.now)?;
    if moved {
        sandbox.send(notify::result(&sandbox.keys, &refund));
    }
    Ok(txn_fields(&refund))
}

/// The transaction `orderNo` names: `origReqType` says what it is, `origRespCode` how it stands.
fn query(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Message, Reject> {
    let mut book = sandbox.book();
    let txn = book.get(call.get(field::MER_ID), call.get(field::ORDER_NO), call.now).ok_or(book::NOT_FOUND)?;
    let (orig_code, orig_msg) = txn.status.outcome();
    let mut fields = txn_fields(txn);
    fields.set(field::ORIG_REQ_TYPE, txn.kind.req_type());
    fields.set(field::ORIG_RESP_CODE, orig_code);
    fields.set(field::ORIG_RESP_MSG, orig_msg);
    Ok(fields)
}

/// The day's statement as `fileContent` (Base64 of the CSV, see `bill.rs`); the merchant's when
/// the request names one.
fn statement(sandbox: &UnionpaySandbox, call: &Call<'_>) -> Result<Message, Reject> {
    let text = call.msg.get(field::SETTLE_DATE).ok_or(MISSING)?;
    let date = protocol::parse_date(text).ok_or(MALFORMED)?;
    // Statements exist for past days; the sandbox also serves today's, so demos need not wait.
    if date > call.now.to_offset(protocol::BEIJING).date() {
        return Err(Reject(code::NOT_FOUND, "对账文件不存在"));
    }
    let csv = {
        let book = sandbox.book();
        let mer_id = call.msg.get(field::MER_ID);
        bill::csv(&sandbox.keys.acq_code, book.txns().filter(|t| mer_id.is_none_or(|m| t.mer_id == m)), date)
    };
    Ok(Message::new()
        .with(field::SETTLE_DATE, text)
        .with(field::FILE_NAME, bill::file_name(&sandbox.keys.acq_code, date))
        .with(field::FILE_CONTENT, STANDARD.encode(csv)))
}

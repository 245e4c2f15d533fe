//! The sandbox's in-memory order book: transactions (QR applies, barcode payments, refunds)
//! keyed by (`merId`, `orderNo`), with the acquirer's rules — one transaction per order number
//! (the same request again gets the same transaction, other content `36`), unpaid QR codes close
//! at `payTimeout`, refunds are transactions of their own, idempotent per refund number and
//! never above what is left of the payment.

use super::super::protocol::{self, code, format_time};
use super::super::qr::QR_APPLY;
use super::keys::random_digits;
use std::collections::HashMap;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Qr,
    Barcode,
    Refund,
}

impl Kind {
    pub fn req_type(self) -> &'static str {
        match self {
            Kind::Qr => QR_APPLY,
            Kind::Barcode => protocol::PAY,
            Kind::Refund => protocol::REFUND,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// QR code not paid yet; barcode waiting for the payer.
    Waiting,
    Succeeded,
    Closed,
    Reversed,
}

impl Status {
    /// The transaction's outcome as `origRespCode` / `origRespMsg`.
    pub fn outcome(self) -> (&'static str, &'static str) {
        match self {
            Status::Waiting => (code::IN_PROGRESS, "交易处理中"),
            Status::Succeeded => (code::SUCCESS, "成功"),
            Status::Closed => (code::CLOSED, "交易已关闭"),
            Status::Reversed => (code::REVERSED, "交易已冲正"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Txn {
    pub kind: Kind,
    pub mer_id: String,
    pub term_id: String,
    pub order_no: String,
    pub order_time: String,
    /// Refunds: the payment refunded.
    pub orig_order_no: Option<String>,
    /// What identifies "the same request"; empty for a tombstone (a reversal or void of a
    /// transaction never seen, kept so that a late request is refused).
    pub fingerprint: String,
    /// Fen.
    pub amount: i64,
    pub status: Status,
    pub query_id: String,
    /// When it was paid (refunds: made).
    pub done_at: Option<OffsetDateTime>,
    pub expire_at: Option<OffsetDateTime>,
    pub back_url: Option<String>,
    pub qr_code: Option<String>,
    /// Payments: the sum of their refunds.
    pub refunded: i64,
}

impl Txn {
    pub fn is_tombstone(&self) -> bool {
        self.fingerprint.is_empty()
    }
}

/// What a new transaction looks like before it is stored.
#[derive(Clone, Debug)]
pub struct NewTxn {
    pub kind: Kind,
    pub mer_id: String,
    pub term_id: String,
    pub order_no: String,
    pub order_time: String,
    pub orig_order_no: Option<String>,
    pub fingerprint: String,
    pub amount: i64,
    pub expire_at: Option<OffsetDateTime>,
    pub back_url: Option<String>,
}

/// A refusal, answered as `respCode` / `respMsg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject(pub &'static str, pub &'static str);

pub const NOT_FOUND: Reject = Reject(code::NOT_FOUND, "查无此交易");
pub const WRONG_STATE: Reject = Reject(code::WRONG_STATE, "原交易不存在或状态不正确");
pub const INCONSISTENT: Reject = Reject(code::INCONSISTENT, "与原交易信息不符");
pub const DUPLICATE: Reject = Reject(code::DUPLICATE, "重复交易，订单已支付");
pub const CLOSED: Reject = Reject(code::CLOSED, "交易已关闭");
pub const REVERSED: Reject = Reject(code::REVERSED, "交易已冲正");
pub const OVER_REFUND: Reject = Reject(code::AMOUNT_LIMIT, "退款金额超过可退金额");

#[derive(Default, Debug)]
pub struct Book {
    txns: HashMap<(String, String), Txn>,
}

fn key(mer_id: &str, order_no: &str) -> (String, String) {
    (mer_id.to_owned(), order_no.to_owned())
}

/// A 21-digit acquirer number: the Beijing time and random digits.
fn new_query_id(now: OffsetDateTime) -> String {
    format!("{}{}", format_time(now), random_digits(7))
}

impl Book {
    /// The transaction, after closing an unpaid QR code whose `payTimeout` has passed.
    pub fn get(&mut self, mer_id: &str, order_no: &str, now: OffsetDateTime) -> Option<&mut Txn> {
        let txn = self.txns.get_mut(&key(mer_id, order_no))?;
        if txn.kind == Kind::Qr && txn.status == Status::Waiting && txn.expire_at.is_some_and(|at| at <= now) {
            txn.status = Status::Closed;
        }
        Some(txn)
    }

    /// A payment by order number in any merchant (the control endpoints name only that).
    pub fn find_payment(&mut self, order_no: &str, now: OffsetDateTime) -> Option<&mut Txn> {
        let (mer_id, _) = self
            .txns
            .iter()
            .find(|((_, o), t)| o == order_no && t.kind != Kind::Refund && !t.is_tombstone())
            .map(|(k, _)| k.clone())?;
        self.get(&mer_id, order_no, now)
    }

    /// A QR transaction by the last path segment of its code.
    pub fn find_by_qr(&mut self, token: &str, now: OffsetDateTime) -> Option<&mut Txn> {
        let suffix = format!("/qr/{token}");
        let matches = |t: &Txn| !token.is_empty() && t.qr_code.as_deref().is_some_and(|q| q.ends_with(&suffix));
        let (mer_id, order_no) = self.txns.iter().find(|(_, t)| matches(t)).map(|(k, _)| k.clone())?;
        self.get(&mer_id, &order_no, now)
    }

    /// Opens a QR or barcode transaction, or returns the existing one when the same request comes
    /// again and it can still be answered as before.
    pub fn open(&mut self, new: NewTxn, now: OffsetDateTime) -> Result<&mut Txn, Reject> {
        let k = key(&new.mer_id, &new.order_no);
        if self.get(&k.0, &k.1, now).is_some() {
            let existing = self.txns.get_mut(&k).ok_or(NOT_FOUND)?;
            return match existing.status {
                Status::Reversed => Err(REVERSED),
                Status::Closed if existing.is_tombstone() => Err(CLOSED),
                _ if existing.fingerprint != new.fingerprint || existing.kind != new.kind => Err(INCONSISTENT),
                Status::Closed => Err(CLOSED),
                Status::Succeeded if existing.kind == Kind::Qr => Err(DUPLICATE),
                Status::Succeeded | Status::Waiting => Ok(existing),
            };
        }
        let txn = Txn {
            kind: new.kind,
            mer_id: new.mer_id,
            term_id: new.term_id,
            order_no: new.order_no,
            order_time: new.order_time,
            orig_order_no: new.orig_order_no,
            fingerprint: new.fingerprint,
            amount: new.amount,
            status: Status::Waiting,
            query_id: new_query_id(now),
            done_at: None,
            expire_at: new.expire_at,
            back_url: new.back_url,
            qr_code: None,
            refunded: 0,
        };
        Ok(self.txns.entry(k).or_insert(txn))
    }

    /// Remembers a reversal or void of a transaction never seen, so that a late one is refused.
    pub fn tombstone(&mut self, mer_id: &str, term_id: &str, order_no: &str, status: Status, now: OffsetDateTime) {
        self.txns.entry(key(mer_id, order_no)).or_insert_with(|| Txn {
            kind: Kind::Barcode,
            mer_id: mer_id.to_owned(),
            term_id: term_id.to_owned(),
            order_no: order_no.to_owned(),
            order_time: format_time(now),
            orig_order_no: None,
            fingerprint: String::new(),
            amount: 0,
            status,
            query_id: new_query_id(now),
            done_at: None,
            expire_at: None,
            back_url: None,
            qr_code: None,
            refunded: 0,
        });
    }

    /// Refunds part of a paid transaction. `Ok((refund, true))` when money moved now,
    /// `Ok((refund, false))` for the same refund again.
    pub fn refund(&mut self, new: NewTxn, now: OffsetDateTime) -> Result<(Txn, bool), Reject> {
        if let Some(existing) = self.txns.get(&key(&new.mer_id, &new.order_no)) {
            let same = existing.kind == Kind::Refund && existing.fingerprint == new.fingerprint;
            return if same { Ok((existing.clone(), false)) } else { Err(INCONSISTENT) };
        }
        let orig_no = new.orig_order_no.clone().unwrap_or_default();
        let orig = self
            .get(&new.mer_id, &orig_no, now)
            .filter(|t| t.kind != Kind::Refund && !t.is_tombstone() && t.status == Status::Succeeded)
            .ok_or(WRONG_STATE)?;
        if new.amount <= 0 || orig.refunded + new.amount > orig.amount {
            return Err(OVER_REFUND);
        }
        orig.refunded += new.amount;
        let refund = Txn {
            kind: Kind::Refund,
            mer_id: new.mer_id,
            term_id: new.term_id,
            order_no: new.order_no,
            order_time: new.order_time,
            orig_order_no: new.orig_order_no,
            fingerprint: new.fingerprint,
            amount: new.amount,
            status: Status::Succeeded,
            query_id: new_query_id(now),
            done_at: Some(now),
            expire_at: None,
            back_url: new.back_url,
            qr_code: None,
            refunded: 0,
        };
        self.txns.insert(key(&refund.mer_id, &refund.order_no), refund.clone());
        Ok((refund, true))
    }

    /// All transactions, for the statement.
    pub fn txns(&self) -> impl Iterator<Item = &Txn> {
        self.txns.values()
    }
}

/// The payer pays. `Ok(true)` when the transaction became paid now (a notification is due).
pub fn pay(txn: &mut Txn, now: OffsetDateTime) -> Result<bool, Reject> {
    match txn.status {
        Status::Waiting => {
            txn.status = Status::Succeeded;
            txn.done_at = Some(now);
            Ok(true)
        }
        Status::Succeeded => Ok(false),
        Status::Closed => Err(CLOSED),
        Status::Reversed => Err(REVERSED),
    }
}

//! The sandbox's in-memory order book: trades keyed by (scope, out_trade_no) — the scope is the
//! app, or the app and the authorizing merchant (see `merchants`) — and found by `trade_no` too,
//! with their refunds, under Alipay's rules: one trade per out_trade_no (the same request again
//! gets the same trade, a different one `ACQ.CONTEXT_INCONSISTENT`), a precreated trade exists
//! for Alipay only once the payer scanned its code, unpaid trades close at `time_expire`, refunds
//! are idempotent per `out_request_no` and never exceed what was paid.

use super::keys::random_digits;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    WaitBuyerPay,
    Success,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::WaitBuyerPay => "WAIT_BUYER_PAY",
            Status::Success => "TRADE_SUCCESS",
            Status::Closed => "TRADE_CLOSED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Refund {
    pub out_request_no: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct Trade {
    /// The app that called.
    pub app_id: String,
    /// What `out_trade_no` is unique in (see `Principal::scope`).
    pub scope: String,
    /// The seller's PID and the app the seller authorized (the platform's own for ZFT trades).
    pub seller_id: String,
    pub auth_app_id: String,
    pub out_trade_no: String,
    pub trade_no: String,
    /// What identifies "the same request" (method, amount, subject, merchant, payer).
    pub fingerprint: String,
    /// Fen.
    pub total: i64,
    pub subject: String,
    pub store_id: Option<String>,
    pub buyer_id: String,
    pub buyer_open_id: Option<String>,
    pub status: Status,
    pub created_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub expire_at: Option<OffsetDateTime>,
    pub notify_url: Option<String>,
    pub qr_code: Option<String>,
    pub refunds: Vec<Refund>,
    /// A barcode trade whose first cancel is answered `retry_flag=Y`.
    pub cancel_busy: bool,
    /// Whether Alipay knows the trade: a precreated (QR) trade only once the payer scanned it.
    pub scanned: bool,
}

impl Trade {
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
}

/// What a new trade looks like before it is stored.
#[derive(Clone, Debug)]
pub struct NewTrade {
    pub app_id: String,
    pub scope: String,
    pub seller_id: String,
    pub auth_app_id: String,
    pub out_trade_no: String,
    pub fingerprint: String,
    pub total: i64,
    pub subject: String,
    pub store_id: Option<String>,
    pub buyer_id: Option<String>,
    pub buyer_open_id: Option<String>,
    pub expire_at: Option<OffsetDateTime>,
    pub notify_url: Option<String>,
    /// A precreated trade: unknown to Alipay until the payer scans its code.
    pub awaits_scan: bool,
}

/// A business failure, answered as `code=40004` with this `sub_code`/`sub_msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fail(pub &'static str, pub &'static str);

pub const NOT_EXIST: Fail = Fail("ACQ.TRADE_NOT_EXIST", "交易不存在");
pub const INCONSISTENT: Fail = Fail("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
pub const HAS_SUCCESS: Fail = Fail("ACQ.TRADE_HAS_SUCCESS", "交易已被支付");
pub const HAS_CLOSE: Fail = Fail("ACQ.TRADE_HAS_CLOSE", "交易已经关闭");
pub const STATUS_ERROR: Fail = Fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
pub const REFUND_EXCEEDS: Fail = Fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
pub const REFUND_INCONSISTENT: Fail = Fail("ACQ.REQUEST_AMOUNT_EXCEED", "请求退款金额与原请求不一致");

/// How a refund request ended.
pub enum Refunded {
    /// Money moved now.
    New(Refund),
    /// The same `out_request_no` again: nothing moved (`fund_change=N`).
    Repeated(Refund),
}

#[derive(Default, Debug)]
pub struct Book {
    trades: HashMap<(String, String), Trade>,
    /// `trade_no` → the trade's key.
    by_trade_no: HashMap<String, (String, String)>,
}

impl Book {
    /// The trade, after closing it if its `time_expire` has passed unpaid.
    pub fn get(&mut self, scope: &str, out_trade_no: &str, now: OffsetDateTime) -> Option<&mut Trade> {
        let trade = self.trades.get_mut(&(scope.to_owned(), out_trade_no.to_owned()))?;
        if trade.status == Status::WaitBuyerPay && trade.expire_at.is_some_and(|at| at <= now) {
            trade.status = Status::Closed;
        }
        Some(trade)
    }

    /// The trade of `scope` numbered `trade_no` by Alipay.
    pub fn by_trade_no(&mut self, scope: &str, trade_no: &str, now: OffsetDateTime) -> Option<&mut Trade> {
        let (found_scope, out_trade_no) = self.by_trade_no.get(trade_no).filter(|(s, _)| s == scope)?.clone();
        self.get(&found_scope, &out_trade_no, now)
    }

    /// Finds a trade by out_trade_no in any scope (the control endpoints name only that).
    pub fn find(&mut self, out_trade_no: &str, now: OffsetDateTime) -> Option<&mut Trade> {
        let scope = self.trades.keys().find(|(_, o)| o == out_trade_no).map(|(s, _)| s.clone())?;
        self.get(&scope, out_trade_no, now)
    }

    /// Finds a trade by the last path segment of its QR code.
    pub fn find_by_qr(&mut self, token: &str, now: OffsetDateTime) -> Option<&mut Trade> {
        let suffix = format!("/qr/{token}");
        let matches = |t: &Trade| !token.is_empty() && t.qr_code.as_deref().is_some_and(|q| q.ends_with(&suffix));
        let key = self.trades.iter().find(|(_, t)| matches(t)).map(|(k, _)| k.clone())?;
        self.get(&key.0, &key.1, now)
    }

    /// Opens a trade, or returns the existing one when the same request comes again.
    pub fn open(&mut self, new: NewTrade, now: OffsetDateTime) -> Result<&mut Trade, Fail> {
        let key = (new.scope.clone(), new.out_trade_no.clone());
        if self.get(&key.0, &key.1, now).is_some() {
            let existing = self.trades.get_mut(&key).ok_or(NOT_EXIST)?;
            return match existing.status {
                // A cancel arrived before the trade: the late trade is refused as closed.
                Status::Closed if existing.fingerprint.is_empty() => Err(HAS_CLOSE),
                _ if existing.fingerprint != new.fingerprint => Err(INCONSISTENT),
                Status::Success => Err(HAS_SUCCESS),
                Status::Closed => Err(HAS_CLOSE),
                Status::WaitBuyerPay => Ok(existing),
            };
        }
        let trade = Trade {
            app_id: new.app_id,
            scope: new.scope,
            seller_id: new.seller_id,
            auth_app_id: new.auth_app_id,
            out_trade_no: new.out_trade_no,
            trade_no: new_trade_no(now),
            fingerprint: new.fingerprint,
            total: new.total,
            subject: new.subject,
            store_id: new.store_id,
            buyer_id: new.buyer_id.unwrap_or_else(|| format!("2088{}", random_digits(12))),
            buyer_open_id: new.buyer_open_id,
            status: Status::WaitBuyerPay,
            created_at: now,
            paid_at: None,
            expire_at: new.expire_at,
            notify_url: new.notify_url,
            qr_code: None,
            refunds: Vec::new(),
            cancel_busy: false,
            scanned: !new.awaits_scan,
        };
        Ok(self.insert(key, trade))
    }

    /// Remembers a cancel of a trade that does not exist, so that a late payment is refused.
    pub fn tombstone(&mut self, app_id: &str, scope: &str, out_trade_no: &str, now: OffsetDateTime) -> &mut Trade {
        let key = (scope.to_owned(), out_trade_no.to_owned());
        let trade = Trade {
            app_id: app_id.to_owned(),
            scope: scope.to_owned(),
            seller_id: String::new(),
            auth_app_id: String::new(),
            out_trade_no: out_trade_no.to_owned(),
            trade_no: new_trade_no(now),
            fingerprint: String::new(),
            total: 0,
            subject: String::new(),
            store_id: None,
            buyer_id: String::new(),
            buyer_open_id: None,
            status: Status::Closed,
            created_at: now,
            paid_at: None,
            expire_at: None,
            notify_url: None,
            qr_code: None,
            refunds: Vec::new(),
            cancel_busy: false,
            scanned: true,
        };
        self.insert(key, trade)
    }

    /// Stores `trade` under `key` unless a trade is there already (which is returned).
    fn insert(&mut self, key: (String, String), trade: Trade) -> &mut Trade {
        match self.trades.entry(key) {
            Entry::Occupied(existing) => existing.into_mut(),
            Entry::Vacant(slot) => {
                self.by_trade_no.insert(trade.trade_no.clone(), slot.key().clone());
                slot.insert(trade)
            }
        }
    }

    /// All trades, for the bill.
    pub fn trades(&self) -> impl Iterator<Item = &Trade> {
        self.trades.values()
    }
}

/// The payer scans the trade's code: from now on Alipay knows the trade. A code whose trade
/// closed (expired, cancelled) can no longer be scanned.
pub fn scan(trade: &mut Trade) -> Result<(), Fail> {
    if trade.status == Status::Closed && !trade.scanned {
        return Err(HAS_CLOSE);
    }
    trade.scanned = true;
    Ok(())
}

/// The payer pays. `Ok(true)` when the trade became paid now (a notification is due).
pub fn pay(trade: &mut Trade, now: OffsetDateTime) -> Result<bool, Fail> {
    scan(trade)?;
    match trade.status {
        Status::WaitBuyerPay => {
            trade.status = Status::Success;
            trade.paid_at = Some(now);
            Ok(true)
        }
        Status::Success => Ok(false),
        Status::Closed => Err(HAS_CLOSE),
    }
}

/// Refunds `amount` fen under `out_request_no`.
pub fn refund(
    trade: &mut Trade,
    out_request_no: &str,
    amount: i64,
    reason: Option<String>,
    now: OffsetDateTime,
) -> Result<Refunded, Fail> {
    if let Some(earlier) = trade.refunds.iter().find(|r| r.out_request_no == out_request_no) {
        return if earlier.amount == amount {
            Ok(Refunded::Repeated(earlier.clone()))
        } else {
            Err(REFUND_INCONSISTENT)
        };
    }
    if trade.paid_at.is_none() {
        return Err(STATUS_ERROR);
    }
    if trade.status != Status::Success || amount <= 0 || trade.refunded() + amount > trade.total {
        return Err(if trade.status == Status::Success { REFUND_EXCEEDS } else { STATUS_ERROR });
    }
    let refund = Refund { out_request_no: out_request_no.to_owned(), amount, reason, at: now };
    trade.refunds.push(refund.clone());
    if trade.refunded() == trade.total {
        // Alipay closes a fully refunded trade.
        trade.status = Status::Closed;
    }
    Ok(Refunded::New(refund))
}

/// Alipay-like trade number: date, a fixed channel part, random digits (28 digits).
fn new_trade_no(now: OffsetDateTime) -> String {
    let day = now.to_offset(super::super::protocol::BEIJING).date();
    format!("{:04}{:02}{:02}22001{}", day.year(), u8::from(day.month()), day.day(), random_digits(15))
}

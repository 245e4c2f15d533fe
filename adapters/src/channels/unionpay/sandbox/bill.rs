//! The day's statement (对账文件) in an acquirer-like layout (unverified, ours): UTF-8 CSV, lines
//! ending `\r\n`, a `#` comment line first and a `#total` line last, one row per payment made
//! and per refund made that day (Beijing calendar date), oldest first:
//!
//! `txnType,reqType,merId,termId,orderNo,origOrderNo,queryId,txnTime,settleDate,currencyCode,txnAmt,fee,netAmt`
//!
//! - `txnType` `PAY` (QR or barcode payment) or `REFUND`; `origOrderNo` only on refunds;
//! - amounts in fen, signed from the merchant's side: a payment's `txnAmt` is positive and its
//!   `fee` (0.38 %, rounded half up) positive; a refund's `txnAmt` is negative and its `fee` the
//!   returned part, negative; `netAmt = txnAmt − fee`;
//! - reversed payments are not listed (a reversal undoes the transaction as if it never was).
//!
//! The `#total` line: `#total,payments=N,refunds=M,txnAmt=…,fee=…,netAmt=…`.

use super::super::protocol::{self, format_date, format_time};
use super::book::{Kind, Status, Txn};
use juhe_domain::money::{Money, Rate};
use time::{Date, OffsetDateTime};

pub const HEADER: [&str; 13] = [
    "txnType",
    "reqType",
    "merId",
    "termId",
    "orderNo",
    "origOrderNo",
    "queryId",
    "txnTime",
    "settleDate",
    "currencyCode",
    "txnAmt",
    "fee",
    "netAmt",
];

/// The sandbox's merchant discount rate: 0.38 %.
pub const FEE_RATE: Rate = Rate(3800);

pub fn file_name(acq_code: &str, date: Date) -> String {
    format!("UPQR_{acq_code}_{}.csv", format_date(date))
}

struct Row {
    at: OffsetDateTime,
    payment: bool,
    amount: i64,
    fee: i64,
    line: String,
}

fn row(txn: &Txn, at: OffsetDateTime, date: Date) -> Row {
    let payment = txn.kind != Kind::Refund;
    let fee = Money(txn.amount).fee_at(FEE_RATE).fen();
    let (amount, fee) = if payment { (txn.amount, fee) } else { (-txn.amount, -fee) };
    let cells = [
        if payment { "PAY" } else { "REFUND" },
        txn.kind.req_type(),
        &txn.mer_id,
        &txn.term_id,
        &txn.order_no,
        txn.orig_order_no.as_deref().unwrap_or(""),
        &txn.query_id,
        &format_time(at),
        &format_date(date),
        protocol::CURRENCY_CNY,
        &amount.to_string(),
        &fee.to_string(),
        &(amount - fee).to_string(),
    ];
    Row { at, payment, amount, fee, line: cells.join(",") }
}

/// The statement of `date` for the transactions given.
pub fn csv<'a>(acq_code: &str, txns: impl Iterator<Item = &'a Txn>, date: Date) -> Vec<u8> {
    let mut rows: Vec<Row> = txns
        .filter(|t| t.status == Status::Succeeded && !t.is_tombstone())
        .filter_map(|t| {
            t.done_at.filter(|at| at.to_offset(protocol::BEIJING).date() == date).map(|at| row(t, at, date))
        })
        .collect();
    rows.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.line.cmp(&b.line)));

    let payments = rows.iter().filter(|r| r.payment).count();
    let amount: i64 = rows.iter().map(|r| r.amount).sum();
    let fee: i64 = rows.iter().map(|r| r.fee).sum();
    let mut lines =
        vec![format!("#UnionPay QR acquirer statement,acqCode={acq_code},settleDate={}", format_date(date))];
    lines.push(HEADER.join(","));
    lines.extend(rows.iter().map(|r| r.line.clone()));
    lines.push(format!(
        "#total,payments={payments},refunds={},txnAmt={amount},fee={fee},netAmt={}",
        rows.len() - payments,
        amount - fee
    ));
    (lines.join("\r\n") + "\r\n").into_bytes()
}

//! UnionPay QR (acquirer level) vocabulary shared by the adapter and the sandbox: request types,
//! response codes, field names, the wire time format (Beijing time) and amounts in fen.
//!
//! CHANNELS.md marks the UnionPay detail unverified. The request types below are the ones it
//! lists; the merchant-presented QR ("QR code apply") lives in `qr.rs`, the bill file request
//! here (`BILL`), both of our choosing. The response-code table is ours too, modelled on
//! UnionPay's ACP codes; what each code means to the adapter is decided in `mapping.rs`.

use juhe_domain::money::Money;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

pub const VERSION: &str = "1.0.0";

/// Barcode pay (payer-presented code in `qrNo`).
pub const PAY: &str = "0310000903";
/// Reversal (冲正): undoes a transaction whatever its state, refunding it when paid.
pub const REVERSAL: &str = "0320000903";
/// Void (撤销) as juhe uses it: cancels an unpaid order so that it can no longer be paid.
pub const VOID: &str = "0330000903";
pub const REFUND: &str = "0340000903";
pub const QUERY: &str = "0350000903";
/// Asynchronous result notification (acquirer → juhe).
pub const NOTIFICATION: &str = "0250000903";
/// The day's statement file (unverified request type, our choice): `settleDate` in,
/// `fileContent` (Base64 of the CSV) out.
pub const BILL: &str = "0760000903";

pub const CURRENCY_CNY: &str = "156";
/// The terminal when the binding names none.
pub const DEFAULT_TERM_ID: &str = "00000001";

/// Response codes (`respCode`, and `origRespCode` for the state of a queried transaction).
pub mod code {
    pub const SUCCESS: &str = "00";
    /// Communication timeout at the acquirer: outcome unknown.
    pub const TIMEOUT: &str = "03";
    /// Transaction status unknown.
    pub const STATUS_UNKNOWN: &str = "04";
    /// Accepted, still in progress (barcode: waiting for the payer to confirm).
    pub const IN_PROGRESS: &str = "05";
    /// System busy.
    pub const BUSY: &str = "06";
    /// The request's signature or `certId` did not verify.
    pub const BAD_SIGNATURE: &str = "11";
    /// The `orderNo` belongs to a transaction that is already paid.
    pub const DUPLICATE: &str = "12";
    /// A required field is missing.
    pub const MISSING_FIELD: &str = "13";
    /// A field is malformed (or repeated), or the message is not one the gateway reads.
    pub const FORMAT_ERROR: &str = "30";
    /// Unknown acquirer (`acqCode`) or merchant (`merId`).
    pub const MERCHANT_INVALID: &str = "31";
    /// Amount above the single-transaction limit, or a refund above what is left.
    pub const AMOUNT_LIMIT: &str = "33";
    /// No such transaction.
    pub const NOT_FOUND: &str = "34";
    /// The original transaction is missing or in a state that does not allow the operation.
    pub const WRONG_STATE: &str = "35";
    /// The `orderNo` is taken by a transaction with other content.
    pub const INCONSISTENT: &str = "36";
    /// The transaction was closed (voided, or its QR code expired unpaid).
    pub const CLOSED: &str = "45";
    /// The transaction was reversed.
    pub const REVERSED: &str = "46";
    /// The payment failed (invalid or expired payer code).
    pub const PAY_FAILED: &str = "60";

    /// Codes that say "still going, or not known yet".
    pub fn is_pending(code: &str) -> bool {
        matches!(code, TIMEOUT | STATUS_UNKNOWN | IN_PROGRESS | BUSY)
    }
}

/// Field names that both sides read.
pub mod field {
    pub const VERSION: &str = "version";
    pub const REQ_TYPE: &str = "reqType";
    pub const ACQ_CODE: &str = "acqCode";
    pub const MER_ID: &str = "merId";
    pub const TERM_ID: &str = "termId";
    pub const ORDER_NO: &str = "orderNo";
    pub const ORDER_TIME: &str = "orderTime";
    pub const ORIG_ORDER_NO: &str = "origOrderNo";
    pub const TXN_AMT: &str = "txnAmt";
    pub const CURRENCY_CODE: &str = "currencyCode";
    pub const BACK_URL: &str = "backUrl";
    pub const QR_NO: &str = "qrNo";
    pub const CERT_ID: &str = "certId";
    pub const SIGNATURE: &str = "signature";
    pub const RESP_CODE: &str = "respCode";
    pub const RESP_MSG: &str = "respMsg";
    /// The acquirer's number of a transaction (juhe's `channel_trade_no`).
    pub const QUERY_ID: &str = "queryId";
    /// When the transaction completed (paid, refunded), `yyyyMMddHHmmss`.
    pub const TXN_TIME: &str = "txnTime";
    pub const SETTLE_DATE: &str = "settleDate";
    pub const ORIG_REQ_TYPE: &str = "origReqType";
    pub const ORIG_RESP_CODE: &str = "origRespCode";
    pub const ORIG_RESP_MSG: &str = "origRespMsg";
    pub const FILE_CONTENT: &str = "fileContent";
    pub const FILE_NAME: &str = "fileName";
}

/// UnionPay's clock: Beijing time, no offset on the wire.
pub const BEIJING: UtcOffset = offset!(+8);

const WIRE_TIME: &[time::format_description::FormatItem<'static>] =
    format_description!("[year][month][day][hour][minute][second]");
const WIRE_DATE: &[time::format_description::FormatItem<'static>] = format_description!("[year][month][day]");

/// `yyyyMMddHHmmss` in Beijing time.
pub fn format_time(at: OffsetDateTime) -> String {
    // Only numeric fields of a valid date: formatting cannot fail.
    at.to_offset(BEIJING).format(WIRE_TIME).unwrap_or_default()
}

/// Reads `yyyyMMddHHmmss` as Beijing time.
pub fn parse_time(text: &str) -> Option<OffsetDateTime> {
    if text.len() != 14 {
        return None;
    }
    PrimitiveDateTime::parse(text, WIRE_TIME).ok().map(|t| t.assume_offset(BEIJING))
}

/// `yyyyMMdd`.
pub fn format_date(date: Date) -> String {
    date.format(WIRE_DATE).unwrap_or_default()
}

pub fn parse_date(text: &str) -> Option<Date> {
    if text.len() != 8 {
        return None;
    }
    Date::parse(text, WIRE_DATE).ok()
}

/// `txnAmt`: fen as plain decimal digits, no sign, no leading zero.
pub fn format_fen(amount: Money) -> String {
    amount.fen().to_string()
}

/// Reads `txnAmt`; `None` for anything that is not exactly such a number (or overflows).
pub fn parse_fen(text: &str) -> Option<Money> {
    let digits = !text.is_empty() && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok().map(Money)
}

/// An order or refund number the gateway accepts: 1–40 of `[0-9A-Za-z_-]`.
pub fn is_order_no(text: &str) -> bool {
    (1..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A merchant id (`merId`): 15 digits.
pub fn is_mer_id(text: &str) -> bool {
    text.len() == 15 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn times_are_beijing() {
        assert_eq!(format_time(datetime!(2024-01-01 16:30:05 UTC)), "20240102003005");
        assert_eq!(parse_time("20240102003005"), Some(datetime!(2024-01-01 16:30:05 UTC)));
        assert_eq!(parse_time("2024-01-02 00:30:05"), None);
        assert_eq!(parse_date("20240229"), Some(date!(2024 - 02 - 29)));
        assert_eq!(format_date(date!(2024 - 02 - 09)), "20240209");
    }

    #[test]
    fn amounts_are_exact_fen() {
        assert_eq!(parse_fen("1"), Some(Money(1)));
        assert_eq!(parse_fen("0"), Some(Money(0)));
        for bad in ["", "01", "-1", "1.00", "+1", "1e3", "9999999999999999999"] {
            assert_eq!(parse_fen(bad), None, "{bad}");
        }
        assert_eq!(format_fen(Money(1234)), "1234");
        assert!(is_order_no("T2024abc_1-2") && !is_order_no("a/b") && !is_order_no(""));
        assert!(is_mer_id("898310048990001") && !is_mer_id("89831004899000"));
    }
}

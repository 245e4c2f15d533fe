//! UnionPay QR at acquirer level: the [`UnionpayChannel`] adapter and the [`UnionpaySandbox`]
//! that plays the acquirer gateway's side of the same protocol. CHANNELS.md marks the UnionPay
//! detail unverified: the request types and fields it lists are used as listed; what it leaves
//! open (the QR apply for UP_QR, the response-code table, the statement request and file) is
//! our choice, each kept in one place (`qr.rs`, `protocol.rs`/`mapping.rs`, `sandbox/bill.rs`).
//!
//! # Channel account keys
//! `config` (public):
//! - `gateway` — the acquirer gateway URL (no default: acquirers differ);
//! - `acq_code` — our institution's acquirer code (`acqCode`);
//! - `cert_id` — the id of our signing certificate (sent as `certId`);
//! - `unionpay_public_key_pem` and `unionpay_cert_id` — UnionPay's public key (SPKI or PKCS#1
//!   PEM) and the `certId` its answers and notifications must carry.
//!
//! `secrets`: `private_key_pem` — our RSA private key (PKCS#8 or PKCS#1, 2048–4096 bits).
//!
//! Binding: `sub_merchant_id` is the merchant's `merId` (15 digits); binding `config.term_id`
//! (optional, default `00000001`) is the `termId`.
//!
//! # Protocol
//! Form-encoded key/value messages POSTed to the gateway. Common request fields: `version`
//! (`1.0.0`), `reqType`, `acqCode`, `merId`, `termId`, `orderNo` (our order number, or the
//! refund number for refunds), `orderTime` (`yyyyMMddHHmmss`, Beijing), `certId`, `signature`;
//! money-moving requests add `txnAmt` (fen), `currencyCode=156` and `backUrl` (the account's
//! notify URL). Request types: `0210000903` QR apply (UP_QR → `qrCode`), `0310000903` barcode
//! pay (`qrNo` = the payer's code), `0320000903` reversal, `0330000903` void (closes an unpaid
//! order), `0340000903` refund (`origOrderNo` = the order), `0350000903` query (by `orderNo`,
//! of an order or of a refund), `0760000903` statement; `0250000903` is the notification.
//!
//! Signing: the sorted `k=v&…` of every field but `signature`, SHA-256 as lower-case hex,
//! SHA256withRSA over that hex string, Base64 into `signature`; `certId` names the key. Every
//! answer and notification must verify with UnionPay's key, carry `unionpay_cert_id`, and (for
//! answers) echo the request's `reqType`, `orderNo` and `merId`.
//!
//! # Errors (the order service depends on this)
//! - DNS or connect failure → `Unreachable` (nothing reached the acquirer);
//! - timeout, broken connection, an answer that is unreadable, unsigned, does not verify or is
//!   about another request → `Unknown`; an HTTP status other than 200 is `Unknown` unless its
//!   body is a verified message, which is then read by its `respCode` as below;
//! - verified `respCode` ≠ `00`: on QR apply everything is `Declined` (no QR code was handed
//!   out, nothing is payable) except `12`/`36` (a transaction already exists under the order
//!   number) → `Unknown`; so the sandbox's `fail-next error` (HTTP 500, signed `06`) declines a
//!   create. On every other call `03`/`04`/`05`/`06`/`12`/`36` → `Unknown`, anything else →
//!   `Declined { code: respCode, message: respMsg }` (table in `mapping.rs`);
//! - barcode pay: `00` → `Paid`, `05` → `Paying`, `03`/`04`/`06` → `Unknown`, `60` and other
//!   rejects → `Declined` (the payment failed);
//! - query `34` → `NotFound`; void answered `34`/`45`/`46` is done; reversal `34`/`46` is done,
//!   `03`–`06` → `ReverseOutcome::Retry`; refund `05` → `Processing`;
//! - refused before any call (amount ≤ 0, an order number the gateway cannot take) → `Declined`
//!   with a `juhe.*` code; a merchant-level call without a binding, or keys that do not parse →
//!   `Config`.
//!
//! # Notifications
//! Form POST to `backUrl`, `reqType=0250000903`, `origReqType` (`0210000903`/`0310000903` →
//! payment, `0340000903` → refund), `origRespCode` (the outcome), `merId`, `txnAmt`, `queryId`,
//! `txnTime`. Verified as above and checked against our `acq_code`; anything else is
//! `BadMessage`. The acquirer resends until it gets HTTP 200: [`UnionpayChannel`] acks with
//! `200 ok`, and rejects with `500 fail` so that it comes again.
//!
//! # Bill
//! `download_bill` sends the statement request (`settleDate=yyyyMMdd`; the merchant's statement
//! with a binding, the institution's without) and returns the decoded `fileContent`: the CSV
//! described in `sandbox/bill.rs`.
//!
//! The `reqwest::Client` given to [`UnionpayChannel::new`] sets the call timeout; give it a
//! `connect_timeout` shorter than its `timeout`, so that a slow connect (nothing sent) is
//! `Unreachable` rather than `Unknown`.

mod account;
mod client;
mod key_cache;
mod mapping;
mod message;
mod notify;
mod protocol;
mod qr;
pub mod sandbox;
mod sign;
mod transport;

pub use account::{ACQ_CODE, CERT_ID, GATEWAY, PRIVATE_KEY_PEM, TERM_ID, UNIONPAY_CERT_ID, UNIONPAY_PUBLIC_KEY_PEM};
pub use client::UnionpayChannel;
pub use sandbox::UnionpaySandbox;

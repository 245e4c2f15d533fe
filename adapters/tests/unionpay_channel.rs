//! The UnionPay QR adapter driven for real against the UnionPay sandbox on a random port: UP_QR
//! and barcode flows, query/close/reverse/refund, notifications, statements, fault injection and
//! signature checks.

#[path = "unionpay/support.rs"]
mod support;

#[path = "unionpay/barcode.rs"]
mod barcode;
#[path = "unionpay/clock.rs"]
mod clock;
#[path = "unionpay/failures.rs"]
mod failures;
#[path = "unionpay/merchants.rs"]
mod merchants;
#[path = "unionpay/notifications.rs"]
mod notifications;
#[path = "unionpay/qr.rs"]
mod qr;
#[path = "unionpay/refunds.rs"]
mod refunds;
#[path = "unionpay/sandbox.rs"]
mod sandbox;

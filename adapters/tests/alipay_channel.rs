//! The Alipay adapter driven for real against the Alipay sandbox on a random port.

#[path = "alipay/support.rs"]
mod support;

#[path = "alipay/amounts.rs"]
mod amounts;
#[path = "alipay/barcode.rs"]
mod barcode;
#[path = "alipay/bill.rs"]
mod bill;
#[path = "alipay/failures.rs"]
mod failures;
#[path = "alipay/notifications.rs"]
mod notifications;
#[path = "alipay/refunds.rs"]
mod refunds;
#[path = "alipay/sandbox.rs"]
mod sandbox;
#[path = "alipay/sdk.rs"]
mod sdk;
#[path = "alipay/ways.rs"]
mod ways;

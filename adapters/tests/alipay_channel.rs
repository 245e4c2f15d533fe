//! The Alipay adapter driven for real against the Alipay sandbox on a random port.

#[path = "alipay/support.rs"]
mod support;

#[path = "alipay/amounts.rs"]
mod amounts;
#[path = "alipay/barcode.rs"]
mod barcode;
#[path = "alipay/bill.rs"]
mod bill;
#[path = "alipay/clock.rs"]
mod clock;
#[path = "alipay/failures.rs"]
mod failures;
#[path = "alipay/merchants.rs"]
mod merchants;
#[path = "alipay/notifications.rs"]
mod notifications;
#[path = "alipay/refunds.rs"]
mod refunds;
#[path = "alipay/sandbox.rs"]
mod sandbox;
#[path = "alipay/scan.rs"]
mod scan;
#[path = "alipay/sdk.rs"]
mod sdk;
#[path = "alipay/trade_numbers.rs"]
mod trade_numbers;
#[path = "alipay/ways.rs"]
mod ways;

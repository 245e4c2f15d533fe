//! One-code pay (一码付 / 聚合码 / 台牌): printable static QR codes per store, and the cashier a
//! payer's phone opens from them. The cashier detects the wallet from the browser, learns the
//! payer's id through the wallet's OAuth step, takes an amount and pays through that wallet's
//! JSAPI way; `way=CASHIER` orders get a signed, expiring link to the same cashier for a fixed
//! amount.

pub mod errors;
pub mod links;
pub mod model;
pub mod ports;
pub mod service_codes;
pub mod service_pay;
pub mod service_visit;

pub use errors::CashierError;
pub use model::*;

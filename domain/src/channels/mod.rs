//! Payment channels (通道) as a port: what a channel can do, typed, with errors that say whether
//! money may have moved. Adapters (WeChat Pay, Alipay, UnionPay QR, the `instant` load-test
//! channel) implement it; the domain never sees their protocols.

pub mod model;
pub mod port;

pub use model::*;
pub use port::*;

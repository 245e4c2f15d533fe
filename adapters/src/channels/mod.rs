//! Channel adapters: each implements `juhe_domain::channels::PaymentChannel` over the channel's
//! real protocol and ships a protocol-faithful sandbox of the channel.

pub mod alipay;
pub mod instant;
mod sandbox_control;
pub mod unionpay;
pub mod wechat;

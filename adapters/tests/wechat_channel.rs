//! The WeChat Pay adapter against its sandbox, over real HTTP on a random port: every way,
//! query/close/reverse/refund, notifications, bills, fault injection and signature checks.

mod wechat;

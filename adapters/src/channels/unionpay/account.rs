//! One UnionPay conversation partner, read from a `ChannelContext`: the acquirer gateway, our
//! institution (acquirer code, certificate, key), UnionPay's public key, and the merchant
//! (`merId`, terminal) when the call is for one. Builds the common fields every request carries.

use super::key_cache::{KeyCache, KeyIds};
use super::message::Message;
use super::protocol::{self, field};
use super::sign::RsaPair;
use juhe_domain::channels::{ChannelContext, ChannelError, ChannelResult};
use serde_json::Value;
use std::sync::Arc;
use time::OffsetDateTime;

/// Account `config` keys.
pub const GATEWAY: &str = "gateway";
pub const ACQ_CODE: &str = "acq_code";
pub const UNIONPAY_PUBLIC_KEY_PEM: &str = "unionpay_public_key_pem";
pub const UNIONPAY_CERT_ID: &str = "unionpay_cert_id";
pub const CERT_ID: &str = "cert_id";
/// Account `secrets` key.
pub const PRIVATE_KEY_PEM: &str = "private_key_pem";
/// Binding `config` key (optional; default `00000001`).
pub const TERM_ID: &str = "term_id";

#[derive(Debug)]
pub struct Account {
    pub gateway: String,
    pub acq_code: String,
    pub keys: Arc<RsaPair>,
    /// The merchant's `merId` (binding).
    pub mer_id: Option<String>,
    pub term_id: String,
    pub notify_url: String,
}

impl Account {
    pub async fn from_ctx(ctx: &ChannelContext, cache: &KeyCache) -> ChannelResult<Account> {
        let keys = cache
            .pair(KeyIds {
                private_pem: ctx.secret_str(PRIVATE_KEY_PEM)?,
                cert_id: ctx.config_str(CERT_ID)?,
                unionpay_public_pem: ctx.config_str(UNIONPAY_PUBLIC_KEY_PEM)?,
                unionpay_cert_id: ctx.config_str(UNIONPAY_CERT_ID)?,
            })
            .await?;
        let binding = ctx.binding.as_ref();
        let term_id = binding
            .and_then(|b| b.config.get(TERM_ID))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .unwrap_or(protocol::DEFAULT_TERM_ID);
        Ok(Account {
            gateway: ctx.config_str(GATEWAY)?.to_owned(),
            acq_code: ctx.config_str(ACQ_CODE)?.to_owned(),
            keys,
            mer_id: binding.map(|b| b.sub_merchant_id.clone()).filter(|m| !m.is_empty()),
            term_id: term_id.to_owned(),
            notify_url: ctx.notify_url.clone(),
        })
    }

    /// The merchant's `merId`, required for every transaction.
    pub fn require_mer_id(&self) -> ChannelResult<&str> {
        self.mer_id
            .as_deref()
            .ok_or_else(|| ChannelError::Config("no UnionPay merId: the merchant has no binding".into()))
    }

    /// A request of `req_type` for the merchant, with the common fields; `order_no` is the
    /// number of the transaction the request is about (or creates).
    pub fn request(&self, req_type: &str, order_no: &str) -> ChannelResult<Message> {
        let mut msg = self.institution_request(req_type, order_no)?;
        msg.set(field::MER_ID, self.require_mer_id()?);
        Ok(msg)
    }

    /// A request without a merchant (the acquirer's statement).
    pub fn institution_request(&self, req_type: &str, order_no: &str) -> ChannelResult<Message> {
        if !protocol::is_order_no(order_no) {
            return Err(ChannelError::Declined {
                code: "juhe.invalid-order-no".into(),
                message: format!("`{order_no}` is not a UnionPay orderNo (1–40 of [0-9A-Za-z_-])"),
            });
        }
        Ok(Message::new()
            .with(field::VERSION, protocol::VERSION)
            .with(field::REQ_TYPE, req_type)
            .with(field::ACQ_CODE, self.acq_code.as_str())
            .with(field::TERM_ID, self.term_id.as_str())
            .with(field::ORDER_NO, order_no)
            .with(field::ORDER_TIME, protocol::format_time(OffsetDateTime::now_utc())))
    }
}

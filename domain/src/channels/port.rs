//! The channel port. One trait for every flow; adapters override what their channel supports,
//! the defaults answer `Unsupported`. Errors tell the caller whether money may have moved.

use super::model::{ChannelAccount, ChannelBinding, ChannelCode};
use crate::money::Money;
use crate::payments::way::PayWay;
use crate::secret::Secret;
use serde_json::Value;
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The channel answered with an explicit failure: no payable order and no money movement
    /// exists for this call (safe to report, and for order creation safe to fail over).
    #[error("declined by the channel: {code}: {message}")]
    Declined { code: String, message: String },
    /// The request never reached the channel (DNS, connect refused): certainly nothing happened.
    #[error("channel unreachable: {0}")]
    Unreachable(String),
    /// Sent, outcome unknown (timeout, broken or unverifiable answer): money may have moved —
    /// query before retrying or failing over.
    #[error("outcome unknown: {0}")]
    Unknown(String),
    /// This channel does not offer the flow.
    #[error("not supported by this channel")]
    Unsupported,
    /// An inbound message (notification) failed verification or parsing.
    #[error("bad message: {0}")]
    BadMessage(String),
    /// Our own channel account is misconfigured (missing or invalid keys).
    #[error("channel account misconfigured: {0}")]
    Config(String),
}

impl ChannelError {
    /// Whether the call may have had an effect at the channel.
    pub fn money_may_have_moved(&self) -> bool {
        matches!(self, ChannelError::Unknown(_))
    }
}

pub type ChannelResult<T> = Result<T, ChannelError>;

/// Everything an adapter needs to act at one channel account, for one merchant (binding) or for
/// the account itself (notifications, bills).
#[derive(Clone, Debug)]
pub struct ChannelContext {
    pub account: ChannelAccount,
    /// The account's decrypted secrets (key names belong to the adapter).
    pub secrets: Secret<Value>,
    pub binding: Option<ChannelBinding>,
    /// Where the channel must send notifications for this account:
    /// `{public_url}/callbacks/{channel}/{account_id}`.
    pub notify_url: String,
}

impl ChannelContext {
    /// The sub-merchant id, required for merchant-level calls.
    pub fn sub_merchant_id(&self) -> ChannelResult<&str> {
        self.binding
            .as_ref()
            .map(|b| b.sub_merchant_id.as_str())
            .ok_or_else(|| ChannelError::Config("no merchant binding for a merchant-level call".into()))
    }

    /// A public setting of the account, e.g. `sp_mchid`.
    pub fn config_str(&self, key: &str) -> ChannelResult<&str> {
        self.account
            .config
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| ChannelError::Config(format!("config `{key}` missing")))
    }

    /// A secret of the account, e.g. `private_key_pem`.
    pub fn secret_str(&self, key: &str) -> ChannelResult<&str> {
        self.secrets
            .expose()
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| ChannelError::Config(format!("secret `{key}` missing")))
    }
}

/// A merchant-presented order (QR, JSAPI, H5, app, mini-program).
#[derive(Clone, Debug)]
pub struct CreateOrder {
    /// Our order number, sent as the channel's `out_trade_no` (≤ 32 chars, `[0-9A-Za-z]`).
    pub order_no: String,
    /// A concrete way of this channel (never BARCODE or CASHIER).
    pub way: PayWay,
    pub amount: Money,
    pub subject: String,
    /// WeChat openid / Alipay buyer_id (or buyer_open_id) for JSAPI and mini-program ways.
    pub payer_id: Option<String>,
    pub client_ip: Option<String>,
    pub expire_at: OffsetDateTime,
    pub return_url: Option<String>,
}

/// What the payer's device needs, in the shape of OPEN_API.md `pay_data`: `{code_url}`,
/// `{jsapi: {appId, timeStamp, nonceStr, package, signType, paySign}}`, `{trade_no}`, `{h5_url}`,
/// `{app: {…}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub pay_data: Value,
    pub channel_trade_no: Option<String>,
}

/// A payer-presented barcode payment (付款码).
#[derive(Clone, Debug)]
pub struct BarcodePay {
    pub order_no: String,
    pub amount: Money,
    pub subject: String,
    pub auth_code: Secret<String>,
    pub store_id: Option<String>,
    pub client_ip: Option<String>,
}

/// A trade at the channel, normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeState {
    /// Created, not paid (WeChat NOTPAY, Alipay WAIT_BUYER_PAY).
    NotPaid,
    /// Barcode: waiting for the payer to confirm (USERPAYING, Alipay 10003).
    Paying,
    /// Paid (also when since refunded: WeChat REFUND, Alipay TRADE_SUCCESS/FINISHED).
    Paid,
    Closed,
    /// Reversed / cancelled (REVOKED).
    Revoked,
    /// Payment failed (PAYERROR).
    Failed,
    /// The channel has no such trade.
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeStatus {
    pub state: TradeState,
    pub channel_trade_no: Option<String>,
    /// The amount the channel says was paid (checked against the order).
    pub amount: Option<Money>,
    pub paid_at: Option<OffsetDateTime>,
    /// Failure reason or channel message, for the record.
    pub message: Option<String>,
}

impl TradeStatus {
    pub fn of(state: TradeState) -> Self {
        Self { state, channel_trade_no: None, amount: None, paid_at: None, message: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReverseOutcome {
    /// The trade is reversed (refunded if it had been paid, closed if not).
    Reversed,
    /// The channel asks to call again (Alipay `retry_flag=Y`).
    Retry,
}

#[derive(Clone, Debug)]
pub struct RefundRequest {
    pub order_no: String,
    pub channel_trade_no: Option<String>,
    /// Our refund number, sent as `out_refund_no` / `out_request_no`.
    pub refund_no: String,
    pub order_amount: Money,
    pub amount: Money,
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundState {
    Processing,
    Succeeded,
    Failed,
    Closed,
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundStatus {
    pub state: RefundState,
    pub channel_refund_no: Option<String>,
    pub succeeded_at: Option<OffsetDateTime>,
    pub message: Option<String>,
}

/// A verified, decrypted channel notification.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelNotification {
    Payment {
        order_no: String,
        /// The sub-merchant the channel says the trade belongs to (checked against the order).
        sub_merchant_id: Option<String>,
        status: TradeStatus,
    },
    Refund {
        refund_no: String,
        order_no: String,
        sub_merchant_id: Option<String>,
        amount: Option<Money>,
        status: RefundStatus,
    },
    /// Verified but not for payments (complaints, violations, …): acknowledged, handled elsewhere.
    Other { kind: String },
}

/// An inbound HTTP request from a channel (header names lower-case).
#[derive(Clone, Debug)]
pub struct InboundRequest<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl InboundRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The acknowledgement a channel expects (WeChat `{"code":"SUCCESS"}`, Alipay `success`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

#[async_trait::async_trait]
pub trait PaymentChannel: Send + Sync {
    fn code(&self) -> ChannelCode;

    /// The ways this channel can take (BARCODE when it supports barcode pay).
    fn ways(&self) -> &'static [PayWay];

    async fn create(&self, ctx: &ChannelContext, req: &CreateOrder) -> ChannelResult<Created>;

    /// Synchronous barcode pay; `Paying` means the payer still has to confirm.
    async fn barcode_pay(&self, _ctx: &ChannelContext, _req: &BarcodePay) -> ChannelResult<TradeStatus> {
        Err(ChannelError::Unsupported)
    }

    async fn query(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<TradeStatus>;

    async fn close(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<()>;

    /// Reverse (撤销/冲正) a barcode trade.
    async fn reverse(&self, _ctx: &ChannelContext, _order_no: &str) -> ChannelResult<ReverseOutcome> {
        Err(ChannelError::Unsupported)
    }

    async fn refund(&self, ctx: &ChannelContext, req: &RefundRequest) -> ChannelResult<RefundStatus>;

    async fn refund_query(&self, ctx: &ChannelContext, order_no: &str, refund_no: &str) -> ChannelResult<RefundStatus>;

    /// Verifies (signature, timestamp, decryption) and parses a notification sent to this
    /// account's callback URL. Anything unverifiable is `BadMessage`.
    async fn parse_notification(
        &self,
        ctx: &ChannelContext,
        req: &InboundRequest<'_>,
    ) -> ChannelResult<ChannelNotification>;

    /// What to answer the channel after handling a notification.
    fn ack(&self, accepted: bool) -> Ack;

    /// One-code pay: where to send the payer's browser so the wallet says who pays (WeChat
    /// OAuth `snsapi_base`, Alipay `auth_base`). The wallet sends it back to `redirect_uri`
    /// with a code and `state`.
    fn payer_auth_url(&self, _ctx: &ChannelContext, _redirect_uri: &str, _state: &str) -> ChannelResult<String> {
        Err(ChannelError::Unsupported)
    }

    /// Exchanges the code the wallet sent back for the payer's id (WeChat openid, Alipay
    /// `user_id` 2088… or `open_id`).
    async fn payer_id(&self, _ctx: &ChannelContext, _code: &str) -> ChannelResult<String> {
        Err(ChannelError::Unsupported)
    }

    /// The channel's bill file for a day, raw, in the channel's own format.
    async fn download_bill(&self, _ctx: &ChannelContext, _date: Date) -> ChannelResult<Vec<u8>> {
        Err(ChannelError::Unsupported)
    }
}

//! `AlipayChannel`: the `PaymentChannel` port over the Alipay OpenAPI gateway.

use super::account::Account;
use super::amount::fen_to_yuan;
use super::key_cache::KeyCache;
use super::mapping::{self, failure, is_trade_not_exist};
use super::orders;
use super::protocol::{self, Reply};
use super::transport::{self, ReadError};
use juhe_domain::channels::*;
use juhe_domain::clock::{Clock, SystemClock};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::{Value, json};
use std::sync::Arc;
use time::Date;

/// Bills of a large ISV run to many MiB; more than this is refused rather than buffered.
const MAX_BILL_BYTES: usize = 256 << 20;

const WAYS: [PayWay; 5] = [PayWay::AliQr, PayWay::AliJsapi, PayWay::AliWap, PayWay::AliApp, PayWay::Barcode];

/// The Alipay channel. Cheap to clone; share one `reqwest::Client` (its timeout is the call
/// timeout: a call that outlives it is `Unknown`).
#[derive(Clone)]
pub struct AlipayChannel {
    http: reqwest::Client,
    keys: KeyCache,
    /// Stamps the requests: Alipay refuses a `timestamp` far from its own clock.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AlipayChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlipayChannel").field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl AlipayChannel {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http, keys: KeyCache::default(), clock: Arc::new(SystemClock) }
    }

    /// Stamps requests with `clock` (the platform's: the same "now" as the sandbox it may call).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    async fn account(&self, ctx: &ChannelContext) -> ChannelResult<Account> {
        Account::from_ctx(ctx, &self.keys, self.clock.now()).await
    }

    async fn call(&self, account: &Account, method: &str, biz: &Value, extra: &[(&str, &str)]) -> ChannelResult<Reply> {
        transport::call(&self.http, account, method, biz, extra).await
    }

    /// A call whose only acceptable answer is `10000`.
    async fn call_ok(
        &self,
        account: &Account,
        method: &str,
        biz: &Value,
        extra: &[(&str, &str)],
    ) -> ChannelResult<Reply> {
        let reply = self.call(account, method, biz, extra).await?;
        if reply.is_success() { Ok(reply) } else { Err(failure(method, &reply)) }
    }

    async fn query_trade(&self, account: &Account, order_no: &str) -> ChannelResult<TradeStatus> {
        let reply = self.call(account, protocol::QUERY, &json!({ "out_trade_no": order_no }), &[]).await?;
        mapping::query_status(&reply)
    }

    async fn query_refund(&self, account: &Account, order_no: &str, refund_no: &str) -> ChannelResult<RefundStatus> {
        let method = protocol::REFUND_QUERY;
        let biz = json!({ "out_trade_no": order_no, "out_request_no": refund_no, "query_options": ["gmt_refund_pay"] });
        let reply = self.call(account, method, &biz, &[]).await?;
        if !reply.is_success() {
            return if is_trade_not_exist(&reply) {
                Ok(refund_status(RefundState::NotFound))
            } else {
                Err(failure(method, &reply))
            };
        }
        // Alipay: a refund it knows shows its amount; `refund_status` is empty or REFUND_SUCCESS
        // when it went through. An answer without the refund means there is no such refund.
        if reply.str("refund_amount").is_none() {
            return Ok(refund_status(RefundState::NotFound));
        }
        let state = match reply.str("refund_status") {
            None | Some("REFUND_SUCCESS") => RefundState::Succeeded,
            Some(_) => RefundState::Processing,
        };
        Ok(RefundStatus {
            state,
            channel_refund_no: reply.str("trade_no").map(str::to_owned),
            succeeded_at: reply
                .str("gmt_refund_pay")
                .and_then(protocol::parse_time)
                .filter(|_| state == RefundState::Succeeded),
            message: reply.str("refund_status").map(str::to_owned),
        })
    }
}

fn refund_status(state: RefundState) -> RefundStatus {
    RefundStatus { state, channel_refund_no: None, succeeded_at: None, message: None }
}

#[async_trait::async_trait]
impl PaymentChannel for AlipayChannel {
    fn code(&self) -> ChannelCode {
        ChannelCode::Alipay
    }

    fn ways(&self) -> &'static [PayWay] {
        &WAYS
    }

    async fn create(&self, ctx: &ChannelContext, req: &CreateOrder) -> ChannelResult<Created> {
        let account = self.account(ctx).await?;
        let notify: [(&str, &str); 1] = [("notify_url", &account.notify_url)];
        match req.way {
            PayWay::AliQr => {
                let biz = orders::order_biz(&account, req, protocol::FACE_TO_FACE)?;
                let reply = self.call_ok(&account, protocol::PRECREATE, &biz, &notify).await?;
                let qr_code = mapping::required(protocol::PRECREATE, &reply, "qr_code")?;
                Ok(Created { pay_data: json!({ "code_url": qr_code }), channel_trade_no: None })
            }
            PayWay::AliJsapi => {
                let biz = orders::jsapi_biz(&account, req)?;
                let reply = self.call_ok(&account, protocol::CREATE, &biz, &notify).await?;
                let trade_no = mapping::required(protocol::CREATE, &reply, "trade_no")?;
                Ok(Created { pay_data: json!({ "trade_no": trade_no }), channel_trade_no: Some(trade_no.to_owned()) })
            }
            PayWay::AliWap => {
                let url = orders::wap_url(&account, req)?;
                Ok(Created { pay_data: json!({ "h5_url": url }), channel_trade_no: None })
            }
            PayWay::AliApp => {
                let order_string = orders::app_order_string(&account, req)?;
                Ok(Created { pay_data: json!({ "app": { "order_string": order_string } }), channel_trade_no: None })
            }
            _ => Err(ChannelError::Unsupported),
        }
    }

    /// `10000` paid, `10003` paying, `20000` unknown, `40004` declined (the payment failed and
    /// there is nothing to query) except `ACQ.TRADE_HAS_SUCCESS`, which is answered by a query.
    async fn barcode_pay(&self, ctx: &ChannelContext, req: &BarcodePay) -> ChannelResult<TradeStatus> {
        let account = self.account(ctx).await?;
        let method = protocol::PAY;
        let biz = orders::barcode_biz(&account, req)?;
        let reply = self.call(&account, method, &biz, &[("notify_url", &account.notify_url)]).await?;
        match reply.code() {
            protocol::CODE_SUCCESS => mapping::trade_status(method, &reply, TradeState::Paid),
            protocol::CODE_PAYING => mapping::trade_status(method, &reply, TradeState::Paying),
            _ if reply.sub_code() == protocol::TRADE_HAS_SUCCESS => self.query_trade(&account, &req.order_no).await,
            _ => Err(failure(method, &reply)),
        }
    }

    async fn query(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<TradeStatus> {
        let account = self.account(ctx).await?;
        self.query_trade(&account, order_no).await
    }

    /// A trade Alipay does not know is not closed: `Declined { code: "ACQ.TRADE_NOT_EXIST" }`.
    /// An unscanned QR code answers so and stays payable until its `time_expire`; only past the
    /// order's `expire_at` may the caller take it as closed.
    async fn close(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<()> {
        let account = self.account(ctx).await?;
        self.call_ok(&account, protocol::CLOSE, &json!({ "out_trade_no": order_no }), &[]).await.map(|_| ())
    }

    /// `alipay.trade.cancel`: `retry_flag=Y` (with any code) asks to call again.
    async fn reverse(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<ReverseOutcome> {
        let account = self.account(ctx).await?;
        let reply = self.call(&account, protocol::CANCEL, &json!({ "out_trade_no": order_no }), &[]).await?;
        if reply.str("retry_flag") == Some("Y") {
            Ok(ReverseOutcome::Retry)
        } else if reply.is_success() {
            Ok(ReverseOutcome::Reversed)
        } else {
            Err(failure(protocol::CANCEL, &reply))
        }
    }

    /// Partial refunds are told apart by `out_request_no` = our refund number. Alipay refunds
    /// synchronously; `fund_change=N` (a repeated request, or money not moved yet) is settled by
    /// a refund query.
    async fn refund(&self, ctx: &ChannelContext, req: &RefundRequest) -> ChannelResult<RefundStatus> {
        let account = self.account(ctx).await?;
        let amount =
            fen_to_yuan(req.amount).filter(|_| req.amount > Money(0)).ok_or_else(|| ChannelError::Declined {
                code: "juhe.invalid-amount".into(),
                message: "refund amount must be positive".into(),
            })?;
        let mut biz = json!({ "out_trade_no": req.order_no, "refund_amount": amount, "out_request_no": req.refund_no });
        if let (Some(reason), Some(obj)) = (&req.reason, biz.as_object_mut()) {
            obj.insert("refund_reason".into(), Value::String(reason.clone()));
        }
        let reply = self.call_ok(&account, protocol::REFUND, &biz, &[]).await?;
        if reply.str("fund_change") != Some("Y") {
            let mut status = self.query_refund(&account, &req.order_no, &req.refund_no).await?;
            // Accepted (10000) but not yet visible to the query: still on its way.
            if status.state == RefundState::NotFound {
                status.state = RefundState::Processing;
            }
            return Ok(status);
        }
        Ok(RefundStatus {
            state: RefundState::Succeeded,
            channel_refund_no: reply.str("trade_no").map(str::to_owned),
            succeeded_at: reply.str("gmt_refund_pay").and_then(protocol::parse_time),
            message: None,
        })
    }

    async fn refund_query(&self, ctx: &ChannelContext, order_no: &str, refund_no: &str) -> ChannelResult<RefundStatus> {
        let account = self.account(ctx).await?;
        self.query_refund(&account, order_no, refund_no).await
    }

    async fn parse_notification(
        &self,
        ctx: &ChannelContext,
        req: &InboundRequest<'_>,
    ) -> ChannelResult<ChannelNotification> {
        let account = self.account(ctx).await?;
        super::notify::parse(&account, req)
    }

    fn ack(&self, accepted: bool) -> Ack {
        Ack { status: 200, content_type: "text/plain", body: if accepted { "success" } else { "fail" }.into() }
    }

    fn payer_auth_url(&self, ctx: &ChannelContext, redirect_uri: &str, state: &str) -> ChannelResult<String> {
        super::oauth::authorize_url(ctx, redirect_uri, state)
    }

    async fn payer_id(&self, ctx: &ChannelContext, code: &str) -> ChannelResult<String> {
        super::oauth::user_id(&self.http, &self.keys, ctx, code, self.clock.now()).await
    }

    /// The day's trade bill: ask for its download URL, then fetch the ZIP (GBK CSVs) as is.
    async fn download_bill(&self, ctx: &ChannelContext, date: Date) -> ChannelResult<Vec<u8>> {
        let account = self.account(ctx).await?;
        let method = protocol::BILL_URL_QUERY;
        let biz = json!({ "bill_type": "trade", "bill_date": date.to_string() });
        let reply = self.call_ok(&account, method, &biz, &[]).await?;
        let url = mapping::required(method, &reply, "bill_download_url")?;
        let unknown = |why: String| ChannelError::Unknown(format!("bill download: {why}"));
        let response = self.http.get(url).send().await.map_err(|err| {
            if err.is_connect() {
                ChannelError::Unreachable(format!("bill download: {err}"))
            } else {
                unknown(err.to_string())
            }
        })?;
        if !response.status().is_success() {
            return Err(unknown(format!("HTTP {}", response.status().as_u16())));
        }
        transport::read_capped(response, MAX_BILL_BYTES).await.map_err(|err| match err {
            ReadError::Http(err) => unknown(err.to_string()),
            ReadError::TooLarge => unknown(format!("larger than {MAX_BILL_BYTES} bytes")),
        })
    }
}

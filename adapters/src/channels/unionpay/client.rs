//! `UnionpayChannel`: the `PaymentChannel` port over the UnionPay QR acquirer gateway.

use super::account::Account;
use super::key_cache::KeyCache;
use super::mapping::{self, Stakes, failure, resp_code};
use super::message::Message;
use super::protocol::{self, code, field};
use super::qr;
use super::transport::{self, MAX_ANSWER_BYTES};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::channels::*;
use juhe_domain::payments::way::PayWay;
use time::Date;

/// A statement travels Base64-encoded inside the answer; more than this is refused rather than
/// buffered.
const MAX_BILL_ANSWER_BYTES: usize = 64 << 20;

const WAYS: [PayWay; 2] = [PayWay::UpQr, PayWay::Barcode];

/// The UnionPay QR channel (acquirer level). Cheap to clone; share one `reqwest::Client` (its
/// timeout is the call timeout: a call that outlives it is `Unknown`).
#[derive(Clone, Debug)]
pub struct UnionpayChannel {
    http: reqwest::Client,
    keys: KeyCache,
}

impl UnionpayChannel {
    pub fn new(http: reqwest::Client) -> Self {
        Self { http, keys: KeyCache::default() }
    }

    async fn account(&self, ctx: &ChannelContext) -> ChannelResult<Account> {
        Account::from_ctx(ctx, &self.keys).await
    }

    async fn call(&self, account: &Account, msg: Message) -> ChannelResult<Message> {
        transport::call(&self.http, account, msg, MAX_ANSWER_BYTES).await
    }

    /// A query by `orderNo`: `None` when the acquirer has no such transaction.
    async fn query_txn(&self, account: &Account, order_no: &str) -> ChannelResult<Option<Message>> {
        let answer = self.call(account, account.request(protocol::QUERY, order_no)?).await?;
        match resp_code(&answer) {
            code::SUCCESS => Ok(Some(answer)),
            code::NOT_FOUND => Ok(None),
            _ => Err(failure(&answer, Stakes::Effectful)),
        }
    }
}

/// A required field of a verified success answer.
fn required<'a>(answer: &'a Message, key: &str) -> ChannelResult<&'a str> {
    answer.get(key).ok_or_else(|| ChannelError::Unknown(format!("success answer without `{key}`")))
}

fn refund_status(state: RefundState) -> RefundStatus {
    RefundStatus { state, channel_refund_no: None, succeeded_at: None, message: None }
}

/// A refund's status from a verified answer about it (refund, query).
fn refund_from(answer: &Message, state: RefundState) -> ChannelResult<RefundStatus> {
    let done_at = mapping::time(answer, field::TXN_TIME)?;
    Ok(RefundStatus {
        state,
        channel_refund_no: answer.get(field::QUERY_ID).map(str::to_owned),
        succeeded_at: done_at.filter(|_| state == RefundState::Succeeded),
        message: answer.get(field::ORIG_RESP_MSG).or(answer.get(field::RESP_MSG)).map(str::to_owned),
    })
}

#[async_trait::async_trait]
impl PaymentChannel for UnionpayChannel {
    fn code(&self) -> ChannelCode {
        ChannelCode::Unionpay
    }

    fn ways(&self) -> &'static [PayWay] {
        &WAYS
    }

    /// UP_QR: a QR code apply (see `qr.rs`) → `{code_url}`.
    async fn create(&self, ctx: &ChannelContext, req: &CreateOrder) -> ChannelResult<Created> {
        if req.way != PayWay::UpQr {
            return Err(ChannelError::Unsupported);
        }
        let account = self.account(ctx).await?;
        let answer = self.call(&account, qr::apply_request(&account, req)?).await?;
        qr::read_answer(&answer)
    }

    /// `00` paid, `05` paying (the payer confirms on the phone), `03`/`04`/`06`/`12`/`36`
    /// unknown, anything else declined (the payment failed; nothing to query).
    async fn barcode_pay(&self, ctx: &ChannelContext, req: &BarcodePay) -> ChannelResult<TradeStatus> {
        let account = self.account(ctx).await?;
        let mut msg = account.request(protocol::PAY, &req.order_no)?;
        msg.set(field::TXN_AMT, qr::txn_amt(req.amount)?);
        msg.set(field::CURRENCY_CODE, protocol::CURRENCY_CNY);
        msg.set(field::BACK_URL, account.notify_url.as_str());
        msg.set(field::QR_NO, req.auth_code.expose().as_str());
        let answer = self.call(&account, msg).await?;
        match resp_code(&answer) {
            code::SUCCESS => mapping::trade_status(&answer, TradeState::Paid),
            code::IN_PROGRESS => mapping::trade_status(&answer, TradeState::Paying),
            _ => Err(failure(&answer, Stakes::Effectful)),
        }
    }

    /// The transaction's outcome is `origRespCode` of the query answer (see `mapping.rs`); a
    /// number that belongs to a refund is no payment: `NotFound`.
    async fn query(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<TradeStatus> {
        let account = self.account(ctx).await?;
        let Some(answer) = self.query_txn(&account, order_no).await? else {
            return Ok(TradeStatus::of(TradeState::NotFound));
        };
        let orig_req_type = required(&answer, field::ORIG_REQ_TYPE)?;
        if orig_req_type == protocol::REFUND {
            return Ok(TradeStatus::of(TradeState::NotFound));
        }
        let state = mapping::trade_state(orig_req_type, required(&answer, field::ORIG_RESP_CODE)?);
        mapping::trade_status(&answer, state)
    }

    /// Void (`0330000903`) of an unpaid order: its QR code (or waiting barcode) can no longer be
    /// paid. Already closed, reversed or unknown to the acquirer (`45`, `46`, `34`) is done; a
    /// paid order is refused (`35`, declined: refund it instead).
    async fn close(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<()> {
        let account = self.account(ctx).await?;
        let answer = self.call(&account, account.request(protocol::VOID, order_no)?).await?;
        match resp_code(&answer) {
            code::SUCCESS | code::NOT_FOUND | code::CLOSED | code::REVERSED => Ok(()),
            _ => Err(failure(&answer, Stakes::Effectful)),
        }
    }

    /// Reversal (`0320000903`, 冲正): unpaid → closed, paid → refunded in full, unknown →
    /// remembered so that a late payment fails. `03`–`06` (busy, in progress) ask to call again.
    async fn reverse(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<ReverseOutcome> {
        let account = self.account(ctx).await?;
        let answer = self.call(&account, account.request(protocol::REVERSAL, order_no)?).await?;
        match resp_code(&answer) {
            code::SUCCESS | code::REVERSED | code::NOT_FOUND => Ok(ReverseOutcome::Reversed),
            pending if code::is_pending(pending) => Ok(ReverseOutcome::Retry),
            _ => Err(failure(&answer, Stakes::Effectful)),
        }
    }

    /// A refund is a transaction of its own: `orderNo` = our refund number, `origOrderNo` = the
    /// order. Synchronous: `00` succeeded, `05` accepted (processing); repeating the same refund
    /// answers the same result without moving money again.
    async fn refund(&self, ctx: &ChannelContext, req: &RefundRequest) -> ChannelResult<RefundStatus> {
        let account = self.account(ctx).await?;
        let amount = qr::txn_amt(req.amount)?;
        let mut msg = account.request(protocol::REFUND, &req.refund_no)?;
        msg.set(field::ORIG_ORDER_NO, req.order_no.as_str());
        msg.set(field::TXN_AMT, amount);
        msg.set(field::CURRENCY_CODE, protocol::CURRENCY_CNY);
        msg.set(field::BACK_URL, account.notify_url.as_str());
        let answer = self.call(&account, msg).await?;
        match resp_code(&answer) {
            code::SUCCESS => refund_from(&answer, RefundState::Succeeded),
            code::IN_PROGRESS => refund_from(&answer, RefundState::Processing),
            _ => Err(failure(&answer, Stakes::Effectful)),
        }
    }

    /// A query with the refund's own `orderNo`; an answer about anything but a refund of this
    /// order is no such refund.
    async fn refund_query(&self, ctx: &ChannelContext, order_no: &str, refund_no: &str) -> ChannelResult<RefundStatus> {
        let account = self.account(ctx).await?;
        let Some(answer) = self.query_txn(&account, refund_no).await? else {
            return Ok(refund_status(RefundState::NotFound));
        };
        let is_ours = answer.get(field::ORIG_REQ_TYPE) == Some(protocol::REFUND)
            && answer.get(field::ORIG_ORDER_NO) == Some(order_no);
        if !is_ours {
            return Ok(refund_status(RefundState::NotFound));
        }
        refund_from(&answer, mapping::refund_state(required(&answer, field::ORIG_RESP_CODE)?))
    }

    async fn parse_notification(
        &self,
        ctx: &ChannelContext,
        req: &InboundRequest<'_>,
    ) -> ChannelResult<ChannelNotification> {
        let account = self.account(ctx).await?;
        super::notify::parse(&account, req)
    }

    /// The acquirer resends until it gets HTTP 200; the body (`ok`) is for people reading logs.
    /// A rejected notification answers 500 so that it comes again.
    fn ack(&self, accepted: bool) -> Ack {
        if accepted {
            Ack { status: 200, content_type: "text/plain", body: "ok".into() }
        } else {
            Ack { status: 500, content_type: "text/plain", body: "fail".into() }
        }
    }

    /// The day's statement (`0760000903`, see `protocol::BILL`): the merchant's when the context
    /// has a binding, the whole institution's otherwise. Raw CSV bytes, as the acquirer sent them.
    async fn download_bill(&self, ctx: &ChannelContext, date: Date) -> ChannelResult<Vec<u8>> {
        let account = self.account(ctx).await?;
        let settle_date = protocol::format_date(date);
        let order_no = format!("BILL{settle_date}");
        let mut msg = match account.mer_id {
            Some(_) => account.request(protocol::BILL, &order_no)?,
            None => account.institution_request(protocol::BILL, &order_no)?,
        };
        msg.set(field::SETTLE_DATE, settle_date);
        let answer = transport::call(&self.http, &account, msg, MAX_BILL_ANSWER_BYTES).await?;
        if resp_code(&answer) != code::SUCCESS {
            return Err(failure(&answer, Stakes::Effectful));
        }
        STANDARD
            .decode(required(&answer, field::FILE_CONTENT)?)
            .map_err(|_| ChannelError::Unknown("statement: `fileContent` is not Base64".into()))
    }
}

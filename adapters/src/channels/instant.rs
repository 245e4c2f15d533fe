//! The `instant` channel: in-process, no HTTP, no crypto, for load tests only. It takes every
//! concrete way, answers at once with `pay_data` shaped like the real channels' (`instant://…`
//! links instead of payable ones), pays barcode orders at once, succeeds refunds at once, and
//! answers queries from an in-memory book of what it created (bounded: the oldest trades are
//! forgotten past [`BOOK_CAP`] and then read as `NotFound`).
//!
//! Routing refuses instant bindings unless the server runs with `instant_channel_enabled`; the
//! adapter itself is always registered so that accounts and bindings can be set up beforehand.
//! It never sends notifications: nothing it answers needs one.

use juhe_domain::channels::{
    Ack, BarcodePay, ChannelCode, ChannelContext, ChannelError, ChannelNotification, ChannelResult, CreateOrder,
    Created, InboundRequest, PaymentChannel, RefundRequest, RefundState, RefundStatus, ReverseOutcome, TradeState,
    TradeStatus,
};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use time::OffsetDateTime;

/// Trades remembered at most (≈ 200 bytes each); the oldest are forgotten first.
pub const BOOK_CAP: usize = 500_000;

const WAYS: [PayWay; 11] = [
    PayWay::WxJsapi,
    PayWay::WxNative,
    PayWay::WxH5,
    PayWay::WxApp,
    PayWay::WxMini,
    PayWay::AliQr,
    PayWay::AliJsapi,
    PayWay::AliWap,
    PayWay::AliApp,
    PayWay::UpQr,
    PayWay::Barcode,
];

struct Trade {
    amount: Money,
    state: TradeState,
    paid_at: Option<OffsetDateTime>,
    pay_data: Option<Value>,
    /// refund_no → amount.
    refunds: HashMap<String, Money>,
}

impl Trade {
    fn new(amount: Money, state: TradeState) -> Self {
        Self { amount, state, paid_at: None, pay_data: None, refunds: HashMap::new() }
    }

    fn status(&self, order_no: &str) -> TradeStatus {
        TradeStatus {
            state: self.state,
            channel_trade_no: Some(trade_no(order_no)),
            amount: Some(self.amount),
            paid_at: self.paid_at,
            message: None,
        }
    }

    fn refunded(&self) -> i64 {
        self.refunds.values().map(|m| m.0).sum()
    }
}

#[derive(Default)]
struct Book {
    trades: HashMap<String, Trade>,
    /// Insertion order, for forgetting the oldest.
    order: VecDeque<String>,
    cap: usize,
}

impl Book {
    fn insert(&mut self, order_no: &str, trade: Trade) {
        if self.trades.insert(order_no.to_owned(), trade).is_none() {
            self.order.push_back(order_no.to_owned());
        }
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.trades.remove(&old);
            }
        }
    }
}

/// The load-test channel. Cheap to call from many tasks: one short lock per call.
pub struct InstantChannel {
    book: Mutex<Book>,
}

impl Default for InstantChannel {
    fn default() -> Self {
        Self::with_capacity(BOOK_CAP)
    }
}

impl InstantChannel {
    pub fn new() -> Self {
        Self::default()
    }

    /// A channel that remembers at most `cap` trades.
    pub fn with_capacity(cap: usize) -> Self {
        Self { book: Mutex::new(Book { cap: cap.max(1), ..Book::default() }) }
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        // Every book operation completes before releasing the lock: a poisoned book is whole.
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for InstantChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstantChannel").finish_non_exhaustive()
    }
}

fn trade_no(order_no: &str) -> String {
    format!("instant_{order_no}")
}

fn declined(code: &str, message: impl Into<String>) -> ChannelError {
    ChannelError::Declined { code: code.into(), message: message.into() }
}

/// What the payer's device would get from the real channel of `way`, with `instant://` links.
fn pay_data(way: PayWay, order_no: &str, sub_merchant_id: &str) -> ChannelResult<Value> {
    let link = format!("instant://pay/{order_no}");
    let prepay_id = format!("instant_prepay_{order_no}");
    let timestamp = OffsetDateTime::now_utc().unix_timestamp().to_string();
    Ok(match way {
        PayWay::WxNative | PayWay::AliQr | PayWay::UpQr => json!({ "code_url": link }),
        PayWay::WxH5 | PayWay::AliWap => json!({ "h5_url": link }),
        PayWay::WxJsapi | PayWay::WxMini => json!({
            "jsapi": {
                "appId": "instant",
                "timeStamp": timestamp,
                "nonceStr": order_no,
                "package": format!("prepay_id={prepay_id}"),
                "signType": "NONE",
                "paySign": "",
            }
        }),
        PayWay::WxApp => json!({
            "app": {
                "appid": "instant",
                "partnerid": sub_merchant_id,
                "prepayid": prepay_id,
                "package": "Sign=WXPay",
                "noncestr": order_no,
                "timestamp": timestamp,
                "sign": "",
            }
        }),
        PayWay::AliJsapi => json!({ "trade_no": trade_no(order_no) }),
        PayWay::AliApp => json!({ "app": { "order_string": format!("out_trade_no={order_no}&channel=instant") } }),
        PayWay::Barcode | PayWay::Cashier => return Err(ChannelError::Unsupported),
    })
}

#[async_trait::async_trait]
impl PaymentChannel for InstantChannel {
    fn code(&self) -> ChannelCode {
        ChannelCode::Instant
    }

    fn ways(&self) -> &'static [PayWay] {
        &WAYS
    }

    /// Idempotent per order number: creating again returns the same payable data.
    async fn create(&self, ctx: &ChannelContext, req: &CreateOrder) -> ChannelResult<Created> {
        let sub_merchant_id = ctx.sub_merchant_id()?;
        if req.amount.0 <= 0 {
            return Err(declined("PARAM_ERROR", "amount must be positive"));
        }
        let mut book = self.book();
        if let Some(existing) = book.trades.get(&req.order_no) {
            return match &existing.pay_data {
                Some(data) if existing.amount == req.amount => {
                    Ok(Created { pay_data: data.clone(), channel_trade_no: Some(trade_no(&req.order_no)) })
                }
                _ => Err(declined("OUT_TRADE_NO_USED", "the order number was used for another trade")),
            };
        }
        let data = pay_data(req.way, &req.order_no, sub_merchant_id)?;
        let mut trade = Trade::new(req.amount, TradeState::NotPaid);
        trade.pay_data = Some(data.clone());
        book.insert(&req.order_no, trade);
        Ok(Created { pay_data: data, channel_trade_no: Some(trade_no(&req.order_no)) })
    }

    /// Pays at once, whatever the auth code.
    async fn barcode_pay(&self, ctx: &ChannelContext, req: &BarcodePay) -> ChannelResult<TradeStatus> {
        ctx.sub_merchant_id()?;
        if req.amount.0 <= 0 {
            return Err(declined("PARAM_ERROR", "amount must be positive"));
        }
        let mut book = self.book();
        if let Some(existing) = book.trades.get(&req.order_no) {
            if existing.amount != req.amount || existing.pay_data.is_some() {
                return Err(declined("OUT_TRADE_NO_USED", "the order number was used for another trade"));
            }
            return Ok(existing.status(&req.order_no));
        }
        let mut trade = Trade::new(req.amount, TradeState::Paid);
        trade.paid_at = Some(OffsetDateTime::now_utc());
        let status = trade.status(&req.order_no);
        book.insert(&req.order_no, trade);
        Ok(status)
    }

    async fn query(&self, _ctx: &ChannelContext, order_no: &str) -> ChannelResult<TradeStatus> {
        Ok(match self.book().trades.get(order_no) {
            Some(trade) => trade.status(order_no),
            None => TradeStatus::of(TradeState::NotFound),
        })
    }

    /// Closes an unpaid trade; a trade it does not know has nothing payable, so that is done too.
    async fn close(&self, _ctx: &ChannelContext, order_no: &str) -> ChannelResult<()> {
        let mut book = self.book();
        let Some(trade) = book.trades.get_mut(order_no) else { return Ok(()) };
        match trade.state {
            TradeState::NotPaid | TradeState::Paying | TradeState::Closed => {
                trade.state = TradeState::Closed;
                Ok(())
            }
            TradeState::Paid => Err(declined("ORDERPAID", "the trade is paid")),
            _ => Err(declined("ORDER_CLOSED", "the trade is final")),
        }
    }

    async fn reverse(&self, _ctx: &ChannelContext, order_no: &str) -> ChannelResult<ReverseOutcome> {
        let mut book = self.book();
        let Some(trade) = book.trades.get_mut(order_no) else {
            return Err(declined("ORDER_NOT_EXIST", "no such trade"));
        };
        trade.state = TradeState::Revoked;
        Ok(ReverseOutcome::Reversed)
    }

    /// Succeeds at once, up to the paid amount; idempotent per refund number.
    async fn refund(&self, _ctx: &ChannelContext, req: &RefundRequest) -> ChannelResult<RefundStatus> {
        let mut book = self.book();
        let Some(trade) = book.trades.get_mut(&req.order_no) else {
            return Err(declined("ORDER_NOT_EXIST", "no such trade"));
        };
        if trade.state != TradeState::Paid {
            return Err(declined("TRADE_NOT_PAID", "only a paid trade can be refunded"));
        }
        let succeeded = |no: &str| RefundStatus {
            state: RefundState::Succeeded,
            channel_refund_no: Some(format!("instant_{no}")),
            succeeded_at: Some(OffsetDateTime::now_utc()),
            message: None,
        };
        match trade.refunds.get(&req.refund_no) {
            Some(amount) if *amount == req.amount => return Ok(succeeded(&req.refund_no)),
            Some(_) => return Err(declined("INVALID_REQUEST", "the refund number was used for another amount")),
            None => {}
        }
        if req.amount.0 <= 0 || trade.refunded() + req.amount.0 > trade.amount.0 {
            return Err(declined("NOT_ENOUGH", "refund amount exceeds what is left"));
        }
        trade.refunds.insert(req.refund_no.clone(), req.amount);
        Ok(succeeded(&req.refund_no))
    }

    async fn refund_query(
        &self,
        _ctx: &ChannelContext,
        order_no: &str,
        refund_no: &str,
    ) -> ChannelResult<RefundStatus> {
        let book = self.book();
        let found = book.trades.get(order_no).is_some_and(|t| t.refunds.contains_key(refund_no));
        Ok(RefundStatus {
            state: if found { RefundState::Succeeded } else { RefundState::NotFound },
            channel_refund_no: found.then(|| format!("instant_{refund_no}")),
            succeeded_at: None,
            message: None,
        })
    }

    async fn parse_notification(
        &self,
        _ctx: &ChannelContext,
        _req: &InboundRequest<'_>,
    ) -> ChannelResult<ChannelNotification> {
        Err(ChannelError::BadMessage("the instant channel sends no notifications".into()))
    }

    fn ack(&self, accepted: bool) -> Ack {
        Ack {
            status: if accepted { 200 } else { 400 },
            content_type: "text/plain",
            body: if accepted { "ok" } else { "rejected" }.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use juhe_domain::channels::{BindingStatus, ChannelAccount, ChannelBinding};
    use juhe_domain::ids::{MerchantId, PlatformId};
    use juhe_domain::scope::NodePath;
    use juhe_domain::secret::Secret;
    use juhe_domain::status::Status;

    fn ctx() -> ChannelContext {
        let now = OffsetDateTime::UNIX_EPOCH;
        let platform_id = PlatformId::generate();
        let account = ChannelAccount {
            id: "ca_instant".into(),
            platform_id: platform_id.clone(),
            channel: ChannelCode::Instant,
            name: "instant".into(),
            config: json!({}),
            secrets_enc: String::new(),
            status: Status::Active,
            daily_amount_cap: None,
            daily_count_cap: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let binding = ChannelBinding {
            id: "cb_instant".into(),
            platform_id,
            merchant_id: MerchantId::generate(),
            path: NodePath::from_trusted("/p/".into()),
            channel_account_id: account.id.clone(),
            channel: ChannelCode::Instant,
            sub_merchant_id: "sub1".into(),
            config: json!({}),
            ways: WAYS.to_vec(),
            status: BindingStatus::Approved,
            priority: 0,
            weight: 1,
            daily_amount_cap: None,
            daily_count_cap: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        ChannelContext {
            account,
            secrets: Secret::new(json!({})),
            binding: Some(binding),
            notify_url: "http://127.0.0.1/callbacks/instant/ca_instant".into(),
        }
    }

    fn order(no: &str, way: PayWay, fen: i64) -> CreateOrder {
        CreateOrder {
            order_no: no.into(),
            way,
            amount: Money(fen),
            subject: "load".into(),
            payer_id: Some("openid".into()),
            client_ip: None,
            expire_at: OffsetDateTime::now_utc(),
            return_url: None,
        }
    }

    fn barcode(no: &str, fen: i64) -> BarcodePay {
        BarcodePay {
            order_no: no.into(),
            amount: Money(fen),
            subject: "load".into(),
            auth_code: Secret::new("134567890123456789".into()),
            store_id: None,
            client_ip: None,
        }
    }

    fn refund(order_no: &str, refund_no: &str, total: i64, fen: i64) -> RefundRequest {
        RefundRequest {
            order_no: order_no.into(),
            channel_trade_no: None,
            refund_no: refund_no.into(),
            order_amount: Money(total),
            amount: Money(fen),
            reason: None,
        }
    }

    #[tokio::test]
    async fn every_way_gets_pay_data_shaped_like_the_real_channels() {
        let ch = InstantChannel::new();
        let c = ctx();
        assert_eq!(ch.code(), ChannelCode::Instant);
        for (i, way) in WAYS.into_iter().filter(|w| *w != PayWay::Barcode).enumerate() {
            let no = format!("O{i}");
            let created = ch.create(&c, &order(&no, way, 100)).await.unwrap();
            let d = &created.pay_data;
            let shaped = match way {
                PayWay::WxNative | PayWay::AliQr | PayWay::UpQr => {
                    d["code_url"].as_str().is_some_and(|u| u.starts_with("instant://"))
                }
                PayWay::WxH5 | PayWay::AliWap => d["h5_url"].as_str().is_some_and(|u| u.starts_with("instant://")),
                PayWay::WxJsapi | PayWay::WxMini => {
                    d["jsapi"]["package"].as_str().is_some_and(|p| p.starts_with("prepay_id="))
                }
                PayWay::WxApp => d["app"]["partnerid"] == "sub1",
                PayWay::AliJsapi => d["trade_no"].is_string(),
                PayWay::AliApp => d["app"]["order_string"].is_string(),
                _ => false,
            };
            assert!(shaped, "{way:?}: {d}");
            // Creating again gives the same payable data; the query reports the unpaid trade.
            assert_eq!(ch.create(&c, &order(&no, way, 100)).await.unwrap(), created);
            let q = ch.query(&c, &no).await.unwrap();
            assert_eq!((q.state, q.amount), (TradeState::NotPaid, Some(Money(100))));
        }
        assert!(matches!(ch.create(&c, &order("O0", PayWay::WxNative, 999)).await, Err(ChannelError::Declined { .. })));
        assert_eq!(ch.create(&c, &order("X", PayWay::Barcode, 1)).await, Err(ChannelError::Unsupported));
    }

    #[tokio::test]
    async fn barcode_pays_at_once_and_refunds_succeed_up_to_the_amount() {
        let ch = InstantChannel::new();
        let c = ctx();
        let paid = ch.barcode_pay(&c, &barcode("B1", 500)).await.unwrap();
        assert_eq!((paid.state, paid.amount), (TradeState::Paid, Some(Money(500))));
        assert!(paid.paid_at.is_some() && paid.channel_trade_no.is_some());
        assert_eq!(ch.query(&c, "B1").await.unwrap().state, TradeState::Paid);
        // Paid trades are not closed.
        assert!(matches!(ch.close(&c, "B1").await, Err(ChannelError::Declined { .. })));

        let r = ch.refund(&c, &refund("B1", "R1", 500, 300)).await.unwrap();
        assert_eq!(r.state, RefundState::Succeeded);
        // The same refund again is the same refund; more than what is left is declined.
        assert_eq!(ch.refund(&c, &refund("B1", "R1", 500, 300)).await.unwrap().state, RefundState::Succeeded);
        assert!(matches!(ch.refund(&c, &refund("B1", "R2", 500, 201)).await, Err(ChannelError::Declined { .. })));
        assert_eq!(ch.refund(&c, &refund("B1", "R2", 500, 200)).await.unwrap().state, RefundState::Succeeded);
        assert_eq!(ch.refund_query(&c, "B1", "R2").await.unwrap().state, RefundState::Succeeded);
        assert_eq!(ch.refund_query(&c, "B1", "R3").await.unwrap().state, RefundState::NotFound);
        // Unpaid trades cannot be refunded.
        ch.create(&c, &order("U1", PayWay::WxNative, 100)).await.unwrap();
        assert!(matches!(ch.refund(&c, &refund("U1", "R9", 100, 1)).await, Err(ChannelError::Declined { .. })));

        assert_eq!(ch.reverse(&c, "B1").await.unwrap(), ReverseOutcome::Reversed);
        assert_eq!(ch.query(&c, "B1").await.unwrap().state, TradeState::Revoked);
    }

    #[tokio::test]
    async fn close_query_and_the_bounded_book() {
        let ch = InstantChannel::with_capacity(2);
        let c = ctx();
        assert_eq!(ch.query(&c, "nope").await.unwrap().state, TradeState::NotFound);
        ch.create(&c, &order("A", PayWay::AliQr, 1)).await.unwrap();
        ch.close(&c, "A").await.unwrap();
        assert_eq!(ch.query(&c, "A").await.unwrap().state, TradeState::Closed);
        // Closing what it does not know leaves nothing payable: fine.
        ch.close(&c, "nope").await.unwrap();
        ch.create(&c, &order("B", PayWay::AliQr, 1)).await.unwrap();
        ch.create(&c, &order("C", PayWay::AliQr, 1)).await.unwrap();
        assert_eq!(ch.query(&c, "A").await.unwrap().state, TradeState::NotFound, "the oldest is forgotten");
        assert_eq!(ch.query(&c, "C").await.unwrap().state, TradeState::NotPaid);
        // It needs a binding (a merchant-level call) and sends no notifications.
        let mut no_binding = ctx();
        no_binding.binding = None;
        assert!(matches!(ch.create(&no_binding, &order("D", PayWay::AliQr, 1)).await, Err(ChannelError::Config(_))));
        let req = InboundRequest { headers: &[], body: b"{}" };
        assert!(matches!(ch.parse_notification(&c, &req).await, Err(ChannelError::BadMessage(_))));
        assert_eq!(ch.ack(true).status, 200);
    }
}

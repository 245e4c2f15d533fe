//! The sandbox's trade book: orders by (sub_mchid, out_trade_no) and their state machine, as
//! WeChat Pay keeps them. Request fields are checked by `validate`; this file holds the rules
//! that need the book (idempotency, states, refundable amounts).

use super::super::protocol::{CodepayRequest, PrepayRequest, PrepayResponse, Refund, RefundCreate, Transaction};
use super::model::{
    ApiError, Event, Order, RefundRec, RefundState, TradeState, fail, new_code_url, new_h5_url, new_prepay_id,
    new_refund_id, new_transaction_id,
};
use super::validate::{self, Checked};
use std::collections::HashMap;
use time::OffsetDateTime;

type Key = (String, String);

/// Barcode behaviour by the auth code's last digits, so tests can drive it.
fn barcode_outcome(auth_code: &str) -> TradeState {
    if auth_code.ends_with("1111") {
        TradeState::UserPaying
    } else if auth_code.ends_with("2222") {
        TradeState::PayError
    } else {
        TradeState::Success
    }
}

#[derive(Default)]
pub(crate) struct Book {
    orders: HashMap<Key, Order>,
    refunds: HashMap<Key, RefundRec>,
}

fn not_found() -> ApiError {
    fail(404, "ORDER_NOT_EXIST", "订单不存在")
}

impl Book {
    /// jsapi/app/h5/native. The same out_trade_no with the same parameters gets the same prepay
    /// data back; different parameters are `OUT_TRADE_NO_USED`.
    pub(crate) fn prepay(
        &mut self,
        trade_type: &'static str,
        req: &PrepayRequest,
        checked: Checked,
        now: OffsetDateTime,
    ) -> Result<PrepayResponse, ApiError> {
        let key = (req.sub_mchid.clone(), req.out_trade_no.clone());
        let fingerprint = validate::prepay_fingerprint(trade_type, req);
        if let Some(existing) = self.orders.get(&key) {
            return repeat(existing, &fingerprint).map(|o| o.prepay.clone());
        }
        let prepay_id = new_prepay_id(now);
        let prepay = match trade_type {
            "NATIVE" => PrepayResponse { code_url: Some(new_code_url()), ..PrepayResponse::default() },
            "MWEB" => PrepayResponse { h5_url: Some(new_h5_url(&prepay_id)), ..PrepayResponse::default() },
            _ => PrepayResponse { prepay_id: Some(prepay_id), ..PrepayResponse::default() },
        };
        let order = Order {
            sp_appid: req.sp_appid.clone(),
            sp_mchid: req.sp_mchid.clone(),
            sub_appid: req.sub_appid.clone(),
            sub_mchid: req.sub_mchid.clone(),
            out_trade_no: req.out_trade_no.clone(),
            transaction_id: new_transaction_id(now),
            trade_type,
            description: req.description.clone(),
            total: req.amount.total,
            attach: req.attach.clone(),
            notify_url: Some(req.notify_url.clone()),
            time_expire: checked.time_expire,
            payer: req.payer.clone(),
            prepay: prepay.clone(),
            state: TradeState::NotPay,
            created_at: now,
            success_time: None,
            fingerprint,
        };
        self.orders.insert(key, order);
        Ok(prepay)
    }

    /// Barcode pay: settles at once by the auth code (see [`barcode_outcome`]).
    pub(crate) fn codepay(&mut self, req: &CodepayRequest, now: OffsetDateTime) -> Result<Transaction, ApiError> {
        let key = (req.sub_mchid.clone(), req.out_trade_no.clone());
        let fingerprint = validate::codepay_fingerprint(req);
        if let Some(existing) = self.orders.get(&key) {
            if existing.fingerprint != fingerprint {
                return Err(fail(400, "OUT_TRADE_NO_USED", "商户订单号重复"));
            }
            return Ok(existing.transaction());
        }
        let mut order = Order {
            sp_appid: req.sp_appid.clone(),
            sp_mchid: req.sp_mchid.clone(),
            sub_appid: req.sub_appid.clone(),
            sub_mchid: req.sub_mchid.clone(),
            out_trade_no: req.out_trade_no.clone(),
            transaction_id: new_transaction_id(now),
            trade_type: "MICROPAY",
            description: req.description.clone(),
            total: req.amount.total,
            attach: req.attach.clone(),
            notify_url: None,
            time_expire: None,
            payer: None,
            prepay: PrepayResponse::default(),
            state: TradeState::NotPay,
            created_at: now,
            success_time: None,
            fingerprint,
        };
        match barcode_outcome(&req.payer.auth_code) {
            TradeState::Success => order.mark_paid(now),
            other => order.state = other,
        }
        let tx = order.transaction();
        self.orders.insert(key, order);
        Ok(tx)
    }

    pub(crate) fn query(&self, sub_mchid: &str, out_trade_no: &str) -> Result<Transaction, ApiError> {
        self.orders.get(&(sub_mchid.to_owned(), out_trade_no.to_owned())).map(Order::transaction).ok_or_else(not_found)
    }

    pub(crate) fn query_by_id(&self, sub_mchid: &str, transaction_id: &str) -> Result<Transaction, ApiError> {
        self.orders
            .values()
            .find(|o| o.sub_mchid == sub_mchid && o.transaction_id == transaction_id && o.state.is_paid())
            .map(Order::transaction)
            .ok_or_else(not_found)
    }

    pub(crate) fn close(&mut self, sub_mchid: &str, out_trade_no: &str) -> Result<(), ApiError> {
        let order = self.orders.get_mut(&(sub_mchid.to_owned(), out_trade_no.to_owned())).ok_or_else(not_found)?;
        match order.state {
            TradeState::NotPay | TradeState::UserPaying | TradeState::PayError => {
                order.state = TradeState::Closed;
                Ok(())
            }
            TradeState::Closed | TradeState::Revoked => Ok(()),
            TradeState::Success | TradeState::Refund => Err(fail(400, "ORDERPAID", "订单已支付")),
        }
    }

    /// Barcode trades only: an unpaid one is revoked, a paid one is revoked and paid back.
    pub(crate) fn reverse(&mut self, sub_mchid: &str, out_trade_no: &str) -> Result<(), ApiError> {
        let key = (sub_mchid.to_owned(), out_trade_no.to_owned());
        let order = self.orders.get_mut(&key).ok_or_else(not_found)?;
        if order.trade_type != "MICROPAY" {
            return Err(fail(400, "INVALID_REQUEST", "仅付款码支付订单可撤销"));
        }
        match order.state {
            TradeState::Refund => Err(fail(400, "INVALID_REQUEST", "订单已发生退款，不可撤销")),
            _ => {
                order.state = TradeState::Revoked;
                Ok(())
            }
        }
    }

    /// The payer pays an open order (simulate/pay). `None` when it was already paid.
    pub(crate) fn pay(&mut self, out_trade_no: &str, now: OffsetDateTime) -> Result<Option<Event>, ApiError> {
        let order = self.orders.values_mut().find(|o| o.out_trade_no == out_trade_no).ok_or_else(not_found)?;
        if order.state.is_paid() {
            return Ok(None);
        }
        if !order.state.is_open() {
            return Err(fail(409, "ORDER_CLOSED", format!("order is {}", order.state.as_str())));
        }
        if order.time_expire.is_some_and(|exp| exp <= now) {
            return Err(fail(409, "ORDER_EXPIRED", "the order expired before the payer paid"));
        }
        order.mark_paid(now);
        Ok(order.notify_url.clone().map(|notify_url| Event::Paid { notify_url, transaction: order.transaction() }))
    }

    /// Accepts a refund as PROCESSING; [`Book::settle_refund`] completes it. Never more than
    /// what was paid, summed over all refunds of the trade.
    pub(crate) fn refund(&mut self, req: &RefundCreate, now: OffsetDateTime) -> Result<(Refund, bool), ApiError> {
        let key = (req.sub_mchid.clone(), req.out_refund_no.clone());
        let order = self
            .orders
            .values()
            .find(|o| {
                o.sub_mchid == req.sub_mchid
                    && (req.out_trade_no.as_deref() == Some(o.out_trade_no.as_str())
                        || req.transaction_id.as_deref() == Some(o.transaction_id.as_str()))
            })
            .ok_or_else(|| fail(404, "RESOURCE_NOT_EXISTS", "订单不存在"))?;
        if let Some(existing) = self.refunds.get(&key) {
            let same = existing.out_trade_no == order.out_trade_no && existing.refund == req.amount.refund;
            return if same {
                Ok((existing.view(), false))
            } else {
                Err(fail(400, "INVALID_REQUEST", "商户退款单号已被使用"))
            };
        }
        if !order.state.is_paid() {
            return Err(fail(400, "INVALID_REQUEST", "订单未支付，不可退款"));
        }
        if req.amount.total != order.total {
            return Err(fail(400, "PARAM_ERROR", "订单金额与原订单不一致"));
        }
        let refunded: i64 =
            self.refunds.values().filter(|r| r.out_trade_no == order.out_trade_no).map(|r| r.refund).sum();
        if req.amount.refund < 1 || refunded + req.amount.refund > order.total {
            return Err(fail(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额"));
        }
        let rec = RefundRec {
            sp_mchid: order.sp_mchid.clone(),
            sub_mchid: order.sub_mchid.clone(),
            out_refund_no: req.out_refund_no.clone(),
            refund_id: new_refund_id(now),
            out_trade_no: order.out_trade_no.clone(),
            transaction_id: order.transaction_id.clone(),
            refund: req.amount.refund,
            total: order.total,
            notify_url: req.notify_url.clone(),
            state: RefundState::Processing,
            created_at: now,
            success_time: None,
        };
        let view = rec.view();
        self.refunds.insert(key, rec);
        Ok((view, true))
    }

    /// The refund reaches the payer: the trade turns REFUND.
    pub(crate) fn settle_refund(&mut self, sub_mchid: &str, out_refund_no: &str, now: OffsetDateTime) -> Option<Event> {
        let rec = self.refunds.get_mut(&(sub_mchid.to_owned(), out_refund_no.to_owned()))?;
        if rec.state == RefundState::Success {
            return None;
        }
        rec.state = RefundState::Success;
        rec.success_time = Some(now);
        if let Some(order) = self.orders.get_mut(&(rec.sub_mchid.clone(), rec.out_trade_no.clone())) {
            order.state = TradeState::Refund;
        }
        rec.notify_url.clone().map(|notify_url| Event::Refunded { notify_url, notice: rec.notice() })
    }

    pub(crate) fn refund_query(&self, sub_mchid: &str, out_refund_no: &str) -> Result<Refund, ApiError> {
        self.refunds
            .get(&(sub_mchid.to_owned(), out_refund_no.to_owned()))
            .map(RefundRec::view)
            .ok_or_else(|| fail(404, "RESOURCE_NOT_EXISTS", "退款单不存在"))
    }

    pub(crate) fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values()
    }

    pub(crate) fn refunds(&self) -> impl Iterator<Item = &RefundRec> {
        self.refunds.values()
    }

    pub(crate) fn order(&self, sub_mchid: &str, out_trade_no: &str) -> Option<&Order> {
        self.orders.get(&(sub_mchid.to_owned(), out_trade_no.to_owned()))
    }
}

/// A repeated create: same parameters → the same order; different → OUT_TRADE_NO_USED; a paid or
/// closed order cannot be created again.
fn repeat<'a>(existing: &'a Order, fingerprint: &str) -> Result<&'a Order, ApiError> {
    if existing.fingerprint != fingerprint {
        return Err(fail(400, "OUT_TRADE_NO_USED", "商户订单号重复"));
    }
    match existing.state {
        TradeState::Success | TradeState::Refund => Err(fail(400, "ORDERPAID", "该订单已支付")),
        TradeState::Closed | TradeState::Revoked => Err(fail(400, "ORDER_CLOSED", "该订单已关闭")),
        _ => Ok(existing),
    }
}

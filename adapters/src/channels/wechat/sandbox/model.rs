//! The sandbox's records (trades and refunds), how WeChat would render them, and its error
//! answers.

use super::super::mapping::format_time;
use super::super::protocol::{
    Payer, PrepayResponse, Refund, RefundAmount, RefundNotice, RefundNoticeAmount, Transaction, TransactionAmount,
};
use super::super::sign::random_from;
use time::OffsetDateTime;

pub(crate) const DIGITS: &[u8] = b"0123456789";
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An explicit error answer: `{code, message}` with an HTTP status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub(crate) fn fail(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError { status, code, message: message.into() }
}

pub(crate) fn param(message: impl Into<String>) -> ApiError {
    fail(400, "PARAM_ERROR", message)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TradeState {
    NotPay,
    UserPaying,
    Success,
    Refund,
    Closed,
    Revoked,
    PayError,
}

impl TradeState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::UserPaying => "USERPAYING",
            TradeState::Success => "SUCCESS",
            TradeState::Refund => "REFUND",
            TradeState::Closed => "CLOSED",
            TradeState::Revoked => "REVOKED",
            TradeState::PayError => "PAYERROR",
        }
    }

    fn desc(self) -> &'static str {
        match self {
            TradeState::NotPay => "订单未支付",
            TradeState::UserPaying => "用户支付中，需输入密码",
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Closed => "已关闭",
            TradeState::Revoked => "已撤销",
            TradeState::PayError => "支付失败，余额不足",
        }
    }

    pub(crate) fn is_paid(self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }

    /// The payer can still pay it.
    pub(crate) fn is_open(self) -> bool {
        matches!(self, TradeState::NotPay | TradeState::UserPaying)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub sp_appid: String,
    pub sp_mchid: String,
    pub sub_appid: Option<String>,
    pub sub_mchid: String,
    pub out_trade_no: String,
    /// Assigned at creation, shown once the trade exists for the payer (paid or barcode).
    pub transaction_id: String,
    /// JSAPI, NATIVE, APP, MWEB or MICROPAY.
    pub trade_type: &'static str,
    pub description: String,
    pub total: i64,
    pub attach: Option<String>,
    pub notify_url: Option<String>,
    pub time_expire: Option<OffsetDateTime>,
    pub payer: Option<Payer>,
    pub prepay: PrepayResponse,
    pub state: TradeState,
    pub created_at: OffsetDateTime,
    pub success_time: Option<OffsetDateTime>,
    /// What the parameters that must match on a repeated create looked like.
    pub fingerprint: String,
}

impl Order {
    pub(crate) fn transaction(&self) -> Transaction {
        let paid = self.state.is_paid();
        let shows_id = paid || self.trade_type == "MICROPAY";
        Transaction {
            sp_appid: Some(self.sp_appid.clone()),
            sp_mchid: Some(self.sp_mchid.clone()),
            sub_appid: self.sub_appid.clone(),
            sub_mchid: Some(self.sub_mchid.clone()),
            out_trade_no: self.out_trade_no.clone(),
            transaction_id: shows_id.then(|| self.transaction_id.clone()),
            trade_type: Some(self.trade_type.to_owned()),
            trade_state: self.state.as_str().to_owned(),
            trade_state_desc: Some(self.state.desc().to_owned()),
            bank_type: paid.then(|| "OTHERS".to_owned()),
            attach: self.attach.clone(),
            success_time: self.success_time.map(format_time),
            payer: if paid { self.payer.clone() } else { None },
            amount: Some(TransactionAmount {
                total: Some(self.total),
                payer_total: paid.then_some(self.total),
                currency: Some("CNY".into()),
                payer_currency: Some("CNY".into()),
            }),
        }
    }

    /// The payer pays: a sandbox payer gets an openid under the sp's app if none was given.
    pub(crate) fn mark_paid(&mut self, now: OffsetDateTime) {
        self.state = TradeState::Success;
        self.success_time = Some(now);
        if self.payer.is_none() {
            self.payer = Some(Payer { sp_openid: Some(new_openid()), sub_openid: None });
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefundState {
    Processing,
    Success,
}

#[derive(Clone, Debug)]
pub(crate) struct RefundRec {
    pub sp_mchid: String,
    pub sub_mchid: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub refund: i64,
    pub total: i64,
    pub notify_url: Option<String>,
    pub state: RefundState,
    pub created_at: OffsetDateTime,
    pub success_time: Option<OffsetDateTime>,
}

impl RefundRec {
    fn status(&self) -> &'static str {
        match self.state {
            RefundState::Processing => "PROCESSING",
            RefundState::Success => "SUCCESS",
        }
    }

    /// No coupons in the sandbox: the payer paid, and gets back, everything; nothing comes
    /// from promotion funds.
    fn amount(&self) -> RefundAmount {
        RefundAmount {
            total: self.total,
            refund: self.refund,
            from: Vec::new(),
            payer_total: self.total,
            payer_refund: self.refund,
            settlement_refund: self.refund,
            settlement_total: self.total,
            discount_refund: 0,
            currency: "CNY".into(),
        }
    }

    pub(crate) fn view(&self) -> Refund {
        Refund {
            refund_id: self.refund_id.clone(),
            out_refund_no: self.out_refund_no.clone(),
            transaction_id: self.transaction_id.clone(),
            out_trade_no: self.out_trade_no.clone(),
            channel: Some("ORIGINAL".into()),
            user_received_account: Some("支付用户零钱".into()),
            success_time: self.success_time.map(format_time),
            create_time: format_time(self.created_at),
            status: self.status().to_owned(),
            amount: self.amount(),
        }
    }

    pub(crate) fn notice(&self) -> RefundNotice {
        RefundNotice {
            sp_mchid: self.sp_mchid.clone(),
            sub_mchid: self.sub_mchid.clone(),
            out_trade_no: self.out_trade_no.clone(),
            transaction_id: self.transaction_id.clone(),
            out_refund_no: self.out_refund_no.clone(),
            refund_id: self.refund_id.clone(),
            refund_status: self.status().to_owned(),
            success_time: self.success_time.map(format_time),
            user_received_account: Some("支付用户零钱".into()),
            amount: RefundNoticeAmount {
                total: self.total,
                refund: self.refund,
                payer_total: self.total,
                payer_refund: self.refund,
            },
        }
    }
}

/// Something the merchant must be told about.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    Paid { notify_url: String, transaction: Transaction },
    Refunded { notify_url: String, notice: RefundNotice },
}

fn cst_stamp(now: OffsetDateTime, digits: usize) -> String {
    let at = now.to_offset(super::super::mapping::CST);
    let full = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    full[..digits.min(full.len())].to_owned()
}

/// 28 digits: `4200`, the CST date, 16 random digits.
pub(crate) fn new_transaction_id(now: OffsetDateTime) -> String {
    format!("4200{}{}", cst_stamp(now, 8), random_from(DIGITS, 16))
}

pub(crate) fn new_prepay_id(now: OffsetDateTime) -> String {
    format!("wx{}{}", cst_stamp(now, 14), random_from(b"0123456789abcdef", 20))
}

pub(crate) fn new_refund_id(now: OffsetDateTime) -> String {
    format!("50{}{}", cst_stamp(now, 8), random_from(DIGITS, 19))
}

pub(crate) fn new_code_url() -> String {
    format!("weixin://wxpay/bizpayurl?pr={}", random_from(ALNUM, 7))
}

pub(crate) fn new_h5_url(prepay_id: &str) -> String {
    format!(
        "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay_id}&package={}",
        random_from(DIGITS, 10)
    )
}

fn new_openid() -> String {
    format!("o{}", random_from(ALNUM, 27))
}

//! The day's trade bill in WeChat's format: UTF-8 with a byte order mark, a detail header, one
//! row per payment (SUCCESS) and per refund (REFUND) that settled that day (China time), a
//! summary header and row, CRLF line ends. Every value
//! starts with a backtick; amounts are yuan; the fee is at the sandbox's 0.38 %, rounded to the
//! fen and shown with five decimals, refunded proportionally (cumulatively, so a full refund
//! returns exactly the fee).
//!
//! Sandbox simplifications: SUCCESS/REFUND bills use the ALL columns; a paid barcode trade that
//! was reversed is left out (no money stayed with the merchant).

use super::book::Book;
use super::model::{Order, RefundRec, RefundState};
use crate::channels::wechat::mapping::CST;
use juhe_domain::money::{Money, Rate};
use time::{Date, OffsetDateTime};

const RATE: Rate = Rate(3800);
const RATE_TEXT: &str = "0.38%";
/// WeChat's bill files start with a UTF-8 byte order mark; parsers that miss it misread the
/// first column name.
const BOM: &str = "\u{feff}";

const DETAIL_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const SUMMARY_HEADER: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BillType {
    All,
    Success,
    Refund,
}

impl BillType {
    pub(crate) fn parse(raw: Option<&str>) -> Option<Self> {
        match raw.unwrap_or("ALL") {
            "ALL" => Some(Self::All),
            "SUCCESS" => Some(Self::Success),
            "REFUND" => Some(Self::Refund),
            _ => None,
        }
    }
}

struct Row {
    at: OffsetDateTime,
    cells: Vec<String>,
    settle: i64,
    refund: i64,
    fee: i64,
    order: i64,
}

/// The bill; `None` when the day has no matching trade (WeChat: NO_STATEMENT_EXIST).
pub(crate) fn render(book: &Book, date: Date, sub_mchid: Option<&str>, kind: BillType) -> Option<String> {
    let on_day = |at: Option<OffsetDateTime>| at.is_some_and(|t| t.to_offset(CST).date() == date);
    let mine = |sub: &str| sub_mchid.is_none_or(|s| s == sub);
    let mut rows = Vec::new();
    if kind != BillType::Refund {
        let paid = book.orders().filter(|o| o.state.is_paid() && mine(&o.sub_mchid) && on_day(o.success_time));
        rows.extend(paid.map(payment_row));
    }
    if kind != BillType::Success {
        for refund in book.refunds().filter(|r| r.state == RefundState::Success && mine(&r.sub_mchid)) {
            if on_day(refund.success_time)
                && let Some(order) = book.order(&refund.sub_mchid, &refund.out_trade_no)
            {
                rows.push(refund_row(book, order, refund));
            }
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.cells.cmp(&b.cells)));
    Some(format_bill(&rows))
}

/// The control endpoint's view: an empty day still has both headers and a zero summary.
pub(crate) fn render_or_empty(book: &Book, date: Date) -> String {
    render(book, date, None, BillType::All).unwrap_or_else(|| format_bill(&[]))
}

fn format_bill(rows: &[Row]) -> String {
    let mut out = String::from(BOM);
    out.push_str(DETAIL_HEADER);
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&ticked(&row.cells));
        out.push_str("\r\n");
    }
    let sum = |f: fn(&Row) -> i64| rows.iter().map(f).sum::<i64>();
    out.push_str(SUMMARY_HEADER);
    out.push_str("\r\n");
    let summary = [
        rows.len().to_string(),
        yuan(sum(|r| r.settle)),
        yuan(sum(|r| r.refund)),
        yuan(0),
        fee_text(sum(|r| r.fee)),
        yuan(sum(|r| r.order)),
        yuan(sum(|r| r.refund)),
    ];
    out.push_str(&ticked(&summary));
    out.push_str("\r\n");
    out
}

fn ticked(cells: &[String]) -> String {
    cells.iter().map(|c| format!("`{}", c.replace([',', '\r', '\n'], " "))).collect::<Vec<_>>().join(",")
}

fn payment_row(order: &Order) -> Row {
    let fee = order_fee(order);
    let at = order.success_time.unwrap_or(order.created_at);
    let cells = common(order, at, "SUCCESS")
        .into_iter()
        .chain([
            yuan(order.total),
            yuan(0),
            "0".into(),
            "0".into(),
            yuan(0),
            yuan(0),
            String::new(),
            String::new(),
            order.description.clone(),
            order.attach.clone().unwrap_or_default(),
            fee_text(fee),
            RATE_TEXT.into(),
            yuan(order.total),
            yuan(0),
            String::new(),
        ])
        .collect();
    Row { at, cells, settle: order.total, refund: 0, fee, order: order.total }
}

fn refund_row(book: &Book, order: &Order, refund: &RefundRec) -> Row {
    let fee = -refund_fee(book, order, refund);
    let at = refund.success_time.unwrap_or(refund.created_at);
    let cells = common(order, at, "REFUND")
        .into_iter()
        .chain([
            yuan(0),
            yuan(0),
            refund.refund_id.clone(),
            refund.out_refund_no.clone(),
            yuan(refund.refund),
            yuan(0),
            "ORIGINAL".into(),
            "SUCCESS".into(),
            order.description.clone(),
            order.attach.clone().unwrap_or_default(),
            fee_text(fee),
            RATE_TEXT.into(),
            yuan(0),
            yuan(refund.refund),
            String::new(),
        ])
        .collect();
    Row { at, cells, settle: 0, refund: refund.refund, fee, order: 0 }
}

/// The first twelve columns, shared by payment and refund rows.
fn common(order: &Order, at: OffsetDateTime, state: &str) -> Vec<String> {
    let openid = order.payer.as_ref().and_then(|p| p.sub_openid.clone().or_else(|| p.sp_openid.clone()));
    vec![
        local_time(at),
        order.sub_appid.clone().unwrap_or_else(|| order.sp_appid.clone()),
        order.sp_mchid.clone(),
        order.sub_mchid.clone(),
        String::new(),
        order.transaction_id.clone(),
        order.out_trade_no.clone(),
        openid.unwrap_or_default(),
        order.trade_type.to_owned(),
        state.to_owned(),
        "OTHERS".into(),
        "CNY".into(),
    ]
}

fn order_fee(order: &Order) -> i64 {
    Money(order.total).fee_at(RATE).fen()
}

/// This refund's share of the fee: F(cumulative refunded incl. this one) − F(before it), where
/// F(x) = round(fee × x / total).
fn refund_fee(book: &Book, order: &Order, refund: &RefundRec) -> i64 {
    let fee = i128::from(order_fee(order));
    let total = i128::from(order.total.max(1));
    let before: i64 = book
        .refunds()
        .filter(|r| r.out_trade_no == order.out_trade_no && r.sub_mchid == order.sub_mchid)
        .filter(|r| (r.created_at, &r.out_refund_no) < (refund.created_at, &refund.out_refund_no))
        .map(|r| r.refund)
        .sum();
    let share = |x: i64| ((fee * i128::from(x) * 2 + total) / (total * 2)) as i64;
    share(before + refund.refund) - share(before)
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

fn fee_text(fen: i64) -> String {
    format!("{}000", yuan(fen))
}

fn local_time(at: OffsetDateTime) -> String {
    let t = at.to_offset(CST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_amounts_like_wechat() {
        assert_eq!(yuan(12345), "123.45");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-38), "-0.38");
        assert_eq!(fee_text(38), "0.38000");
        assert_eq!(ticked(&["a".into(), "b,c".into()]), "`a,`b c");
        assert_eq!(DETAIL_HEADER.split(',').count(), 27);
        assert!(format_bill(&[]).starts_with("\u{feff}交易时间,"));
    }
}

//! The day's trade bill in Alipay's format: a ZIP holding two GBK CSVs, the detail (业务明细) and
//! the summary (业务明细(汇总)), each framed by `#` comment lines. The detail has Alipay's 25
//! columns; every value carries a trailing tab, as Alipay's do. Payments are listed on the day
//! they were paid, refunds on the day they were made (Beijing time).
//!
//! Amounts and fee signs (unverified detail, kept here): a payment row has the order amount and
//! the merchant's receipt positive and the service fee negative; a refund row has the order
//! amount positive, the receipt negative (minus the refund) and the returned fee positive. The
//! service fee is 0.6 % of the amount, rounded half up to the fen.

use super::super::amount::fen_to_yuan;
use super::super::protocol::{BEIJING, format_time};
use super::book::{Refund, Trade};
use juhe_domain::money::{Money, Rate};
use std::io::{self, Cursor, Write};
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use zip::write::SimpleFileOptions;

/// The sandbox's service fee rate: 0.6 %.
pub const SERVICE_FEE: Rate = Rate(6000);

pub const DETAIL_HEADER: [&str; 25] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
];

const SUMMARY_HEADER: &str = "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）";

fn yuan(fen: i64) -> String {
    let text = fen_to_yuan(Money(fen.abs())).unwrap_or_default();
    if fen < 0 { format!("-{text}") } else { text }
}

/// A CSV cell: quoted when it needs to be, then Alipay's trailing tab.
fn cell(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"\t", value.replace('"', "\"\""))
    } else {
        format!("{value}\t")
    }
}

struct Row {
    at: OffsetDateTime,
    payment: bool,
    order: i64,
    receipt: i64,
    fee: i64,
    cells: Vec<String>,
}

/// One detail line; `refund` names the refund (request number, reason) on refund lines.
fn row(trade: &Trade, kind: &str, done: OffsetDateTime, receipt: i64, refund: Option<&Refund>, fee: i64) -> Row {
    let zero = "0.00";
    let values: [&str; 25] = [
        &trade.trade_no,
        &trade.out_trade_no,
        kind,
        &trade.subject,
        &format_time(trade.created_at),
        &format_time(done),
        trade.store_id.as_deref().unwrap_or(""),
        "",
        "",
        "",
        "san***@sandbox.com",
        &yuan(trade.total),
        &yuan(receipt),
        zero,
        zero,
        zero,
        zero,
        zero,
        "",
        zero,
        zero,
        refund.map_or("", |r| r.out_request_no.as_str()),
        &yuan(fee),
        zero,
        refund.and_then(|r| r.reason.as_deref()).unwrap_or(""),
    ];
    let payment = kind == "交易";
    Row { at: done, payment, order: trade.total, receipt, fee, cells: values.iter().map(|v| cell(v)).collect() }
}

fn on_day(at: OffsetDateTime, date: Date) -> bool {
    at.to_offset(BEIJING).date() == date
}

fn chinese_time(at: OffsetDateTime) -> String {
    let fmt = format_description!("[year]年[month]月[day]日 [hour]:[minute]:[second]");
    at.to_offset(BEIJING).format(fmt).unwrap_or_default()
}

/// The bill of `date` for the trades given, as ZIP bytes.
pub fn zip_bill<'a>(
    account: &str,
    trades: impl Iterator<Item = &'a Trade>,
    date: Date,
    now: OffsetDateTime,
) -> io::Result<Vec<u8>> {
    let mut rows = Vec::new();
    for trade in trades {
        if let Some(paid_at) = trade.paid_at.filter(|at| on_day(*at, date)) {
            let fee = Money(trade.total).fee_at(SERVICE_FEE).fen();
            rows.push(row(trade, "交易", paid_at, trade.total, None, -fee));
        }
        for refund in trade.refunds.iter().filter(|r| on_day(r.at, date)) {
            let fee = Money(refund.amount).fee_at(SERVICE_FEE).fen();
            rows.push(row(trade, "退款", refund.at, -refund.amount, Some(refund), fee));
        }
    }
    rows.sort_by_key(|r| r.at);

    let start = date.midnight().assume_offset(BEIJING);
    let end = start + time::Duration::days(1);
    let period = format!("#起始日期：[{}]   终止日期：[{}]", chinese_time(start), chinese_time(end));
    let account_line = format!("#账号：[{account}0156]");
    let exported = format!("#导出时间：[{}]", chinese_time(now));
    let payments = rows.iter().filter(|r| r.payment).count();
    let refunds = rows.len() - payments;

    let mut detail = vec!["#支付宝业务明细查询".to_owned(), account_line.clone(), period.clone()];
    detail
        .push("#-----------------------------------------业务明细列表----------------------------------------".into());
    detail.push(DETAIL_HEADER.join(","));
    detail.extend(rows.iter().map(|r| r.cells.join(",")));
    detail
        .push("#-----------------------------------------业务明细列表结束------------------------------------".into());
    detail.push(format!("#交易合计：{payments}笔，退款合计：{refunds}笔"));
    detail.push(exported.clone());

    let ordered: i64 = rows.iter().filter(|r| r.payment).map(|r| r.order).sum();
    let receipt: i64 = rows.iter().map(|r| r.receipt).sum();
    let fee: i64 = rows.iter().map(|r| r.fee).sum();
    let totals = [
        "合计".to_owned(),
        String::new(),
        payments.to_string(),
        refunds.to_string(),
        yuan(ordered),
        yuan(receipt),
        yuan(0),
        yuan(0),
        yuan(0),
        yuan(fee),
        yuan(0),
        yuan(receipt + fee),
    ];
    let summary = vec![
        "#支付宝业务汇总查询".to_owned(),
        account_line,
        period,
        "#-----------------------------------------业务汇总列表----------------------------------------".into(),
        SUMMARY_HEADER.into(),
        totals.iter().map(|v| cell(v)).collect::<Vec<_>>().join(","),
        "#-----------------------------------------业务汇总列表结束------------------------------------".into(),
        exported,
    ];

    let day = format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (suffix, lines) in [("业务明细", detail), ("业务明细(汇总)", summary)] {
        zip.start_file(format!("{account}0156_{day}_{suffix}.csv"), options).map_err(io::Error::other)?;
        let text = lines.join("\r\n") + "\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        zip.write_all(&gbk)?;
    }
    Ok(zip.finish().map_err(io::Error::other)?.into_inner())
}

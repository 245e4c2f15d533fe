//! The bill: download URL from the gateway, then a ZIP of GBK CSVs in Alipay's layout.

use crate::support::{order, start};
use juhe_adapters::channels::alipay::sandbox::DETAIL_HEADER;
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use std::io::{Cursor, Read};
use time::OffsetDateTime;

#[tokio::test]
async fn bill_is_a_zip_of_gbk_csvs() {
    let h = start().await;
    let req = order(PayWay::AliQr, 1000);
    h.channel.create(&h.ctx, &req).await.expect("precreate");
    h.simulate_pay(&req.order_no).await;
    let refund = RefundRequest {
        order_no: req.order_no.clone(),
        channel_trade_no: None,
        refund_no: "RB1".into(),
        order_amount: Money(1000),
        amount: Money(250),
        reason: None,
    };
    h.channel.refund(&h.ctx, &refund).await.expect("refund");

    let today = OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date();
    let bytes = h.channel.download_bill(&h.ctx, today).await.expect("bill");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    assert_eq!(zip.len(), 2);
    let mut detail = None;
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).expect("entry");
        let mut raw = Vec::new();
        file.read_to_end(&mut raw).expect("read");
        let (text, _, malformed) = encoding_rs::GBK.decode(&raw);
        assert!(!malformed);
        if file.name().expect("name").ends_with("_业务明细.csv") {
            detail = Some(text.into_owned());
        }
    }
    let detail = detail.expect("detail file");
    let lines: Vec<&str> = detail.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines[0], DETAIL_HEADER.join(","));
    assert_eq!(lines[0].split(',').count(), 25);
    let rows: Vec<Vec<&str>> =
        lines[1..].iter().map(|l| l.split(',').map(|c| c.trim_end_matches('\t')).collect()).collect();
    assert_eq!(rows.len(), 2, "{detail}");
    let payment = rows.iter().find(|r| r[2] == "交易").expect("payment row");
    assert_eq!((payment[1], payment[11], payment[12], payment[22]), (req.order_no.as_str(), "10.00", "10.00", "-0.06"));
    let refund_row = rows.iter().find(|r| r[2] == "退款").expect("refund row");
    assert_eq!((refund_row[12], refund_row[21]), ("-2.50", "RB1"));
    assert!(detail.lines().any(|l| l.starts_with("#交易合计：1笔，退款合计：1笔")));

    // No bill for a day that has not come yet.
    let tomorrow = today.next_day().expect("date");
    assert!(matches!(h.channel.download_bill(&h.ctx, tomorrow).await, Err(ChannelError::Declined { .. })));
    assert_eq!(
        h.http.get(format!("{}/bill?date=yesterday", h.base)).send().await.expect("bill").status().as_u16(),
        400
    );
}

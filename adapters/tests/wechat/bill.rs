//! The trade bill: downloaded through the API (signed link, SHA1-checked file, gzip on request)
//! and from the control endpoint, in WeChat's format (UTF-8 with a BOM); the bill of a day exists
//! from 10:00 China time the next morning.

use super::support::{Harness, RawAnswer, order, order_no};
use aws_lc_rs::digest;
use flate2::read::GzDecoder;
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use std::io::Read;
use time::macros::{date, datetime};

const BOM: &str = "\u{feff}";

fn declined(result: &Result<Vec<u8>, ChannelError>, want: &str) -> bool {
    matches!(result, Err(ChannelError::Declined { code, .. }) if code == want)
}

/// One paid order (and optionally a refund of it) on 2024-03-07 at noon, China time.
async fn a_day_of_trade(h: &Harness, refund: bool) -> (String, Option<String>) {
    h.clock.set(datetime!(2024-03-07 12:00 +8));
    let no = order_no("BILL");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 10_000)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let refund_no = refund.then(|| order_no("BR"));
    if let Some(refund_no) = &refund_no {
        let request = RefundRequest {
            order_no: no.clone(),
            channel_trade_no: None,
            refund_no: refund_no.clone(),
            order_amount: Money(10_000),
            amount: Money(2_500),
            reason: None,
        };
        h.channel.refund(&h.ctx, &request).await.expect("refund");
    }
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &order_no("UNPAID"), 100)).await.expect("unpaid order");
    (no, refund_no)
}

#[tokio::test]
async fn bill_lists_the_days_payments_and_refunds_from_ten_the_next_morning() {
    let h = Harness::start().await;
    let day = date!(2024 - 03 - 07);
    let (no, refund_no) = a_day_of_trade(&h, true).await;
    let refund_no = refund_no.expect("refund");

    let today = h.channel.download_bill(&h.ctx, day).await;
    assert!(declined(&today, "NO_STATEMENT_EXIST"), "not the same day: {today:?}");
    h.clock.set(datetime!(2024-03-08 09:59:50 +8));
    let early = h.channel.download_bill(&h.ctx, day).await;
    assert!(declined(&early, "NO_STATEMENT_EXIST"), "not before 10:00 the next day: {early:?}");

    h.clock.set(datetime!(2024-03-08 10:00 +8));
    let file = h.channel.download_bill(&h.ctx, day).await.expect("bill");
    let text = String::from_utf8(file).expect("utf8");
    let body = text.strip_prefix(BOM).expect("the file starts with a UTF-8 BOM");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 5, "header, payment, refund, summary header, summary:\n{text}");
    assert!(lines[0].starts_with("交易时间,公众账号ID,商户号,特约商户号"));
    let payment: Vec<&str> =
        lines.iter().copied().find(|l| l.contains("`SUCCESS,")).expect("payment row").split(',').collect();
    assert_eq!(payment.len(), 27);
    assert!(payment[0].starts_with("`2024-03-07 12:0"), "{}", payment[0]);
    assert_eq!(payment[6], format!("`{no}"));
    assert_eq!(payment[12], "`100.00", "应结订单金额 in yuan");
    assert_eq!(payment[22], "`0.38000", "fee at 0.38 %");
    assert_eq!(payment[23], "`0.38%");
    let refund_row: Vec<&str> =
        lines.iter().copied().find(|l| l.contains("`REFUND,")).expect("refund row").split(',').collect();
    assert_eq!(refund_row[15], format!("`{refund_no}"));
    assert_eq!(refund_row[16], "`25.00");
    assert_eq!(refund_row[22], "`-0.10000", "a quarter of the fee, rounded");
    assert!(lines[3].starts_with("总交易单数,应结订单总金额,退款总金额"));
    assert_eq!(lines[4], "`2,`100.00,`25.00,`0.00,`0.28000,`100.00,`25.00");

    let quiet_day = h.channel.download_bill(&h.ctx, date!(2024 - 03 - 06)).await;
    assert!(declined(&quiet_day, "NO_STATEMENT_EXIST"), "{quiet_day:?}");
    let future = h.channel.download_bill(&h.ctx, date!(2024 - 03 - 09)).await;
    assert!(declined(&future, "PARAM_ERROR"), "{future:?}");

    // The control endpoint serves the same day's bill (the whole service provider).
    let control = h.http.get(format!("{}/bill?date=2024-03-07", h.sandbox_url)).send().await.expect("bill");
    assert_eq!(control.status().as_u16(), 200);
    assert_eq!(control.text().await.expect("text"), text);
}

/// Downloads the file a tradebill link points at (a signed GET under the base URL).
async fn fetch(h: &Harness, link: &serde_json::Value) -> RawAnswer {
    let url = link["download_url"].as_str().expect("download_url");
    let path = url.strip_prefix(&h.sandbox_url).expect("under the base URL");
    h.signed("GET", path, None).await
}

#[tokio::test]
async fn bills_come_gzipped_on_request_and_hash_the_original_file() {
    let h = Harness::start().await;
    let (no, _) = a_day_of_trade(&h, false).await;
    h.clock.set(datetime!(2024-03-08 10:00 +8));
    let link_path = format!("/v3/bill/tradebill?bill_date=2024-03-07&bill_type=ALL&sub_mchid={}", h.sub_mchid());

    let gz_link = h.signed("GET", &format!("{link_path}&tar_type=GZIP"), None).await;
    assert_eq!(gz_link.status, 200, "{}", gz_link.json());
    let gz_link = gz_link.json();
    let packed = fetch(&h, &gz_link).await;
    assert_eq!(packed.status, 200);
    assert!(packed.body.starts_with(&[0x1f, 0x8b]), "a gzip file");
    let mut original = Vec::new();
    GzDecoder::new(packed.body.as_slice()).read_to_end(&mut original).expect("gunzip");
    assert!(original.starts_with(BOM.as_bytes()), "the original file starts with a BOM");
    assert!(String::from_utf8_lossy(&original).contains(&format!("`{no}")));
    let sha1 = hex::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &original));
    assert_eq!(gz_link["hash_type"], "SHA1");
    assert_eq!(gz_link["hash_value"], sha1.as_str(), "the hash is of the original (unpacked) file");

    let plain_link = h.signed("GET", &link_path, None).await.json();
    assert_eq!(plain_link["hash_value"], sha1.as_str());
    let plain = fetch(&h, &plain_link).await;
    assert_eq!(plain.body, original, "without tar_type the file comes as it is");

    let zip = h.signed("GET", &format!("{link_path}&tar_type=ZIP"), None).await;
    assert_eq!((zip.status, zip.json()["code"].as_str()), (400, Some("PARAM_ERROR")));
}

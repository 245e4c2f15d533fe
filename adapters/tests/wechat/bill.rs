//! The trade bill: downloaded through the API (signed link, SHA1-checked file) and from the
//! control endpoint, in WeChat's format.

use super::support::{Harness, order, order_no};
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use time::{OffsetDateTime, UtcOffset};

fn today_cst() -> time::Date {
    OffsetDateTime::now_utc().to_offset(UtcOffset::from_hms(8, 0, 0).expect("offset")).date()
}

#[tokio::test]
async fn bill_lists_the_days_payments_and_refunds() {
    let h = Harness::start().await;
    let empty = h.channel.download_bill(&h.ctx, today_cst()).await;
    assert!(matches!(empty, Err(ChannelError::Declined { ref code, .. }) if code == "NO_STATEMENT_EXIST"), "{empty:?}");

    let no = order_no("BILL");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 10_000)).await.expect("create");
    assert_eq!(h.simulate_pay(&no).await, 200);
    let refund_no = order_no("BR");
    let refund = RefundRequest {
        order_no: no.clone(),
        channel_trade_no: None,
        refund_no: refund_no.clone(),
        order_amount: Money(10_000),
        amount: Money(2_500),
        reason: None,
    };
    h.channel.refund(&h.ctx, &refund).await.expect("refund");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &order_no("UNPAID"), 100)).await.expect("unpaid order");

    let file = h.channel.download_bill(&h.ctx, today_cst()).await.expect("bill");
    let text = String::from_utf8(file).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "header, payment, refund, summary header, summary:\n{text}");
    assert!(lines[0].starts_with("交易时间,公众账号ID,商户号,特约商户号"));
    let payment: Vec<&str> =
        lines.iter().copied().find(|l| l.contains("`SUCCESS,")).expect("payment row").split(',').collect();
    assert_eq!(payment.len(), 27);
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

    // The control endpoint serves the same day's bill (the whole service provider).
    let date = format!("{}", today_cst());
    let control = h.http.get(format!("{}/bill?date={date}", h.sandbox_url)).send().await.expect("bill");
    assert_eq!(control.status().as_u16(), 200);
    assert_eq!(control.text().await.expect("text"), text);
}

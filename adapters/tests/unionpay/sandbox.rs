//! The sandbox itself: its identity (persisted 0600, stable, never in Debug output), the raw
//! gateway's checks, and the day's statement through the adapter and the control endpoint.

use crate::support::{barcode, context, order, payer_code, start};
use juhe_adapters::channels::unionpay::UnionpaySandbox;
use juhe_adapters::channels::unionpay::sandbox::BILL_HEADER;
use juhe_domain::channels::{ChannelError, PaymentChannel, RefundRequest};
use juhe_domain::money::Money;
use time::OffsetDateTime;

#[test]
fn identity_persists_privately() {
    let dir = tempfile::tempdir().expect("dir");
    let first = UnionpaySandbox::load_or_create(dir.path()).expect("create");
    let second = UnionpaySandbox::load_or_create(dir.path()).expect("load");
    assert_eq!(first.acq_code(), second.acq_code());
    assert_eq!(first.provision_account("http://x/gateway"), second.provision_account("http://x/gateway"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("unionpay.json")).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (config, secrets) = first.provision_account("http://127.0.0.1:1/gateway");
    for key in ["gateway", "acq_code", "unionpay_public_key_pem", "unionpay_cert_id", "cert_id"] {
        assert!(config[key].as_str().is_some_and(|v| !v.is_empty()), "{key}");
    }
    assert!(secrets["private_key_pem"].as_str().is_some_and(|k| k.contains("PRIVATE KEY")));
    assert!(!config.to_string().contains("PRIVATE KEY"));
    assert!(!format!("{first:?}").contains("PRIVATE KEY"));
    let mer_id = first.provision_sub_merchant();
    assert!(mer_id.len() == 15 && mer_id.bytes().all(|b| b.is_ascii_digit()), "{mer_id}");
    assert!(UnionpaySandbox::load_or_create(&dir.path().join("unionpay.json")).is_err(), "a file is no directory");
}

#[tokio::test]
async fn the_gateway_checks_before_acting() {
    let h = start().await;
    let (acq_code, cert_id, mer_id, key) = (h.config("acq_code"), h.config("cert_id"), h.mer_id(), h.private_key());
    let base = [
        ("version", "1.0.0"),
        ("reqType", "0350000903"),
        ("acqCode", acq_code.as_str()),
        ("merId", mer_id.as_str()),
        ("termId", "00000001"),
        ("orderNo", "RAW1"),
        ("orderTime", "20250101120000"),
        ("certId", cert_id.as_str()),
    ];
    let (status, answer) = h.raw_call(&base, &key).await;
    assert_eq!((status, answer.get("respCode").map(String::as_str)), (200, Some("34")));
    assert_eq!(answer.get("orderNo").map(String::as_str), Some("RAW1"), "identifying fields are echoed");
    assert!(answer.contains_key("signature"));

    let replace = |key: &str, value: &'static str| -> Vec<(String, String)> {
        base.iter()
            .map(|(k, v)| ((*k).to_owned(), if *k == key { value.to_owned() } else { (*v).to_owned() }))
            .collect()
    };
    for (name, value, code) in [
        ("version", "5.1.0", "30"),
        ("reqType", "0999999903", "30"),
        ("orderTime", "2025-01-01", "30"),
        ("orderNo", "a/b", "30"),
    ] {
        let fields = replace(name, value);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (_, answer) = h.raw_call(&fields, &key).await;
        assert_eq!(answer.get("respCode").map(String::as_str), Some(code), "{name}={value}");
    }
    // Without a merId only the statement is allowed.
    let no_mer: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != "merId").collect();
    assert_eq!(h.raw_call(&no_mer, &key).await.1.get("respCode").map(String::as_str), Some("13"));
    // A repeated field is refused before anything else.
    let response = h
        .http
        .post(format!("{}/gateway", h.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("orderNo=A&orderNo=B")
        .send()
        .await
        .expect("send");
    let body = response.text().await.expect("body");
    assert!(body.contains("respCode=30"), "{body}");
}

#[tokio::test]
async fn the_statement_lists_the_days_payments_and_refunds() {
    let h = start().await;
    let req = order(1000);
    h.channel.create(&h.ctx, &req).await.expect("qr apply");
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let refund = RefundRequest {
        order_no: req.order_no.clone(),
        channel_trade_no: None,
        refund_no: "RB1".into(),
        order_amount: Money(1000),
        amount: Money(250),
        reason: None,
    };
    h.channel.refund(&h.ctx, &refund).await.expect("refund");
    let bar = barcode(&payer_code("0000"), 500);
    h.channel.barcode_pay(&h.ctx, &bar).await.expect("barcode");
    // Reversed payments and unpaid orders are not in the statement.
    let reversed = barcode(&payer_code("0000"), 70);
    h.channel.barcode_pay(&h.ctx, &reversed).await.expect("barcode");
    h.channel.reverse(&h.ctx, &reversed.order_no).await.expect("reverse");
    h.channel.create(&h.ctx, &order(30)).await.expect("unpaid");

    let today = OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date();
    let bytes = h.channel.download_bill(&h.ctx, today).await.expect("statement");
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with(&format!("#UnionPay QR acquirer statement,acqCode={}", h.config("acq_code"))));
    assert_eq!(lines[1], BILL_HEADER.join(","));
    let rows: Vec<Vec<&str>> = lines[2..lines.len() - 1].iter().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{text}");
    let by_order = |no: &str, kind: &str| rows.iter().find(|r| r[4] == no && r[0] == kind).cloned();
    let paid = by_order(&req.order_no, "PAY").expect("QR payment row");
    assert_eq!(
        (paid[1], paid[2], paid[10], paid[11], paid[12]),
        ("0210000903", h.mer_id().as_str(), "1000", "4", "996")
    );
    let refunded = by_order("RB1", "REFUND").expect("refund row");
    assert_eq!((refunded[5], refunded[10], refunded[11], refunded[12]), (req.order_no.as_str(), "-250", "-1", "-249"));
    let bar_row = by_order(&bar.order_no, "PAY").expect("barcode row");
    assert_eq!((bar_row[1], bar_row[10], bar_row[11]), ("0310000903", "500", "2"));
    assert_eq!(lines[lines.len() - 1], "#total,payments=2,refunds=1,txnAmt=1250,fee=5,netAmt=1245");

    // The institution's statement (no binding), and the control endpoint, say the same.
    let mut institution = h.ctx.clone();
    institution.binding = None;
    assert_eq!(h.channel.download_bill(&institution, today).await.expect("institution"), bytes);
    let url = format!("{}/bill?date={today}", h.base);
    let served = h.http.get(&url).send().await.expect("bill");
    assert_eq!(served.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/csv; charset=utf-8"));
    assert_eq!(served.bytes().await.expect("body").to_vec(), bytes);
    // Another merchant's statement is empty.
    let (config, secrets) = h.sandbox.provision_account(&format!("{}/gateway", h.base));
    let other = context(config, secrets, Some((h.sandbox.provision_sub_merchant(), serde_json::json!({}))), "x");
    let empty = h.channel.download_bill(&other, today).await.expect("other merchant");
    assert_eq!(String::from_utf8(empty).expect("utf-8").split("\r\n").filter(|l| !l.is_empty()).count(), 3);

    // No statement for a day that has not come yet; a malformed date is refused.
    let tomorrow = today.next_day().expect("date");
    match h.channel.download_bill(&h.ctx, tomorrow).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "34"),
        other => panic!("tomorrow's statement: {other:?}"),
    }
    let bad = h.http.get(format!("{}/bill?date=yesterday", h.base)).send().await.expect("bill");
    assert_eq!(bad.status().as_u16(), 400);
}

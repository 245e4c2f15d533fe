//! The error rule: Unreachable when nothing was sent, Unknown when the outcome is unknown (timeout,
//! anything unverifiable or about another request), Declined for a verified explicit failure —
//! including the acquirer's signed "system busy" on a QR apply, which hands out no QR code.

use crate::support::{context, order, serve, start};
use juhe_adapters::crypto::generate_rsa_pkcs8_pem;
use juhe_domain::channels::{ChannelError, PaymentChannel, TradeState};
use poem::Route;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn fail_next_error_declines_a_create_and_does_nothing() {
    let h = start().await;
    assert_eq!(h.fail_next(1, "error").await, 200);
    let req = order(100);
    match h.channel.create(&h.ctx, &req).await {
        // HTTP 500 with a signed respCode=06: no QR code was handed out, safe to fail over.
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "06"),
        other => panic!("fail-next error on create: {other:?}"),
    }
    // The sandbox did not act: no transaction; the fault was used up.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);
    assert!(h.channel.create(&h.ctx, &req).await.is_ok());

    // The same failure on any other call leaves the outcome open.
    assert_eq!(h.fail_next(1, "error").await, 200);
    let err = h.channel.query(&h.ctx, &req.order_no).await.expect_err("busy");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    assert_eq!(h.fail_next(1, "later").await, 400);
    assert_eq!(h.fail_next(101, "error").await, 400);
}

#[tokio::test]
async fn fail_next_timeout_is_unknown_but_the_order_exists_once() {
    let h = start().await;
    assert_eq!(h.fail_next(1, "timeout").await, 200);
    let req = order(100);
    let started = Instant::now();
    let err = h.channel.create(&h.ctx, &req).await.expect_err("client timeout");
    assert!(matches!(err, ChannelError::Unknown(_)) && err.money_may_have_moved(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "the client gave up, it did not wait 15 s");
    // The sandbox performed it: the order exists, and applying again returns the same code.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);
    let first = h.channel.create(&h.ctx, &req).await.expect("retry");
    let second = h.channel.create(&h.ctx, &req).await.expect("retry again");
    assert_eq!(first.pay_data, second.pay_data, "one transaction, one qrCode");
}

#[tokio::test]
async fn nothing_sent_is_unreachable() {
    let h = start().await;
    for gateway in ["http://127.0.0.1:1/gateway", "http://unionpay-gateway.invalid/gateway"] {
        let mut ctx = h.ctx.clone();
        ctx.account.config["gateway"] = json!(gateway);
        let err = h.channel.create(&ctx, &order(100)).await.expect_err("no gateway");
        assert!(matches!(err, ChannelError::Unreachable(_)), "{gateway}: {err:?}");
        assert!(!err.money_may_have_moved());
    }
}

#[tokio::test]
async fn unverifiable_answers_are_unknown() {
    let h = start().await;
    // Checking with a key that is not UnionPay's: the genuine answer does not verify.
    let (_, other_public) = generate_rsa_pkcs8_pem(2048).expect("key");
    let mut wrong_key = h.ctx.clone();
    wrong_key.account.config["unionpay_public_key_pem"] = json!(other_public);
    let req = order(100);
    let err = h.channel.create(&wrong_key, &req).await.expect_err("wrong key");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    // It was created all the same: exactly why an unverifiable answer is not a decline.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);
    let mut wrong_cert = h.ctx.clone();
    wrong_cert.account.config["unionpay_cert_id"] = json!("69999999999");
    let err = h.channel.query(&wrong_cert, &req.order_no).await.expect_err("wrong cert id");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");

    // A genuine signed answer, replayed for another request, is not believed.
    let query = [
        ("version", "1.0.0"),
        ("reqType", "0350000903"),
        ("acqCode", &h.config("acq_code")),
        ("merId", &h.mer_id()),
        ("termId", "00000001"),
        ("orderNo", &req.order_no),
        ("orderTime", "20250101120000"),
        ("certId", &h.config("cert_id")),
    ];
    let (status, genuine) = h.raw_call(&query, &h.private_key()).await;
    assert_eq!((status, genuine.get("respCode").map(String::as_str)), (200, Some("00")));
    let replayed = crate::support::form(&genuine);

    // Servers that are not the acquirer: 500, not a form, unsigned, a replay.
    const UNSIGNED: &str = "respCode=30&respMsg=x&reqType=0210000903";
    let error_500 = |_| poem::Response::builder().status(poem::http::StatusCode::INTERNAL_SERVER_ERROR).finish();
    let fake = Route::new()
        .at("/500", poem::endpoint::make_sync(error_500))
        .at("/text", poem::endpoint::make_sync(|_| "hello"))
        .at("/unsigned", poem::endpoint::make_sync(|_| UNSIGNED))
        .at("/replay", poem::endpoint::make_sync(move |_| replayed.clone()));
    let addr = serve(fake).await;
    for path in ["/500", "/text", "/unsigned"] {
        let mut ctx = h.ctx.clone();
        ctx.account.config["gateway"] = json!(format!("http://{addr}{path}"));
        let err = h.channel.create(&ctx, &order(100)).await.expect_err(path);
        assert!(matches!(err, ChannelError::Unknown(_)), "{path}: {err:?}");
    }
    let mut replay = h.ctx.clone();
    replay.account.config["gateway"] = json!(format!("http://{addr}/replay"));
    let err = h.channel.query(&replay, "ANOTHERORDER").await.expect_err("replayed answer");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    assert!(h.channel.query(&replay, &req.order_no).await.is_ok(), "the same answer for its own request verifies");
}

#[tokio::test]
async fn verified_rejections_are_declined_and_missing_keys_are_config() {
    let h = start().await;
    let declined = |result: Result<_, ChannelError>| match result {
        Err(ChannelError::Declined { code, .. }) => code,
        other => panic!("expected a decline: {other:?}"),
    };
    // Signed with a key the acquirer does not know, or naming another certificate: `11`, signed.
    let (other_key, _) = generate_rsa_pkcs8_pem(2048).expect("key");
    let mut ctx = h.ctx.clone();
    ctx.secrets = juhe_domain::secret::Secret::new(json!({ "private_key_pem": other_key.expose() }));
    assert_eq!(declined(h.channel.create(&ctx, &order(100)).await), "11");
    let mut ctx = h.ctx.clone();
    ctx.account.config["cert_id"] = json!("70000000000");
    assert_eq!(declined(h.channel.create(&ctx, &order(100)).await), "11");
    // Another acquirer code, a malformed merId, over the single-transaction limit.
    let mut ctx = h.ctx.clone();
    ctx.account.config["acq_code"] = json!("49999999");
    assert_eq!(declined(h.channel.create(&ctx, &order(100)).await), "31");
    let mut ctx = h.ctx.clone();
    if let Some(binding) = ctx.binding.as_mut() {
        binding.sub_merchant_id = "12345".into();
    }
    assert_eq!(declined(h.channel.create(&ctx, &order(100)).await), "31");
    assert_eq!(declined(h.channel.create(&h.ctx, &order(100_000_001)).await), "33");

    let (config, _) = h.sandbox.provision_account("http://127.0.0.1:1/gateway");
    let no_secrets = context(config.clone(), json!({}), None, "http://127.0.0.1:9/");
    assert!(matches!(h.channel.query(&no_secrets, "X1").await, Err(ChannelError::Config(_))));
    let bad_key = context(config, json!({ "private_key_pem": "not a key" }), None, "http://127.0.0.1:9/");
    assert!(matches!(h.channel.query(&bad_key, "X1").await, Err(ChannelError::Config(_))));
    // The Debug output of a context never shows the key.
    assert!(!format!("{:?}", h.ctx).contains("PRIVATE KEY"));
}

#[tokio::test]
async fn fail_next_lost_reply_acts_but_the_answer_never_comes() {
    let h = start().await;
    let lost = |result: Result<(), ChannelError>, started: Instant| {
        assert!(matches!(&result, Err(ChannelError::Unknown(_))), "{result:?}");
        // A cut connection, not the client's 1 s timeout.
        assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    };
    let req = order(100);
    assert_eq!(h.fail_next(1, "lost_reply").await, 200);
    let started = Instant::now();
    lost(h.channel.create(&h.ctx, &req).await.map(|_| ()), started);
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);

    // A refund whose answer is lost was made.
    assert_eq!(h.simulate_pay(&req.order_no).await.0, 200);
    let refund = juhe_domain::channels::RefundRequest {
        order_no: req.order_no.clone(),
        channel_trade_no: None,
        refund_no: "RL1".into(),
        order_amount: juhe_domain::money::Money(100),
        amount: juhe_domain::money::Money(40),
        reason: None,
    };
    h.fail_next(1, "lost_reply").await;
    let started = Instant::now();
    lost(h.channel.refund(&h.ctx, &refund).await.map(|_| ()), started);
    let made = h.channel.refund_query(&h.ctx, &req.order_no, "RL1").await.expect("refund query");
    assert_eq!(made.state, juhe_domain::channels::RefundState::Succeeded);

    // A close (void) whose answer is lost closed the order.
    let other = order(100);
    h.channel.create(&h.ctx, &other).await.expect("qr apply");
    h.fail_next(1, "lost_reply").await;
    let started = Instant::now();
    lost(h.channel.close(&h.ctx, &other.order_no).await, started);
    assert_eq!(h.channel.query(&h.ctx, &other.order_no).await.expect("query").state, TradeState::Closed);
}

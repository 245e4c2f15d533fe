//! The error rule: Unreachable when nothing was sent, Unknown when the outcome is unknown (timeout,
//! 5xx, anything unverifiable), Declined for a verified explicit failure.

use crate::support::{context, order, serve, start};
use juhe_adapters::crypto::generate_rsa_pkcs8_pem;
use juhe_domain::channels::{ChannelError, PaymentChannel, TradeState};
use juhe_domain::payments::way::PayWay;
use poem::Route;
use serde_json::json;

#[tokio::test]
async fn fail_next_error_is_unknown_and_does_nothing() {
    let h = start().await;
    let (code, _) = h.control("/simulate/fail-next", json!({ "count": 1, "mode": "error" })).await;
    assert_eq!(code, 200);
    let req = order(PayWay::AliQr, 100);
    let err = h.channel.create(&h.ctx, &req).await.expect_err("HTTP 502");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    // The sandbox did not act: no trade; the next call goes through.
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotFound);
    assert!(h.channel.create(&h.ctx, &req).await.is_ok());
    assert_eq!(h.control("/simulate/fail-next", json!({ "count": 1, "mode": "later" })).await.0, 400);
}

#[tokio::test]
async fn fail_next_timeout_is_unknown_but_the_trade_exists_once() {
    let h = start().await;
    assert_eq!(h.fail_next(1, "timeout").await, 200);
    let mut req = order(PayWay::AliJsapi, 100);
    req.payer_id = Some("2088102169481075".into());
    let err = h.channel.create(&h.ctx, &req).await.expect_err("client timeout");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");
    assert_eq!(h.channel.query(&h.ctx, &req.order_no).await.expect("query").state, TradeState::NotPaid);
    // Retrying the create finds the same trade: same trade_no, no duplicate.
    let first = h.channel.create(&h.ctx, &req).await.expect("retry");
    let second = h.channel.create(&h.ctx, &req).await.expect("retry again");
    assert_eq!(first.pay_data, second.pay_data);
}

#[tokio::test]
async fn nothing_sent_is_unreachable() {
    let h = start().await;
    for gateway in ["http://127.0.0.1:1/gateway.do", "http://alipay-gateway.invalid/gateway.do"] {
        let mut ctx = h.ctx.clone();
        ctx.account.config["gateway"] = json!(gateway);
        let err = h.channel.create(&ctx, &order(PayWay::AliQr, 100)).await.expect_err("no gateway");
        assert!(matches!(err, ChannelError::Unreachable(_)), "{gateway}: {err:?}");
        assert!(!err.money_may_have_moved());
    }
}

#[tokio::test]
async fn unverifiable_answers_are_unknown() {
    let h = start().await;
    // Verifying with the wrong Alipay public key: the sandbox's genuine answer does not verify.
    let mut ctx = h.ctx.clone();
    ctx.account.config["alipay_public_key_pem"] = h.sandbox.sdk_credentials_json()["app_public_key_pem"].clone();
    let err = h.channel.create(&ctx, &order(PayWay::AliQr, 100)).await.expect_err("wrong key");
    assert!(matches!(err, ChannelError::Unknown(_)), "{err:?}");

    // A server that is not Alipay: 500, not JSON, unsigned JSON.
    const UNSIGNED: &str = concat!(
        r#"{"alipay_trade_precreate_response":"#,
        r#"{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TOTAL_FEE_EXCEED"}}"#
    );
    let error_500 = |_| poem::Response::builder().status(poem::http::StatusCode::INTERNAL_SERVER_ERROR).finish();
    let fake = Route::new()
        .at("/500", poem::endpoint::make_sync(error_500))
        .at("/text", poem::endpoint::make_sync(|_| "hello"))
        .at("/unsigned", poem::endpoint::make_sync(|_| UNSIGNED));
    let addr = serve(fake).await;
    for path in ["/500", "/text", "/unsigned"] {
        let mut ctx = h.ctx.clone();
        ctx.account.config["gateway"] = json!(format!("http://{addr}{path}"));
        let err = h.channel.create(&ctx, &order(PayWay::AliQr, 100)).await.expect_err(path);
        assert!(matches!(err, ChannelError::Unknown(_)), "{path}: {err:?}");
    }
}

#[tokio::test]
async fn verified_rejections_are_declined_and_missing_keys_are_config() {
    let h = start().await;
    // Signed with a key the sandbox does not know: Alipay says isv.invalid-signature, signed.
    let (other_key, _) = generate_rsa_pkcs8_pem(2048).expect("key");
    let mut ctx = h.ctx.clone();
    ctx.secrets = juhe_domain::secret::Secret::new(json!({ "app_private_key_pem": other_key.expose() }));
    match h.channel.create(&ctx, &order(PayWay::AliQr, 100)).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "isv.invalid-signature"),
        other => panic!("bad signature: {other:?}"),
    }
    // Over Alipay's single-trade limit: a business failure.
    match h.channel.create(&h.ctx, &order(PayWay::AliQr, 10_000_000_001)).await {
        Err(ChannelError::Declined { code, .. }) => assert_eq!(code, "ACQ.TOTAL_FEE_EXCEED"),
        other => panic!("over the limit: {other:?}"),
    }
    let (config, _) = h.sandbox.provision_account("http://127.0.0.1:1/gateway.do");
    let no_secrets = context(config, json!({}), None, "http://127.0.0.1:9/");
    assert!(matches!(h.channel.query(&no_secrets, "X1").await, Err(ChannelError::Config(_))));
    // The Debug output of a context never shows the key.
    assert!(!format!("{:?}", h.ctx).contains("PRIVATE KEY"));
}

#[tokio::test]
async fn fail_next_lost_reply_acts_but_the_answer_never_comes() {
    let h = start().await;
    let lost = |result: Result<_, ChannelError>, started: std::time::Instant| {
        assert!(matches!(result, Err(ChannelError::Unknown(_))), "{result:?}");
        // A cut connection, not the client's 1 s timeout.
        assert!(started.elapsed() < std::time::Duration::from_millis(900), "{:?}", started.elapsed());
    };
    let mut req = order(PayWay::AliJsapi, 100);
    req.payer_id = Some("2088102169481075".into());
    assert_eq!(h.fail_next(1, "lost_reply").await, 200);
    let started = std::time::Instant::now();
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
    let started = std::time::Instant::now();
    lost(h.channel.refund(&h.ctx, &refund).await.map(|_| ()), started);
    let made = h.channel.refund_query(&h.ctx, &req.order_no, "RL1").await.expect("refund query");
    assert_eq!(made.state, juhe_domain::channels::RefundState::Succeeded);

    // A close whose answer is lost closed the trade.
    let mut other = order(PayWay::AliJsapi, 100);
    other.payer_id = Some("2088102169481075".into());
    h.channel.create(&h.ctx, &other).await.expect("create");
    h.fail_next(1, "lost_reply").await;
    let started = std::time::Instant::now();
    lost(h.channel.close(&h.ctx, &other.order_no).await, started);
    assert_eq!(h.channel.query(&h.ctx, &other.order_no).await.expect("query").state, TradeState::Closed);
}

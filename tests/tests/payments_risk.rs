//! Risk control (风控) over HTTP: merchant and store limits (single, daily, monthly) reserved at
//! order creation and freed when an order closes or fails, payer-id and IP block lists
//! (platform-wide and per merchant), who may edit what, audit, and bad input.

use juhe_tests::webhook::Receiver;
use juhe_tests::{OpenClient, Reply, TestServer};
use serde_json::{Value, json};

struct World {
    server: TestServer,
    demo: juhe_api::demo::DemoOutput,
    open: OpenClient,
    admin: String,
    agent: String,
    _hook: Receiver,
}

async fn world() -> World {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let admin = server.login(&demo.admin.username, &demo.admin.password).await;
    let agent = server.login(&demo.agent.username, &demo.agent.password).await;
    World { server, demo, open, admin, agent, _hook: Receiver::spawn().await }
}

fn out_trade_no() -> String {
    format!("R{}", &uuid::Uuid::new_v4().simple().to_string()[..16])
}

fn assert_rejected(r: &Reply, reason: &str) {
    assert_eq!((r.status, r.code()), (403, "RISK_REJECTED"), "{}", r.body);
    let message = r.json["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("{reason}: ")), "expected {reason} in {message}");
}

impl World {
    /// A WX_NATIVE order of the demo merchant; `extra` overrides or adds fields.
    async fn order(&self, amount: i64, extra: Value) -> Reply {
        let mut body = json!({"merchant_no": self.demo.merchant.merchant_no, "out_trade_no": out_trade_no(),
            "amount": amount, "currency": "CNY", "way": "WX_NATIVE", "subject": "risk"});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        self.open.post("/open/v1/orders", &body.to_string()).await
    }

    fn rule_path(&self, merchant: &str, store: Option<&str>) -> String {
        let query = store.map(|s| format!("?store_id={s}")).unwrap_or_default();
        format!("/admin/v1/merchants/{merchant}/risk-rule{query}")
    }

    async fn set_rule(&self, token: &str, store: Option<&str>, body: Value) -> Reply {
        self.server.http.put(&self.rule_path(&self.demo.merchant.merchant_id, store), Some(token), &body).await
    }

    async fn block(&self, token: &str, body: Value) -> Reply {
        self.server.http.post("/admin/v1/risk-lists", Some(token), &body).await
    }

    async fn close(&self, order: &Reply) {
        let no = order.json["order_no"].as_str().expect("order_no");
        let r = self.open.post(&format!("/open/v1/orders/{no}/close"), "").await;
        assert!(r.status < 500, "close: {}", r.body);
    }

    async fn total(&self, token: &str, path: &str) -> i64 {
        let r = self.server.http.get(path, Some(token)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.json["total"].as_i64().expect("total")
    }
}

#[tokio::test]
async fn single_and_daily_count_limits_free_up_when_an_order_closes_or_fails() {
    let w = world().await;
    let r = w.set_rule(&w.admin, None, json!({"single_max": 1000, "daily_count_max": 2})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.json["version"].as_i64(), r.json["single_max"].as_i64()), (Some(1), Some(1000)));
    assert!(r.json["monthly_amount_max"].is_null());

    assert_rejected(&w.order(1001, json!({})).await, "SINGLE_LIMIT");
    let first = w.order(1000, json!({})).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = w.order(10, json!({})).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_rejected(&w.order(10, json!({})).await, "DAILY_COUNT");
    // Closing gives the reservation back, once however often it is closed.
    w.close(&first).await;
    w.close(&first).await;
    let fourth = w.order(10, json!({"way": "ALI_QR"})).await;
    assert_eq!(fourth.status, 201, "another way counts the same: {}", fourth.body);
    assert_rejected(&w.order(10, json!({})).await, "DAILY_COUNT");
    // An order no channel takes fails, and a failed order frees its reservation too.
    w.close(&second).await;
    let r = w.server.http.post("/sandbox/wechat/simulate/fail-next", None, &json!({"count": 1, "mode": "error"})).await;
    assert_eq!(r.status, 200);
    let failed = w.order(10, json!({})).await;
    assert_eq!((failed.status, failed.code()), (502, "CHANNEL_ERROR"), "{}", failed.body);
    assert_eq!(w.order(10, json!({})).await.status, 201);
    assert_rejected(&w.order(10, json!({})).await, "DAILY_COUNT");
    // Refused orders are never written.
    assert_eq!(w.total(&w.admin, "/admin/v1/orders").await, 5, "two closed, one failed, two open");
}

#[tokio::test]
async fn monthly_amount_and_store_limits_with_optimistic_versions() {
    let w = world().await;
    let r = w.set_rule(&w.admin, None, json!({"monthly_amount_max": 1000})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(w.order(600, json!({})).await.status, 201);
    assert_rejected(&w.order(500, json!({})).await, "MONTHLY_AMOUNT");
    assert_eq!(w.order(400, json!({})).await.status, 201, "exactly up to the limit");
    assert_rejected(&w.order(1, json!({})).await, "MONTHLY_AMOUNT");

    // Raising the limit needs the current version; a stale one is refused.
    let raised = w.set_rule(&w.admin, None, json!({"monthly_amount_max": 100000, "version": 1})).await;
    assert_eq!((raised.status, raised.json["version"].as_i64()), (200, Some(2)), "{}", raised.body);
    let stale = w.set_rule(&w.admin, None, json!({"monthly_amount_max": 5, "version": 1})).await;
    assert_eq!((stale.status, stale.code()), (409, "VERSION_CONFLICT"), "{}", stale.body);
    assert_eq!(w.order(1, json!({})).await.status, 201, "the month so far counts against the new limit");

    // A store's rule applies on top of the merchant's, to that store's orders only.
    let store = w.demo.merchant.store_id.clone();
    let r = w.set_rule(&w.agent, Some(&store), json!({"daily_count_max": 1})).await;
    assert_eq!((r.status, r.json["store_id"].as_str()), (200, Some(store.as_str())), "{}", r.body);
    assert_eq!(w.order(100, json!({"store_id": store})).await.status, 201);
    let refused = w.order(100, json!({"store_id": store})).await;
    assert_rejected(&refused, "DAILY_COUNT");
    assert!(refused.json["message"].as_str().unwrap_or_default().contains("store"), "{}", refused.body);
    assert_eq!(w.order(100, json!({})).await.status, 201, "orders without the store are not limited by it");
    // Both rules hold; the merchant's is checked first.
    assert_rejected(&w.order(100_000, json!({"store_id": store})).await, "MONTHLY_AMOUNT");

    let got = w.server.http.get(&w.rule_path(&w.demo.merchant.merchant_id, None), Some(&w.admin)).await;
    assert_eq!((got.json["monthly_amount_max"].as_i64(), got.json["version"].as_i64()), (Some(100000), Some(2)));
    let got = w.server.http.get(&w.rule_path(&w.demo.merchant.merchant_id, Some(&store)), Some(&w.admin)).await;
    assert_eq!((got.json["daily_count_max"].as_i64(), got.json["store_id"].as_str()), (Some(1), Some(&*store)));
    let other_store =
        w.server.http.get(&w.rule_path(&w.demo.merchant.merchant_id, Some("st_0190")), Some(&w.admin)).await;
    assert_eq!(other_store.code(), "STORE_NOT_FOUND");
}

#[tokio::test]
async fn payer_and_ip_block_lists_platform_wide_and_per_merchant() {
    let w = world().await;
    let m = w.demo.merchant.merchant_id.clone();
    let wide =
        w.block(&w.admin, json!({"kind": "payer_id", "value": " o-stolen-card ", "reason": "chargebacks"})).await;
    assert_eq!(wide.status, 201, "{}", wide.body);
    assert_eq!((wide.json["value"].as_str(), wide.json["merchant_id"].is_null()), (Some("o-stolen-card"), true));
    let again = w.block(&w.admin, json!({"kind": "payer_id", "value": "o-stolen-card", "reason": "twice"})).await;
    assert_eq!((again.status, again.code()), (409, "CONFLICT"));
    let refused = w.block(&w.agent, json!({"kind": "payer_id", "value": "o-x", "reason": "agents cannot"})).await;
    assert_eq!((refused.status, refused.code()), (403, "FORBIDDEN"), "platform-wide needs a platform user");

    assert_rejected(&w.order(100, json!({"way": "WX_JSAPI", "openid": "o-stolen-card"})).await, "BLOCKED_PAYER");
    assert_rejected(&w.order(100, json!({"way": "ALI_JSAPI", "buyer_id": "o-stolen-card"})).await, "BLOCKED_PAYER");
    assert_eq!(w.order(100, json!({"way": "WX_JSAPI", "openid": "o-fine"})).await.status, 201);

    let own = json!({"kind": "ip", "value": "203.0.113.9/24", "reason": "bot traffic", "merchant_id": m});
    let own = w.block(&w.agent, own).await;
    assert_eq!((own.status, own.json["value"].as_str()), (201, Some("203.0.113.0/24")), "{}", own.body);
    let blocked = w.order(100, json!({"client_ip": "203.0.113.77"})).await;
    assert_rejected(&blocked, "BLOCKED_IP");
    assert!(!blocked.body.contains("bot traffic"), "the operator's reason stays internal");
    assert_eq!(w.order(100, json!({"client_ip": "198.51.100.1"})).await.status, 201);
    let per_merchant = json!({"kind": "payer_id", "value": "o-local", "reason": "complaints", "merchant_id": m});
    assert_eq!(w.block(&w.agent, per_merchant).await.status, 201);
    assert_rejected(&w.order(100, json!({"way": "WX_JSAPI", "openid": "o-local"})).await, "BLOCKED_PAYER");

    // The agent sees its merchant's entries, not the platform's; the platform sees all.
    assert_eq!(w.total(&w.agent, "/admin/v1/risk-lists").await, 2);
    assert_eq!(w.total(&w.admin, "/admin/v1/risk-lists").await, 3);
    assert_eq!(w.total(&w.admin, "/admin/v1/risk-lists?platform_wide=true").await, 1);
    assert_eq!(w.total(&w.admin, "/admin/v1/risk-lists?kind=ip&value=203.0.113.1/24").await, 1);
    assert_eq!(w.total(&w.admin, &format!("/admin/v1/risk-lists?merchant_id={m}&kind=payer_id")).await, 1);

    let wide_id = wide.json["id"].as_str().unwrap();
    let r = w.server.http.delete(&format!("/admin/v1/risk-lists/{wide_id}"), Some(&w.agent)).await;
    assert_eq!((r.status, r.code()), (404, "RISK_LIST_ENTRY_NOT_FOUND"), "{}", r.body);
    let own_id = own.json["id"].as_str().unwrap();
    assert_eq!(w.server.http.delete(&format!("/admin/v1/risk-lists/{own_id}"), Some(&w.agent)).await.status, 204);
    assert_eq!(w.server.http.delete(&format!("/admin/v1/risk-lists/{own_id}"), Some(&w.agent)).await.status, 404);
    assert_eq!(w.order(100, json!({"client_ip": "203.0.113.77"})).await.status, 201, "unblocked");
    assert_eq!(w.server.http.delete(&format!("/admin/v1/risk-lists/{wide_id}"), Some(&w.admin)).await.status, 204);
    assert_eq!(w.order(100, json!({"way": "WX_JSAPI", "openid": "o-stolen-card"})).await.status, 201);

    let audit = w.server.http.get("/admin/v1/audit-logs?target_kind=risk_list_entry", Some(&w.admin)).await;
    let actions: Vec<_> = audit.json["items"].as_array().unwrap().iter().map(|a| a["action"].clone()).collect();
    assert_eq!(
        actions,
        vec!["risk_list.remove", "risk_list.remove", "risk_list.add", "risk_list.add", "risk_list.add"]
    );
    let removed = &audit.json["items"][0];
    assert_eq!(
        (removed["target_id"].as_str(), removed["before"]["value"].as_str()),
        (Some(wide_id), Some("o-stolen-card"))
    );
}

#[tokio::test]
async fn agents_edit_only_their_subtree_and_every_change_is_audited() {
    let w = world().await;
    let post = |path: &str, body: Value| {
        let (http, admin, path) = (w.server.http.clone(), w.admin.clone(), path.to_owned());
        async move { http.post(&path, Some(&admin), &body).await }
    };
    // A merchant (with a store) under a sibling agent the demo agent does not manage.
    let b = post("/admin/v1/agents", json!({"name": "Agent B"})).await.json["id"].as_str().unwrap().to_owned();
    let mb = post(
        "/admin/v1/merchants",
        json!({"agent_id": b, "name": "B Shop", "business_scene": "both",
        "legal_entity": {"kind": "individual_business", "name": "B Owner", "id_number": "92330100MA2BBBBB01"}}),
    )
    .await;
    let mb = mb.json["id"].as_str().expect("merchant B").to_owned();
    let sb = post(
        "/admin/v1/stores",
        json!({"merchant_id": mb, "name": "B", "address": "B Road", "business_category": "5411"}),
    )
    .await
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let limits = json!({"daily_count_max": 5});
    for r in [
        w.server.http.get(&w.rule_path(&mb, None), Some(&w.agent)).await,
        w.server.http.put(&w.rule_path(&mb, None), Some(&w.agent), &limits).await,
        w.block(&w.agent, json!({"kind": "ip", "value": "192.0.2.1", "reason": "x", "merchant_id": mb})).await,
    ] {
        assert_eq!((r.status, r.code()), (404, "MERCHANT_NOT_FOUND"), "{}", r.body);
    }
    let r = w.set_rule(&w.agent, Some(&sb), limits.clone()).await;
    assert_eq!((r.status, r.code()), (404, "STORE_NOT_FOUND"), "another merchant's store: {}", r.body);
    assert_eq!(w.server.http.put(&w.rule_path(&mb, None), Some(&w.admin), &limits).await.status, 200);
    let own = w.set_rule(&w.agent, None, limits.clone()).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let updated = w.set_rule(&w.agent, None, json!({"daily_count_max": 6, "single_max": 50})).await;
    assert_eq!(updated.json["version"], 2);
    // Merchant users read their limits but do not set them.
    let login = &w.demo.merchant;
    let merchant = w.server.login(&login.username, &login.password).await;
    assert_eq!(w.server.http.get(&w.rule_path(&login.merchant_id, None), Some(&merchant)).await.json["single_max"], 50);
    let r = w.set_rule(&merchant, None, json!({})).await;
    assert_eq!((r.status, r.code()), (403, "FORBIDDEN"));
    assert_eq!(w.server.http.get("/admin/v1/risk-lists", Some(&merchant)).await.status, 403);

    let audit = w.server.http.get("/admin/v1/audit-logs?target_kind=risk_rule", Some(&w.admin)).await;
    let items = audit.json["items"].as_array().unwrap().clone();
    let actions: Vec<_> = items.iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["risk_rule.update", "risk_rule.create", "risk_rule.create"],
        "refused edits wrote nothing"
    );
    assert_eq!(
        (items[0]["before"]["daily_count_max"].as_i64(), items[0]["after"]["single_max"].as_i64()),
        (Some(5), Some(50))
    );
    assert_eq!(items[0]["actor_username"], w.demo.agent.username.as_str());
    let seen_by_agent = w.server.http.get("/admin/v1/audit-logs?target_kind=risk_rule", Some(&w.agent)).await;
    assert_eq!(seen_by_agent.json["total"], 2, "the agent's log holds its own merchant's rule only");
}

#[tokio::test]
async fn bad_input_is_a_400_and_writes_nothing() {
    let w = world().await;
    let rule = w.rule_path(&w.demo.merchant.merchant_id, None);
    for body in [
        json!({"single_max": -1}),
        json!({"daily_count_max": "5"}),
        json!({"monthly_amount_max": 1.5}),
        json!({"version": -1}),
        json!([1, 2]),
    ] {
        let r = w.server.http.put(&rule, Some(&w.admin), &body).await;
        assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"), "PUT {body}: {}", r.body);
    }
    let r = w.server.http.raw(reqwest::Method::PUT, &rule, Some(&w.admin), "{not json").await;
    assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"));
    for body in [
        json!({"kind": "email", "value": "a@b.c", "reason": "r"}),
        json!({"kind": "ip", "value": "300.1.1.1", "reason": "r"}),
        json!({"kind": "ip", "value": "10.0.0.0/33", "reason": "r"}),
        json!({"kind": "payer_id", "value": "two words", "reason": "r"}),
        json!({"kind": "payer_id", "value": "x".repeat(129), "reason": "r"}),
        json!({"kind": "payer_id", "value": "o-1", "reason": "   "}),
        json!({"kind": "payer_id", "value": "o-1"}),
        json!({"kind": 1, "value": "o-1", "reason": "r"}),
        json!({"kind": "payer_id", "value": 12345, "reason": "r"}),
    ] {
        let r = w.block(&w.admin, body.clone()).await;
        assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"), "POST {body}: {}", r.body);
    }
    for query in ["kind=email", "merchant_id=mc_bad", "page_size=0", "platform_wide=maybe"] {
        let r = w.server.http.get(&format!("/admin/v1/risk-lists?{query}"), Some(&w.admin)).await;
        assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST"), "GET ?{query}: {}", r.body);
    }
    let r = w.server.http.get(&w.rule_path("mc_bad", None), Some(&w.admin)).await;
    assert_eq!((r.status, r.code()), (404, "MERCHANT_NOT_FOUND"));
    let r = w.server.http.get(&w.rule_path(&w.demo.merchant.merchant_id, Some("st_bad")), Some(&w.admin)).await;
    assert_eq!((r.status, r.code()), (404, "STORE_NOT_FOUND"));
    let r = w.server.http.put(&rule, None, &json!({})).await;
    assert_eq!(r.status, 401);

    assert_eq!(w.total(&w.admin, "/admin/v1/risk-lists").await, 0);
    assert_eq!(w.server.http.get(&rule, Some(&w.admin)).await.json["version"], 0);
    assert_eq!(w.total(&w.admin, "/admin/v1/audit-logs?target_kind=risk_rule").await, 0);
}

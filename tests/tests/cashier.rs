//! One-code pay (一码付) end to end over HTTP: store QR codes (admin, scoped, audited, PNG/SVG),
//! the cashier page per browser, the full payer flow through each sandbox's OAuth stand-in and
//! JSAPI, `way=CASHIER` orders with signed, expiring links, and what is refused.

use juhe_tests::webhook::Receiver;
use juhe_tests::{OpenClient, Reply, TestServer};
use serde_json::{Value, json};
use std::time::Duration;

const WECHAT_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";
const ALIPAY_UA: &str = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 AlipayClient/10.5.36.8000 Language/zh-Hans";
const DESKTOP_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
const UNIONPAY_UA: &str = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 UnionPay/1.0 CloudPay";

struct Shop {
    server: TestServer,
    demo: juhe_api::demo::DemoOutput,
    open: OpenClient,
    hook: Receiver,
    merchant: String,
}

async fn shop() -> Shop {
    let server = TestServer::spawn().await;
    let demo = server.demo().await;
    let open = server.open(&demo.merchant.app_id, &demo.merchant.app_secret);
    let hook = Receiver::spawn().await;
    let merchant = server.login(&demo.merchant.username, &demo.merchant.password).await;
    // The merchant's integration listens at the hook: cashier orders notify there.
    let r = server
        .http
        .patch(&format!("/admin/v1/apps/{}", demo.merchant.app_id), Some(&merchant), &json!({"notify_url": hook.url}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    Shop { server, demo, open, hook, merchant }
}

/// A browser of one wallet: no automatic redirects, so each step can be looked at.
fn browser(ua: &str) -> reqwest::Client {
    reqwest::Client::builder().user_agent(ua).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

impl Shop {
    async fn new_code(&self, token: &str, store_id: &str, name: &str) -> Reply {
        self.server.http.post("/admin/v1/qr-codes", Some(token), &json!({"store_id": store_id, "name": name})).await
    }

    async fn code(&self) -> String {
        let r = self.new_code(&self.merchant, &self.demo.merchant.store_id, "收银台 1").await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.json["code"].as_str().unwrap().to_owned()
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.server.base_url)
        }
    }

    /// Opens a cashier URL in the wallet and follows the OAuth round trip to the amount page.
    async fn amount_page(&self, ua: &str, start: &str) -> String {
        let b = browser(ua);
        let first = b.get(self.url(start)).send().await.unwrap();
        assert_eq!(first.status(), 302, "{start}: to the wallet's OAuth");
        let authorize = location(&first);
        let wallet = b.get(&authorize).send().await.unwrap();
        assert_eq!(wallet.status(), 302, "{authorize}: the sandbox authorizes");
        let back = location(&wallet);
        assert!(back.contains("state="), "{back}");
        let page = b.get(self.url(&back)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{back}");
        page.text().await.unwrap()
    }

    async fn post_form(&self, ua: &str, url: &str, form: &[(&str, String)]) -> Reply {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        let resp = browser(ua)
            .post(self.url(url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .await
            .unwrap();
        juhe_tests::client::read(resp).await
    }

    async fn wait_paid(&self, result_url: &str) {
        let status_url = result_url.replacen("?t=", "/status?t=", 1);
        for _ in 0..300 {
            let r =
                juhe_tests::client::read(browser(DESKTOP_UA).get(self.url(&status_url)).send().await.unwrap()).await;
            if r.json["paid"] == true {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{status_url} never became paid");
    }
}

/// Percent-encodes a form value (everything but unreserved characters).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").and_then(|v| v.to_str().ok()).expect("Location").to_owned()
}

/// The value of a hidden input in the amount page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

fn form(page: &str, amount: Option<&str>) -> Vec<(&'static str, String)> {
    let mut f =
        vec![("wallet", hidden(page, "wallet")), ("payer", hidden(page, "payer")), ("token", hidden(page, "token"))];
    if let Some(a) = amount {
        f.push(("amount", a.to_owned()));
    }
    f
}

#[tokio::test]
async fn store_codes_are_managed_in_scope_and_printable() {
    let s = shop().await;
    let r = s.new_code(&s.merchant, &s.demo.merchant.store_id, "收银台 1").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let code = r.json["code"].as_str().unwrap().to_owned();
    assert!(code.len() >= 12 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(r.json["url"], format!("{}/cashier/{code}", s.server.base_url));
    assert_eq!(r.json["status"], "active");

    let list = s
        .server
        .http
        .get(&format!("/admin/v1/qr-codes?store_id={}", s.demo.merchant.store_id), Some(&s.merchant))
        .await;
    assert_eq!(list.json["total"], 1, "{}", list.body);
    assert_eq!(list.json["items"][0]["code"], code.as_str());

    let http = reqwest::Client::new();
    let png = http
        .get(format!("{}/admin/v1/qr-codes/{code}/png", s.server.base_url))
        .bearer_auth(&s.merchant)
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG magic");
    let svg = s.server.http.get(&format!("/admin/v1/qr-codes/{code}/svg"), Some(&s.merchant)).await;
    assert_eq!(svg.status, 200);
    assert!(svg.header("content-type").unwrap_or_default().starts_with("image/svg+xml"));
    assert!(svg.body.starts_with("<svg") && svg.body.contains("总店 · 收银台 1"), "{}", svg.body);

    // The store's clerk sees its codes; a clerk of another store sees nothing of them.
    let clerk = s.server.login(&s.demo.store_clerk.username, &s.demo.store_clerk.password).await;
    assert_eq!(s.server.http.get(&format!("/admin/v1/qr-codes/{code}"), Some(&clerk)).await.status, 200);
    let denied = s.new_code(&clerk, &s.demo.merchant.store_id, "x").await;
    assert_eq!((denied.status, denied.code()), (403, "FORBIDDEN"), "clerks do not issue codes");
    let store2 = s
        .server
        .http
        .post(
            "/admin/v1/stores",
            Some(&s.merchant),
            &json!({"name": "分店", "address": "杭州市滨江区 3 号", "business_category": "5812"}),
        )
        .await;
    assert_eq!(store2.status, 201, "{}", store2.body);
    let store2_id = store2.json["id"].as_str().unwrap();
    let other_code = s.new_code(&s.merchant, store2_id, "分店收银台").await;
    assert_eq!(other_code.status, 201);
    let user = s
        .server
        .http
        .post(
            "/admin/v1/users",
            Some(&s.merchant),
            &json!({"username": "clerk2", "password": "clerk2-pass-2026", "role": "store_clerk", "node_id": store2_id}),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let clerk2 = s.server.login("clerk2", "clerk2-pass-2026").await;
    let hidden_code = s.server.http.get(&format!("/admin/v1/qr-codes/{code}"), Some(&clerk2)).await;
    assert_eq!((hidden_code.status, hidden_code.code()), (404, "QR_CODE_NOT_FOUND"));
    assert_eq!(s.server.http.get(&format!("/admin/v1/qr-codes/{code}/png"), Some(&clerk2)).await.status, 404);
    let theirs = s.server.http.get("/admin/v1/qr-codes", Some(&clerk2)).await;
    assert_eq!(theirs.json["total"], 1, "only their store's code: {}", theirs.body);
    assert_eq!(theirs.json["items"][0]["code"], other_code.json["code"]);

    // Disabling is audited and the printed code stops taking payments.
    let disabled =
        s.server.http.post(&format!("/admin/v1/qr-codes/{code}/disable"), Some(&s.merchant), &json!({})).await;
    assert_eq!(disabled.json["status"], "disabled", "{}", disabled.body);
    let audit = s.server.http.get("/admin/v1/audit-logs?target_kind=qr_code", Some(&s.merchant)).await;
    let actions: Vec<&str> =
        audit.json["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"qr_code.create") && actions.contains(&"qr_code.disable"), "{actions:?}");
    let page = browser(WECHAT_UA).get(format!("{}/cashier/{code}", s.server.base_url)).send().await.unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("已停用"));
    let enabled = s.server.http.post(&format!("/admin/v1/qr-codes/{code}/enable"), Some(&s.merchant), &json!({})).await;
    assert_eq!(enabled.json["status"], "active");
}

#[tokio::test]
async fn the_cashier_page_follows_the_browser() {
    let s = shop().await;
    let code = s.code().await;
    let url = format!("{}/cashier/{code}", s.server.base_url);
    let wechat = browser(WECHAT_UA).get(&url).send().await.unwrap();
    assert_eq!(wechat.status(), 302);
    assert!(location(&wechat).starts_with(&format!("{}/sandbox/wechat/oauth2/authorize?appid=", s.server.base_url)));
    let alipay = browser(ALIPAY_UA).get(&url).send().await.unwrap();
    assert_eq!(alipay.status(), 302);
    assert!(location(&alipay).contains("/sandbox/alipay/oauth2/publicAppAuthorize.htm?app_id="));
    for ua in [DESKTOP_UA, UNIONPAY_UA, "Mozilla/5.0 MicroMessenger/8.0 WindowsWechat"] {
        let page = browser(ua).get(&url).send().await.unwrap();
        assert_eq!(page.status(), 200, "{ua}");
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.contains("微信") && html.contains("支付宝") && html.contains("总店"), "{ua}: {html}");
    }
    let unknown =
        browser(WECHAT_UA).get(format!("{}/cashier/NoSuchCode0000000", s.server.base_url)).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    // A forged OAuth state is refused.
    let forged = browser(WECHAT_UA).get(format!("{url}?code=abc&state=1.2.3")).send().await.unwrap();
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn a_payer_pays_a_store_code_with_each_wallet() {
    let s = shop().await;
    let code = s.code().await;
    for (ua, wallet, way) in [(WECHAT_UA, "wechat", "WX_JSAPI"), (ALIPAY_UA, "alipay", "ALI_JSAPI")] {
        let page = s.amount_page(ua, &format!("/cashier/{code}")).await;
        assert!(page.contains("总店") && page.contains("inputmode=\"decimal\""), "{page}");
        assert_eq!(hidden(&page, "wallet"), wallet);
        let payer = hidden(&page, "payer");
        if wallet == "alipay" {
            assert!(payer.starts_with("2088") && payer.len() == 16, "{payer}");
        } else {
            assert!(payer.starts_with('o') && payer.len() == 28, "{payer}");
        }
        let pay_url = format!("/cashier/{code}/pay");
        let f = form(&page, Some("12.34"));
        let paid = s.post_form(ua, &pay_url, &f).await;
        assert_eq!(paid.status, 200, "{wallet}: {}", paid.body);
        let order_no = paid.json["order_no"].as_str().unwrap().to_owned();
        match wallet {
            "wechat" => assert!(paid.json["invoke"]["jsapi"]["package"].as_str().unwrap().starts_with("prepay_id=")),
            _ => assert!(paid.json["invoke"]["trade_no"].is_string(), "{}", paid.body),
        }
        // The same form posted twice is one order.
        let again = s.post_form(ua, &pay_url, &f).await;
        assert_eq!(again.json["order_no"], order_no.as_str(), "{}", again.body);
        let tampered: Vec<(&str, String)> =
            f.iter().map(|(k, v)| (*k, if *k == "payer" { format!("{v}x") } else { v.clone() })).collect();
        let refused = s.post_form(ua, &pay_url, &tampered).await;
        assert_eq!((refused.status, refused.code()), (403, "LINK_INVALID"));

        let sandbox = paid.json["sandbox_pay_url"].as_str().unwrap();
        let r = s.server.http.post(sandbox, None, &json!({"out_trade_no": order_no})).await;
        assert!(r.status < 300, "{}", r.body);
        s.wait_paid(paid.json["result_url"].as_str().unwrap()).await;
        let result = browser(ua).get(s.url(paid.json["result_url"].as_str().unwrap())).send().await.unwrap();
        assert!(result.text().await.unwrap().contains("12.34"));

        let order = s.open.get(&format!("/open/v1/orders/{order_no}")).await;
        assert_eq!(order.json["status"], "paid", "{}", order.body);
        assert_eq!(order.json["way"], way);
        assert_eq!(order.json["amount"], 1234);
        assert_eq!(order.json["store_id"], s.demo.merchant.store_id.as_str());
        assert_eq!(order.json["attach"], format!("qr:{code}"));
        let note = s.hook.wait_for("order.paid", &order_no).await;
        assert!(note.verifies(&s.demo.merchant.app_secret));
    }
}

async fn cashier_order(s: &Shop, amount: i64) -> Value {
    let body = json!({
        "merchant_no": s.demo.merchant.merchant_no,
        "out_trade_no": format!("C{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
        "amount": amount, "currency": "CNY", "way": "CASHIER", "subject": "会员充值",
        "return_url": "https://shop.example/done",
    });
    let r = s.open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let again = s.open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!((again.status, &again.json["order_no"]), (200, &r.json["order_no"]), "idempotent");
    r.json
}

#[tokio::test]
async fn cashier_orders_are_paid_through_their_signed_link() {
    let s = shop().await;
    for (ua, wallet) in [(WECHAT_UA, "wechat"), (ALIPAY_UA, "alipay")] {
        let order = cashier_order(&s, 500).await;
        let order_no = order["order_no"].as_str().unwrap().to_owned();
        assert_eq!((order["status"].as_str(), order["channel"].as_str()), (Some("created"), None));
        let link = order["pay_data"]["cashier_url"].as_str().unwrap().to_owned();
        assert!(link.starts_with(&format!("{}/cashier/o/{order_no}?exp=", s.server.base_url)), "{link}");

        let page = s.amount_page(ua, &link).await;
        assert!(page.contains("¥ 5.00") && page.contains("会员充值"), "{page}");
        let pay_url = format!("/cashier/o/{order_no}/pay?{}", link.split_once('?').unwrap().1);
        let f = form(&page, None);
        let paying = s.post_form(ua, &pay_url, &f).await;
        assert_eq!(paying.status, 200, "{wallet}: {}", paying.body);
        assert_eq!(paying.json["order_no"], order_no.as_str());
        assert_eq!(paying.json["wallet"], wallet);
        let again = s.post_form(ua, &pay_url, &f).await;
        assert_eq!(again.json["invoke"], paying.json["invoke"], "the same payer gets the same payable data");

        let seen = s.open.get(&format!("/open/v1/orders/{order_no}")).await;
        assert_eq!((seen.json["way"].as_str(), seen.json["channel"].as_str()), (Some("CASHIER"), Some(wallet)));
        assert_eq!(seen.json["pay_data"]["cashier_url"], link.as_str());
        // Another payer cannot take over an order already being paid.
        let other = s.amount_page(ua, &link).await;
        let taken = s.post_form(ua, &pay_url, &form(&other, None)).await;
        assert_eq!((taken.status, taken.code()), (409, "ORDER_TAKEN"), "{}", taken.body);

        let r = s
            .server
            .http
            .post(&format!("/sandbox/{wallet}/simulate/pay"), None, &json!({"out_trade_no": order_no}))
            .await;
        assert!(r.status < 300, "{}", r.body);
        s.wait_paid(paying.json["result_url"].as_str().unwrap()).await;
        let note = s.hook.wait_for("order.paid", &order_no).await;
        assert!(note.verifies(&s.demo.merchant.app_secret));
        assert_eq!(note.json()["data"]["way"], "CASHIER");
        assert_eq!(note.json()["data"]["amount"], 500);
        let after = browser(ua).get(&link).send().await.unwrap();
        assert!(after.text().await.unwrap().contains("已支付"));
    }
}

#[tokio::test]
async fn tampered_expired_and_unusable_links_are_refused() {
    let s = shop().await;
    let order = cashier_order(&s, 300).await;
    let order_no = order["order_no"].as_str().unwrap().to_owned();
    let link = order["pay_data"]["cashier_url"].as_str().unwrap().to_owned();
    let (base, query) = link.split_once('?').unwrap();
    let exp: i64 = query.split('&').find_map(|p| p.strip_prefix("exp=")).unwrap().parse().unwrap();
    let sig = query.split('&').find_map(|p| p.strip_prefix("sig=")).unwrap();
    let flipped = format!("{}{}", &sig[..sig.len() - 1], if sig.ends_with('A') { 'B' } else { 'A' });
    for bad in [
        format!("{base}?exp={exp}&sig={flipped}"),
        format!("{base}?exp={}&sig={sig}", exp + 3600),
        format!("{base}?exp={exp}"),
        base.to_owned(),
        format!("{}/cashier/o/20260101000000{}?exp={exp}&sig={sig}", s.server.base_url, "1".repeat(16)),
    ] {
        let r = browser(WECHAT_UA).get(&bad).send().await.unwrap();
        assert_eq!(r.status(), 403, "{bad}");
        assert!(r.text().await.unwrap().contains("链接已失效"));
    }
    // A link past its expiry (signed by the server, as the order would have been).
    let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let expired = s.server.state.payments.cashier_links.order_url(&order_no, past);
    assert_eq!(browser(WECHAT_UA).get(&expired).send().await.unwrap().status(), 403);
    // Closed orders are not paid through their link.
    let closed = s.open.post(&format!("/open/v1/orders/{order_no}/close"), "").await;
    assert_eq!(closed.json["status"], "closed", "{}", closed.body);
    assert_eq!(browser(WECHAT_UA).get(&link).send().await.unwrap().status(), 410);
}

#[tokio::test]
async fn merchants_without_an_app_are_not_activated_and_posts_are_rate_limited() {
    let s = shop().await;
    let admin = s.server.login(&s.demo.admin.username, &s.demo.admin.password).await;
    // The child merchant's store: its merchant has no Open API app.
    let stores = s.server.http.get("/admin/v1/stores?q=%E8%A5%BF%E6%B9%96%E5%BA%97", Some(&admin)).await;
    let child_store = stores.json["items"][0]["id"].as_str().unwrap().to_owned();
    let r = s.new_code(&admin, &child_store, "台牌").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let page = browser(WECHAT_UA)
        .get(format!("{}/cashier/{}", s.server.base_url, r.json["code"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("尚未开通"));

    let code = s.code().await;
    let bogus = [
        ("wallet", "wechat".to_owned()),
        ("payer", "oPayer000001".to_owned()),
        ("token", "1.2.3".to_owned()),
        ("amount", "1".to_owned()),
    ];
    // The limit counts per clock minute: start the 31 posts early in a minute, so they all
    // fall in the same one (a run straddling the boundary would see two windows).
    let second = time::OffsetDateTime::now_utc().second();
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
    let mut codes = Vec::new();
    for _ in 0..31 {
        codes.push(s.post_form(WECHAT_UA, &format!("/cashier/{code}/pay"), &bogus).await.code().to_owned());
    }
    assert!(codes[..30].iter().all(|c| c == "LINK_INVALID"), "{codes:?}");
    assert_eq!(codes[30], "RATE_LIMITED");
}

#[tokio::test]
async fn blocked_payers_cannot_pay_a_cashier_order() {
    let s = shop().await;
    let order = cashier_order(&s, 800).await;
    let order_no = order["order_no"].as_str().unwrap().to_owned();
    let link = order["pay_data"]["cashier_url"].as_str().unwrap().to_owned();
    let page = s.amount_page(ALIPAY_UA, &link).await;
    let entry = json!({"kind": "payer_id", "value": hidden(&page, "payer"), "reason": "fraud",
        "merchant_id": s.demo.merchant.merchant_id});
    let admin = s.server.login(&s.demo.admin.username, &s.demo.admin.password).await;
    let r = s.server.http.post("/admin/v1/risk-lists", Some(&admin), &entry).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pay_url = format!("/cashier/o/{order_no}/pay?{}", link.split_once('?').unwrap().1);
    let refused = s.post_form(ALIPAY_UA, &pay_url, &form(&page, None)).await;
    assert_eq!((refused.status, refused.code()), (403, "RISK_REJECTED"), "{}", refused.body);
    let seen = s.open.get(&format!("/open/v1/orders/{order_no}")).await;
    assert_eq!((seen.json["status"].as_str(), seen.json["channel"].as_str()), (Some("created"), None));
}

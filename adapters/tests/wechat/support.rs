//! A WeChat sandbox on a random port (nested at `/sandbox/wechat`, as the server mounts it, or
//! at the root, as WeChat's own host), a notification receiver beside it, and a `WechatChannel`
//! with a provisioned account. Sandbox and channel share a clock the tests can set.

use juhe_adapters::channels::wechat::{WechatChannel, WechatSandbox};
use juhe_adapters::crypto::rsa_sign_pkcs8_pem_b64;
use juhe_domain::channels::{
    BindingStatus, ChannelAccount, ChannelBinding, ChannelCode, ChannelContext, CreateOrder, InboundRequest,
};
use juhe_domain::clock::Clock;
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use juhe_domain::scope::NodePath;
use juhe_domain::secret::Secret;
use juhe_domain::status::Status;
use poem::endpoint::make;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Request, Route, Server, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use time::OffsetDateTime;

/// The wall clock moved by an offset the test sets (time keeps running from there).
#[derive(Default)]
pub struct TestClock {
    offset: Mutex<time::Duration>,
}

impl TestClock {
    /// From now on the clock reads `at` (and runs on from it).
    pub fn set(&self, at: OffsetDateTime) {
        *self.offset.lock().expect("clock") = at - OffsetDateTime::now_utc();
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.offset.lock().expect("clock")
    }
}

/// A raw answer of the sandbox.
pub struct RawAnswer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A notification as the receiver got it.
#[derive(Clone, Debug)]
pub struct Captured {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn request(&self) -> InboundRequest<'_> {
        InboundRequest { headers: &self.headers, body: &self.body }
    }

    pub fn with_header(&self, name: &str, value: &str) -> Captured {
        let mut copy = self.clone();
        for (k, v) in copy.headers.iter_mut() {
            if k.eq_ignore_ascii_case(name) {
                *v = value.to_owned();
            }
        }
        copy
    }
}

/// Where the sandbox is served.
const MOUNT: &str = "/sandbox/wechat";

pub struct Harness {
    pub dir: TempDir,
    pub sandbox: Arc<WechatSandbox>,
    /// `http://127.0.0.1:PORT/sandbox/wechat` (or `http://127.0.0.1:PORT` at the root).
    pub sandbox_url: String,
    pub channel: WechatChannel,
    pub ctx: ChannelContext,
    pub http: reqwest::Client,
    /// The time of both the sandbox and the channel.
    pub clock: Arc<TestClock>,
    inbox: Arc<Mutex<Vec<Captured>>>,
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().expect("client")
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(client(Duration::from_secs(5))).await
    }

    /// With the adapter using `http` (e.g. a 1 s timeout).
    pub async fn start_with(http_for_channel: reqwest::Client) -> Self {
        Self::start_inner(http_for_channel, None, MOUNT).await
    }

    /// The sandbox served at the root of its host, as WeChat's API is (base URL without a path).
    pub async fn start_at_root() -> Self {
        Self::start_inner(client(Duration::from_secs(5)), None, "").await
    }

    /// The sandbox in certificate mode: it signs with `private_key_pem` and names
    /// `certificate_pem`'s serial; the account trusts that certificate (no public key).
    pub async fn start_with_certificate(private_key_pem: &str, certificate_pem: &str) -> Self {
        Self::start_inner(client(Duration::from_secs(5)), Some((private_key_pem, certificate_pem)), MOUNT).await
    }

    async fn start_inner(http_for_channel: reqwest::Client, certificate: Option<(&str, &str)>, mount: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(TestClock::default());
        let mut sandbox = WechatSandbox::load_or_create(dir.path()).expect("sandbox").with_clock(clock.clone());
        if let Some((key, cert)) = certificate {
            sandbox = sandbox.with_platform_certificate(key, cert).expect("certificate mode");
        }
        let sandbox = Arc::new(sandbox);
        sandbox.set_notify_retry_delays(vec![Duration::ZERO, Duration::from_millis(200), Duration::from_millis(200)]);
        let inbox: Arc<Mutex<Vec<Captured>>> = Arc::default();
        let sink = inbox.clone();
        let routes = sandbox.clone().routes();
        let app = if mount.is_empty() { routes } else { Route::new().nest(mount, routes) };
        let app = app.at(
            "/callbacks/wechat/acc-1",
            post(make(move |mut req: Request| {
                let sink = sink.clone();
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                        .collect();
                    let body = req.take_body().into_vec().await.unwrap_or_default();
                    sink.lock().expect("inbox").push(Captured { headers, body });
                    poem::Response::builder().content_type("application/json").body(r#"{"code":"SUCCESS"}"#)
                }
            })),
        );
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind");
        let addr = *acceptor.local_addr()[0].as_socket_addr().expect("tcp address");
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        let base = format!("http://{addr}");
        let sandbox_url = format!("{base}{mount}");
        let notify_url = format!("{base}/callbacks/wechat/acc-1");
        let (config, secrets) = sandbox.provision_account(&sandbox_url);
        let sub_mchid = sandbox.provision_sub_merchant();
        let ctx = context(config, secrets, Some((&sub_mchid, json!({}))), &notify_url);
        Self {
            dir,
            sandbox,
            sandbox_url,
            channel: WechatChannel::new(http_for_channel).with_clock(clock.clone()),
            ctx,
            http: reqwest::Client::new(),
            clock,
            inbox,
        }
    }

    /// The same account with a changed config or secrets value.
    pub fn ctx_with(&self, config_patch: Value, secrets_patch: Value) -> ChannelContext {
        let mut ctx = self.ctx.clone();
        merge(&mut ctx.account.config, config_patch);
        let mut secrets = ctx.secrets.expose().clone();
        merge(&mut secrets, secrets_patch);
        ctx.secrets = Secret::new(secrets);
        ctx
    }

    /// The same account for a binding with `sub_appid` (the merchant's own app).
    pub fn ctx_with_sub_appid(&self, sub_appid: &str) -> ChannelContext {
        let mut ctx = self.ctx.clone();
        if let Some(binding) = ctx.binding.as_mut() {
            binding.config = json!({ "sub_appid": sub_appid });
        }
        ctx
    }

    pub fn sub_mchid(&self) -> String {
        self.ctx.binding.as_ref().expect("binding").sub_merchant_id.clone()
    }

    /// The sub-merchant's own app, provisioned with it by the sandbox.
    pub fn own_sub_appid(&self) -> String {
        self.sandbox.sub_appid(&self.sub_mchid()).expect("an issued sub_mchid has an app")
    }

    /// The path part of `sandbox_url` (`/sandbox/wechat`, or empty at the root).
    pub fn mount(&self) -> &str {
        let after_scheme = self.sandbox_url.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme.find('/').map_or("", |at| &after_scheme[at..])
    }

    /// A request to `sandbox_url` + `path`, signed by the service provider at the clock's time
    /// over the whole path requested, as WeChat wants.
    pub async fn signed(&self, method: &str, path: &str, body: Option<&Value>) -> RawAnswer {
        let whole = format!("{}{path}", self.mount());
        self.signed_as(method, path, body, &whole, self.clock.now().unix_timestamp()).await
    }

    /// The same, with the signature over `signed_path` at `timestamp` (to make it wrong).
    pub async fn signed_as(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        signed_path: &str,
        timestamp: i64,
    ) -> RawAnswer {
        let config = &self.ctx.account.config;
        let text = |key: &str| config[key].as_str().expect("config").to_owned();
        let payload = body.map(Value::to_string).unwrap_or_default();
        let nonce = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let message = format!("{method}\n{signed_path}\n{timestamp}\n{nonce}\n{payload}\n");
        let key = self.ctx.secrets.expose()["private_key_pem"].as_str().expect("pem");
        let signature = rsa_sign_pkcs8_pem_b64(key, message.as_bytes()).expect("sign");
        let authorization = format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            text("sp_mchid"),
            text("serial_no")
        );
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.sandbox_url))
            .header("Authorization", authorization)
            .header("Accept", "application/json");
        if body.is_some() {
            request = request.header("Content-Type", "application/json").body(payload);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        RawAnswer { status, headers, body }
    }

    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self.http.post(format!("{}{path}", self.sandbox_url)).json(&body).send().await.expect("control");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn simulate_pay(&self, out_trade_no: &str) -> u16 {
        self.control("/simulate/pay", json!({ "out_trade_no": out_trade_no })).await.0
    }

    /// The payer pays, and WeChat's notification is lost (never sent).
    pub async fn simulate_pay_unnotified(&self, out_trade_no: &str) -> u16 {
        self.control("/simulate/pay", json!({ "out_trade_no": out_trade_no, "notify": false })).await.0
    }

    /// How many notifications arrived so far.
    pub fn notifications_received(&self) -> usize {
        self.inbox.lock().expect("inbox").len()
    }

    pub async fn fail_next(&self, count: u32, mode: &str) {
        let (status, _) = self.control("/simulate/fail-next", json!({ "count": count, "mode": mode })).await;
        assert_eq!(status, 200);
    }

    /// Waits (bounded) for the `n`-th notification (0-based).
    pub async fn notification(&self, n: usize) -> Captured {
        for _ in 0..600 {
            if let Some(found) = self.inbox.lock().expect("inbox").get(n).cloned() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("notification {n} did not arrive");
    }

    /// The sandbox's own file (its platform private key signs forged-but-valid messages).
    pub fn sandbox_file(&self) -> Value {
        let raw = std::fs::read(self.dir.path().join("wechat.json")).expect("wechat.json");
        serde_json::from_slice(&raw).expect("json")
    }
}

fn merge(target: &mut Value, patch: Value) {
    if let (Some(map), Value::Object(patch)) = (target.as_object_mut(), patch) {
        map.extend(patch);
    }
}

pub fn context(config: Value, secrets: Value, binding: Option<(&str, Value)>, notify_url: &str) -> ChannelContext {
    let now = OffsetDateTime::now_utc();
    let platform_id = PlatformId::generate();
    let account = ChannelAccount {
        id: "acc-1".into(),
        platform_id: platform_id.clone(),
        channel: ChannelCode::Wechat,
        name: "wechat sandbox".into(),
        config,
        secrets_enc: String::new(),
        status: Status::Active,
        daily_amount_cap: None,
        daily_count_cap: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let binding = binding.map(|(sub_mchid, config)| ChannelBinding {
        id: "bind-1".into(),
        platform_id: platform_id.clone(),
        merchant_id: MerchantId::generate(),
        path: NodePath::platform_root(&platform_id),
        channel_account_id: "acc-1".into(),
        channel: ChannelCode::Wechat,
        sub_merchant_id: sub_mchid.to_owned(),
        config,
        ways: vec![PayWay::WxNative, PayWay::WxJsapi, PayWay::Barcode],
        status: BindingStatus::Approved,
        priority: 0,
        weight: 1,
        daily_amount_cap: None,
        daily_count_cap: None,
        version: 1,
        created_at: now,
        updated_at: now,
    });
    ChannelContext { account, secrets: Secret::new(secrets), binding, notify_url: notify_url.to_owned() }
}

/// A fresh order number (`[0-9A-Za-z]`, ≤ 32).
pub fn order_no(tag: &str) -> String {
    format!("{tag}{}", uuid::Uuid::new_v4().simple()).chars().take(32).collect()
}

pub fn order(way: PayWay, order_no: &str, fen: i64) -> CreateOrder {
    CreateOrder {
        order_no: order_no.to_owned(),
        way,
        amount: Money(fen),
        subject: "测试商品".into(),
        payer_id: None,
        client_ip: Some("203.0.113.7".into()),
        expire_at: OffsetDateTime::now_utc() + time::Duration::minutes(15),
        return_url: None,
    }
}

//! Test harness: the Alipay sandbox served on a random port, an account provisioned against it,
//! a tiny notification receiver, and gateway calls signed by hand (what an SDK or a forger does)
//! for the raw-protocol tests.

use juhe_adapters::channels::alipay::{AlipayChannel, AlipaySandbox};
use juhe_adapters::crypto::rsa_sign_pkcs8_pem_b64;
use juhe_domain::channels::BindingStatus;
use juhe_domain::channels::{ChannelAccount, ChannelBinding, ChannelCode, ChannelContext, CreateOrder};
use juhe_domain::clock::Clock;
use juhe_domain::ids::{MerchantId, PlatformId};
use juhe_domain::money::Money;
use juhe_domain::payments::way::PayWay;
use juhe_domain::scope::NodePath;
use juhe_domain::secret::Secret;
use juhe_domain::status::Status;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Route, Server};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

pub struct Harness {
    pub sandbox: Arc<AlipaySandbox>,
    /// `http://127.0.0.1:port/sandbox/alipay`
    pub base: String,
    pub ctx: ChannelContext,
    pub channel: AlipayChannel,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// Serves `app` on a random local port.
pub async fn serve(app: Route) -> SocketAddr {
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind");
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().expect("tcp address");
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    addr
}

/// The sandbox, an account and a binding against it, with a 1 s client timeout.
pub async fn start() -> Harness {
    start_with_notify_url("http://127.0.0.1:9/unused").await
}

pub async fn start_with_notify_url(notify_url: &str) -> Harness {
    start_with(notify_url, |sandbox| sandbox).await
}

/// The same, with the sandbox adjusted before it is served (e.g. another clock).
pub async fn start_with(notify_url: &str, adjust: impl FnOnce(AlipaySandbox) -> AlipaySandbox) -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Arc::new(adjust(AlipaySandbox::load_or_create(dir.path()).expect("sandbox")));
    let addr = serve(Route::new().nest("/sandbox/alipay", sandbox.clone().routes())).await;
    let base = format!("http://{addr}/sandbox/alipay");
    let (config, secrets) = sandbox.provision_account(&format!("{base}/gateway.do"));
    let smid = sandbox.provision_sub_merchant();
    let ctx = context(config, secrets, Some((smid, json!({}))), notify_url);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().expect("client");
    Harness { sandbox, base, ctx, channel: AlipayChannel::new(http.clone()), http, dir }
}

pub fn context(config: Value, secrets: Value, binding: Option<(String, Value)>, notify_url: &str) -> ChannelContext {
    let platform_id = PlatformId::generate();
    let now = OffsetDateTime::now_utc();
    let account = ChannelAccount {
        id: "ca_test".into(),
        platform_id: platform_id.clone(),
        channel: ChannelCode::Alipay,
        name: "sandbox".into(),
        config,
        secrets_enc: String::new(),
        status: Status::Active,
        daily_amount_cap: None,
        daily_count_cap: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let binding = binding.map(|(smid, config)| ChannelBinding {
        id: "cb_test".into(),
        platform_id: platform_id.clone(),
        merchant_id: MerchantId::generate(),
        path: NodePath::platform_root(&platform_id),
        channel_account_id: account.id.clone(),
        channel: ChannelCode::Alipay,
        sub_merchant_id: smid,
        config,
        ways: vec![PayWay::AliQr],
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

/// The wall clock moved by hand (the platform's test clock, as the sandbox sees it).
#[derive(Default)]
pub struct ShiftClock(AtomicI64);

impl ShiftClock {
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ShiftClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.0.load(Ordering::SeqCst))
    }
}

/// `yyyy-MM-dd HH:mm:ss` of `at` in Beijing time (Alipay's `timestamp`).
pub fn beijing(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.to_offset(time::macros::offset!(+8)).format(format).expect("format")
}

static SEQ: Mutex<u32> = Mutex::new(0);

/// A fresh order number.
pub fn order_no(tag: &str) -> String {
    let mut seq = SEQ.lock().unwrap_or_else(|e| e.into_inner());
    *seq += 1;
    format!("T{tag}{}{:04}", OffsetDateTime::now_utc().unix_timestamp(), *seq)
}

pub fn order(way: PayWay, fen: i64) -> CreateOrder {
    CreateOrder {
        order_no: order_no(way.as_str().trim_start_matches("ALI_")),
        way,
        amount: Money(fen),
        subject: "测试商品 & test".into(),
        payer_id: None,
        client_ip: Some("127.0.0.1".into()),
        expire_at: OffsetDateTime::now_utc() + time::Duration::minutes(15),
        return_url: Some("https://merchant.example/return".into()),
    }
}

impl Harness {
    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.expect("control call");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn simulate_pay(&self, out_trade_no: &str) -> (u16, Value) {
        self.control("/simulate/pay", json!({ "out_trade_no": out_trade_no })).await
    }

    pub async fn fail_next(&self, count: u32, mode: &str) -> u16 {
        self.control("/simulate/fail-next", json!({ "count": count, "mode": mode })).await.0
    }

    /// The payer scans a sandbox QR code (opens the page behind it); returns the page.
    pub async fn scan(&self, code_url: &str) -> String {
        self.http.get(code_url).send().await.expect("qr page").text().await.expect("html")
    }

    /// The binding's smid.
    pub fn smid(&self) -> String {
        self.ctx.binding.as_ref().expect("binding").sub_merchant_id.clone()
    }

    /// A context for a merchant that authorized the app (account `model: "isv"`).
    pub fn isv_ctx(&self) -> ChannelContext {
        let merchant = self.sandbox.provision_isv_merchant();
        let mut ctx = self.ctx.clone();
        ctx.account.config["model"] = json!("isv");
        let binding = ctx.binding.as_mut().expect("binding");
        binding.sub_merchant_id = merchant.user_id;
        binding.config = json!({ "app_auth_token": merchant.app_auth_token });
        ctx
    }

    /// The common parameters of a gateway call of the harness's app, stamped now.
    pub fn params(&self, method: &str, biz: Value) -> Vec<(String, String)> {
        [
            ("app_id", self.ctx.account.config["app_id"].as_str().expect("app_id").to_owned()),
            ("method", method.to_owned()),
            ("format", "JSON".into()),
            ("charset", "utf-8".into()),
            ("sign_type", "RSA2".into()),
            ("timestamp", beijing(OffsetDateTime::now_utc())),
            ("version", "1.0".into()),
            ("biz_content", biz.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Signs `params` with the app key, POSTs them to the gateway and returns the answer object
    /// (`<method>_response`, or `error_response`).
    pub async fn raw_call(&self, mut params: Vec<(String, String)>) -> Value {
        params.retain(|(k, v)| k != "sign" && !v.is_empty());
        params.sort();
        let content = params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let key = self.ctx.secrets.expose()["app_private_key_pem"].as_str().expect("app key").to_owned();
        params.push(("sign".into(), rsa_sign_pkcs8_pem_b64(&key, content.as_bytes()).expect("sign")));
        let method = params.iter().find(|(k, _)| k == "method").map(|(_, v)| v.clone()).unwrap_or_default();
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
        let answer: Value = self
            .http
            .post(format!("{}/gateway.do", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("gateway")
            .json()
            .await
            .expect("json answer");
        let key = format!("{}_response", method.replace('.', "_"));
        answer.get(&key).or(answer.get("error_response")).cloned().unwrap_or(answer)
    }

    /// `raw_call` of `method` with `biz_content` and the usual common parameters.
    pub async fn call(&self, method: &str, biz: Value) -> Value {
        self.raw_call(self.params(method, biz)).await
    }
}

/// A received notification: its headers and raw body.
pub type Received = (Vec<(String, String)>, Vec<u8>);

/// A receiver that answers `answer` and hands every request to the returned channel.
pub async fn receiver(answer: &'static str) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let endpoint = poem::endpoint::make(move |mut req: poem::Request| {
        let tx = tx.clone();
        async move {
            let headers = req
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            let body = req.take_body().into_vec().await.unwrap_or_default();
            let _ = tx.send((headers, body));
            answer
        }
    });
    let addr = serve(Route::new().at("/notify", endpoint)).await;
    (format!("http://{addr}/notify"), rx)
}

pub async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("notification in time").expect("open")
}

//! Test harness: the UnionPay sandbox served on a random port, an account and a merchant
//! provisioned against it, a tiny notification receiver, and signing by hand (what the
//! institution or a forger would do) for the raw-protocol tests.

use aws_lc_rs::digest;
use juhe_adapters::channels::unionpay::{UnionpayChannel, UnionpaySandbox};
use juhe_adapters::crypto::rsa_sign_pkcs8_pem_b64;
use juhe_domain::channels::{
    BarcodePay, BindingStatus, ChannelAccount, ChannelBinding, ChannelCode, ChannelContext, CreateOrder,
};
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
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

pub struct Harness {
    pub sandbox: Arc<UnionpaySandbox>,
    /// `http://127.0.0.1:port/sandbox/unionpay`
    pub base: String,
    pub ctx: ChannelContext,
    pub channel: UnionpayChannel,
    pub http: reqwest::Client,
    /// The sandbox directory, alive as long as the harness.
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
pub async fn start_with(notify_url: &str, adjust: impl FnOnce(UnionpaySandbox) -> UnionpaySandbox) -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Arc::new(adjust(UnionpaySandbox::load_or_create(dir.path()).expect("sandbox")));
    let addr = serve(Route::new().nest("/sandbox/unionpay", sandbox.clone().routes())).await;
    let base = format!("http://{addr}/sandbox/unionpay");
    let (config, secrets) = sandbox.provision_account(&format!("{base}/gateway"));
    let mer_id = sandbox.provision_sub_merchant();
    let ctx = context(config, secrets, Some((mer_id, json!({}))), notify_url);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().expect("client");
    Harness { sandbox, base, ctx, channel: UnionpayChannel::new(http.clone()), http, dir }
}

pub fn context(config: Value, secrets: Value, binding: Option<(String, Value)>, notify_url: &str) -> ChannelContext {
    let platform_id = PlatformId::generate();
    let now = OffsetDateTime::now_utc();
    let account = ChannelAccount {
        id: "ca_test".into(),
        platform_id: platform_id.clone(),
        channel: ChannelCode::Unionpay,
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
    let binding = binding.map(|(mer_id, config)| ChannelBinding {
        id: "cb_test".into(),
        platform_id: platform_id.clone(),
        merchant_id: MerchantId::generate(),
        path: NodePath::platform_root(&platform_id),
        channel_account_id: account.id.clone(),
        channel: ChannelCode::Unionpay,
        sub_merchant_id: mer_id,
        config,
        ways: vec![PayWay::UpQr, PayWay::Barcode],
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

static SEQ: Mutex<u32> = Mutex::new(0);

/// A fresh order number.
pub fn order_no(tag: &str) -> String {
    let mut seq = SEQ.lock().unwrap_or_else(|e| e.into_inner());
    *seq += 1;
    format!("T{tag}{}{:04}", OffsetDateTime::now_utc().unix_timestamp(), *seq)
}

pub fn order(fen: i64) -> CreateOrder {
    CreateOrder {
        order_no: order_no("QR"),
        way: PayWay::UpQr,
        amount: Money(fen),
        subject: "测试商品 & test".into(),
        payer_id: None,
        client_ip: Some("127.0.0.1".into()),
        expire_at: OffsetDateTime::now_utc() + time::Duration::minutes(15),
        return_url: None,
    }
}

/// A UnionPay payer code (19 digits starting 62) whose last four digits are `suffix`.
pub fn payer_code(suffix: &str) -> String {
    format!("621234567890123{suffix}")
}

pub fn barcode(auth_code: &str, fen: i64) -> BarcodePay {
    BarcodePay {
        order_no: order_no("BAR"),
        amount: Money(fen),
        subject: "条码支付".into(),
        auth_code: Secret::new(auth_code.into()),
        store_id: Some("st_1".into()),
        client_ip: None,
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

    pub fn config(&self, key: &str) -> String {
        self.ctx.account.config[key].as_str().expect("config string").to_owned()
    }

    pub fn private_key(&self) -> String {
        self.ctx.secrets.expose()["private_key_pem"].as_str().expect("private key").to_owned()
    }

    pub fn mer_id(&self) -> String {
        self.ctx.binding.as_ref().expect("binding").sub_merchant_id.clone()
    }

    /// Sends a raw request to the sandbox gateway, signed with `private_pem`, and returns the HTTP
    /// status and the answer's fields.
    pub async fn raw_call(&self, fields: &[(&str, &str)], private_pem: &str) -> (u16, BTreeMap<String, String>) {
        let mut fields: BTreeMap<String, String> =
            fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        sign(&mut fields, private_pem);
        let response = self
            .http
            .post(format!("{}/gateway", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&fields))
            .send()
            .await
            .expect("gateway");
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("body");
        (status, form_urlencoded::parse(&body).into_owned().collect())
    }
}

/// UnionPay's signing, by hand: sorted `k=v&…` without `signature`, SHA-256 hex, RSA, Base64.
pub fn sign(fields: &mut BTreeMap<String, String>, private_pem: &str) {
    fields.remove("signature");
    let content = fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let digest = hex::encode(digest::digest(&digest::SHA256, content.as_bytes()));
    let signature = rsa_sign_pkcs8_pem_b64(private_pem, digest.as_bytes()).expect("sign");
    fields.insert("signature".into(), signature);
}

pub fn form(fields: &BTreeMap<String, String>) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// A received notification: its headers and raw body.
pub type Received = (Vec<(String, String)>, Vec<u8>);

/// A receiver that answers HTTP `status` and hands every request to the returned channel.
pub async fn receiver(status: u16) -> (String, mpsc::UnboundedReceiver<Received>) {
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
            let status = poem::http::StatusCode::from_u16(status).unwrap_or(poem::http::StatusCode::OK);
            poem::Response::builder().status(status).body("ok")
        }
    });
    let addr = serve(Route::new().at("/notify", endpoint)).await;
    (format!("http://{addr}/notify"), rx)
}

pub async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("notification in time").expect("open")
}

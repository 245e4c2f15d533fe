//! Test support: spawn a juhe server on a free port (SQLite in a temp dir by default; a fresh
//! PostgreSQL database when `JUHE_TEST_DATABASE_URL` is set; Redis with a unique key prefix when
//! `JUHE_TEST_REDIS_URL` is set) and talk to it over HTTP like a real client.

pub mod client;
pub mod clock;
pub mod open_client;
pub mod process;
pub mod webhook;

use juhe_api::config::Config;
use juhe_api::demo::{self, DemoOutput};
use juhe_api::jobs::JobSettings;
use juhe_api::state::AppState;
use juhe_domain::clock::{Clock, SystemClock};
use juhe_domain::payments::service::PaymentSettings;
use poem::listener::{Acceptor, Listener, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// Barcode waits shortened for tests.
pub fn fast_payments() -> PaymentSettings {
    PaymentSettings {
        barcode_inline_wait: Duration::from_millis(1500),
        barcode_poll_window: Duration::from_secs(2),
        instant_enabled: false,
        // A low bar so a test can open the breaker with a handful of failures.
        breaker: juhe_domain::payments::breaker::BreakerSettings {
            min_calls: 3,
            error_percent: 60,
            open_for: Duration::from_secs(30),
        },
        requery_after: Duration::from_secs(1),
        requery_max_interval: Duration::from_secs(2),
        refund_give_up_after: Duration::from_secs(6 * 3600),
        ..PaymentSettings::default()
    }
}

/// A job worker that looks often (tests wait on its effects) with a short lease (a killed
/// server's jobs are taken over quickly).
pub fn fast_jobs() -> JobSettings {
    JobSettings { poll: Duration::from_millis(100), lease: Duration::from_secs(3), concurrency: 16 }
}

pub use client::{Client, Reply};
pub use open_client::OpenClient;

pub struct TestServer {
    pub base_url: String,
    pub state: Arc<AppState>,
    pub http: Client,
    dir: TempDir,
    shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Which backends this run uses (printed by tests that care).
pub fn backend() -> &'static str {
    if std::env::var("JUHE_TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" }
}

impl TestServer {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a config tweak (e.g. trusting proxy headers, small login limits).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_full(tweak, Arc::new(SystemClock), fast_payments(), fast_jobs(), None).await
    }

    /// Full control: clock, payment settings, job settings, and an existing data directory
    /// (to restart a server on the same database).
    pub async fn spawn_full(
        tweak: impl FnOnce(&mut Config),
        clock: Arc<dyn Clock>,
        settings: PaymentSettings,
        jobs: JobSettings,
        reuse: Option<(TempDir, String)>,
    ) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let (dir, database_url) = match reuse {
            Some(existing) => existing,
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = match std::env::var("JUHE_TEST_DATABASE_URL") {
                    Ok(base) => juhe_adapters::db::fresh_test_database(&base).await.expect("fresh postgres database"),
                    Err(_) => format!("sqlite://{}/juhe.db", dir.path().display()),
                };
                (dir, url)
            }
        };
        let listener = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind");
        let addr = listener.local_addr()[0].as_socket_addr().copied().expect("socket address");
        let base_url = format!("http://{addr}");
        let mut config = Config {
            bind: addr.to_string(),
            public_url: base_url.clone(),
            database_url,
            redis_url: std::env::var("JUHE_TEST_REDIS_URL").ok(),
            cache_prefix: format!("juhe-test:{}:", uuid::Uuid::new_v4().simple()),
            data_dir: dir.path().to_path_buf(),
            // Small argon2 memory keeps the suite fast; the algorithm is still argon2id.
            password_hash_memory_kib: 1024,
            // Short enough for the timeout tests, long enough for a loaded CI machine.
            channel_timeout_ms: 5_000,
            ..Config::default()
        };
        tweak(&mut config);
        let state = juhe_api::wiring::build_state_with(config, clock, settings).await.expect("build state");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            let _ = juhe_api::server::serve_with_jobs(serving, listener, shutdown, jobs).await;
        });
        let http = Client::new(&base_url);
        Self { base_url, state, http, dir, shutdown: tx }
    }

    /// Stops this server and hands back its data directory and database for a restart.
    pub fn stop(self) -> (TempDir, String) {
        let TestServer { state, dir, shutdown, .. } = self;
        let url = state.config.database_url.clone();
        let _ = shutdown.send(());
        (dir, url)
    }

    /// Seeds the demo data set (OPEN_API.md) and returns its logins and app.
    pub async fn demo(&self) -> DemoOutput {
        demo::seed(&self.state).await.expect("demo seed")
    }

    /// Logs in and returns an access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .http
            .post("/admin/v1/auth/login", None, &serde_json::json!({"username": username, "password": password}))
            .await;
        assert_eq!(r.status, 200, "login {username}: {}", r.body);
        r.json["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Waits for the stored order to reach `status` and returns it as the Open API's order
    /// object. A read that never asks the channel (unlike `GET /open/v1/orders/{no}`), so only a
    /// callback or a job can have moved the order.
    pub async fn wait_order_status(&self, order_no: &str, status: &str) -> serde_json::Value {
        let mut last = None;
        for _ in 0..300 {
            let order = self.state.payments.orders.get_unscoped(order_no).await.expect("read order");
            if let Some(o) = order.as_ref().filter(|o| o.status.as_str() == status) {
                return juhe_domain::payments::events::order_object(o);
            }
            last = order.map(|o| o.status.as_str());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("order {order_no} never became {status} (is {last:?})");
    }

    pub fn open(&self, app_id: &str, secret: &str) -> OpenClient {
        OpenClient::hmac(&self.base_url, app_id, secret)
    }
}

//! A real crash: the `juhe` binary is killed with SIGKILL (no graceful stop, nothing flushed)
//! while it is delivering a notification for an order it has just marked paid. Restarted on the
//! same database, it takes the job over once the dead worker's lease runs out and delivers.
//! The binary is the one `cargo test --workspace --all-targets` (`make test`) builds.

use juhe_tests::OpenClient;
use juhe_tests::webhook::Receiver;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn juhe_binary() -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/juhe
    let exe = std::env::current_exe().expect("test executable");
    let bin = exe.parent().and_then(Path::parent).expect("target dir").join("juhe");
    assert!(bin.exists(), "{} is missing: build it with `cargo build -p juhe-api` (make test does)", bin.display());
    bin
}

struct Juhe {
    child: Child,
}

impl Juhe {
    /// `juhe serve` on `port` with its data in `dir` (and the database at `database_url`).
    async fn start(dir: &Path, database_url: &str, port: u16, seed_demo: bool) -> Self {
        let mut cmd = Command::new(juhe_binary());
        cmd.arg("serve");
        if seed_demo {
            cmd.arg("--seed-demo");
        }
        // Owned at once: a start that fails still kills and reaps the process (Drop).
        let juhe = Self {
            child: cmd
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("JUHE_BIND", format!("127.0.0.1:{port}"))
                .env("JUHE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
                .env("JUHE_DATA_DIR", dir)
                .env("JUHE_DATABASE_URL", database_url)
                .env("JUHE_JOB_LEASE_SECS", "3")
                .env("JUHE_PASSWORD_HASH_MEMORY_KIB", "1024")
                .env("JUHE_LOG_LEVEL", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start juhe"),
        };
        let health = format!("http://127.0.0.1:{port}/healthz");
        for _ in 0..300 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return juhe;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("juhe did not start on port {port}");
    }

    fn kill9(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-9", &pid]).status().expect("kill -9");
        assert!(status.success());
        let _ = self.child.wait();
    }
}

impl Drop for Juhe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn database_url(dir: &Path) -> String {
    match std::env::var("JUHE_TEST_DATABASE_URL") {
        Ok(base) => juhe_adapters::db::fresh_test_database(&base).await.expect("fresh postgres database"),
        Err(_) => format!("sqlite://{}/juhe.db", dir.display()),
    }
}

#[tokio::test]
async fn a_server_killed_while_notifying_delivers_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path()).await;
    let port = free_port();
    let server = Juhe::start(dir.path(), &url, port, true).await;
    let demo: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("demo.json")).unwrap()).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let merchant = &demo["merchant"];
    let open = OpenClient::hmac(&base, merchant["app_id"].as_str().unwrap(), merchant["app_secret"].as_str().unwrap());

    // The merchant's endpoint hangs: the delivery is in flight when the server dies.
    let hook = Receiver::spawn().await;
    hook.set_delay(Duration::from_secs(60));
    let body = json!({"merchant_no": merchant["merchant_no"], "out_trade_no": "CRASH-0001", "amount": 100,
        "currency": "CNY", "way": "WX_NATIVE", "subject": "crash", "notify_url": hook.url});
    let r = open.post("/open/v1/orders", &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let order_no = r.json["order_no"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let paid = http
        .post(format!("{base}/sandbox/wechat/simulate/pay"))
        .json(&json!({"out_trade_no": order_no}))
        .send()
        .await
        .unwrap();
    assert!(paid.status().is_success());
    for _ in 0..300 {
        if hook.hits() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(hook.hits() > 0, "the delivery started");
    server.kill9();
    assert!(hook.received().is_empty(), "nothing was delivered before the crash");

    hook.set_delay(Duration::ZERO);
    let _restarted = Juhe::start(dir.path(), &url, port, false).await;
    let delivered = hook.wait_for("order.paid", &order_no).await;
    assert!(delivered.verifies(merchant["app_secret"].as_str().unwrap()));
    assert_eq!(delivered.json()["data"]["status"], "paid");
}

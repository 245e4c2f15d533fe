//! The real `juhe` binary as child processes (crash tests, several processes on one database):
//! the one `cargo test --workspace --all-targets` (`make test`) builds.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn juhe_binary() -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/juhe
    let exe = std::env::current_exe().expect("test executable");
    let bin = exe.parent().and_then(Path::parent).expect("target dir").join("juhe");
    assert!(bin.exists(), "{} is missing: build it with `cargo build -p juhe-api` (make test does)", bin.display());
    bin
}

pub struct Juhe {
    child: Child,
}

/// Where one run keeps its data and database, shared by every process it starts.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub database_url: String,
}

impl Juhe {
    /// `juhe <args>` with the site's data and database, listening on `port`, with `env` on top.
    pub fn spawn(site: &Site, args: &[&str], port: u16, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(juhe_binary());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("JUHE_BIND", format!("127.0.0.1:{port}"))
            .env("JUHE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("JUHE_DATA_DIR", site.dir.path())
            .env("JUHE_DATABASE_URL", &site.database_url)
            .env("JUHE_JOB_LEASE_SECS", "3")
            .env("JUHE_PASSWORD_HASH_MEMORY_KIB", "1024")
            .env("JUHE_LOG_LEVEL", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Self { child: cmd.spawn().expect("start juhe") }
    }

    /// `juhe serve`, once it answers `/healthz`.
    pub async fn serve(site: &Site, port: u16, seed_demo: bool, env: &[(&str, &str)]) -> Self {
        let args: &[&str] = if seed_demo { &["serve", "--seed-demo"] } else { &["serve"] };
        // Owned at once: a start that fails still kills and reaps the process (Drop).
        let juhe = Self::spawn(site, args, port, env);
        let health = format!("http://127.0.0.1:{port}/healthz");
        for _ in 0..300 {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return juhe;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("juhe did not start on port {port}");
    }

    /// `juhe sandbox` (the channel sandboxes alone), once it takes connections.
    pub async fn sandboxes(site: &Site, port: u16) -> Self {
        let juhe = Self::spawn(site, &["sandbox"], port, &[]);
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return juhe;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("juhe sandbox did not start on port {port}");
    }

    pub fn kill9(mut self) {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

pub async fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match std::env::var("JUHE_TEST_DATABASE_URL") {
        Ok(base) => juhe_adapters::db::fresh_test_database(&base).await.expect("fresh postgres database"),
        Err(_) => format!("sqlite://{}/juhe.db", dir.path().display()),
    };
    Site { dir, database_url }
}

pub fn demo_of(site: &Site) -> Value {
    serde_json::from_str(&std::fs::read_to_string(site.dir.path().join("demo.json")).unwrap()).unwrap()
}

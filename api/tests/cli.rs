//! The `juhe` binary: configuration errors and warnings, where `public_url` points, demo seeding,
//! spec printing, user creation.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn juhe(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_juhe"));
    cmd.current_dir(dir).args(args).env("JUHE_PASSWORD_HASH_MEMORY_KIB", "1024").env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run juhe")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn bad_configuration_names_the_key_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, named) in [
        ("JUHE_BIND", "not-an-address", "bind"),
        ("JUHE_ACCESS_TTL_SECS", "soon", "access_ttl_secs"),
        ("JUHE_DATABASE_URL", "mysql://x", "database_url"),
        ("JUHE_LOG_FORMAT", "xml", "log_format"),
    ] {
        let out = juhe(dir.path(), &["migrate"], &[(key, value)]);
        assert!(!out.status.success(), "{key}={value} must fail");
        let err = text(&out.stderr);
        assert!(err.contains(named), "{key}: stderr names the key: {err}");
    }
    std::fs::write(dir.path().join("juhe.toml"), "bind = 12\n").unwrap();
    let out = juhe(dir.path(), &["migrate"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("bind"));
    std::fs::write(dir.path().join("juhe.toml"), "no_such_key = 1\n").unwrap();
    let out = juhe(dir.path(), &["migrate"], &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no_such_key"), "{}", text(&out.stderr));
}

#[test]
fn demo_seeds_an_empty_database_once_and_prints_the_contract_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = juhe(dir.path(), &["demo", "--json"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for key in ["admin", "agent", "merchant", "store_clerk"] {
        assert!(v[key]["username"].is_string() && v[key]["password"].is_string(), "{key}");
    }
    for key in ["merchant_no", "app_id", "app_secret", "store_id"] {
        assert!(v["merchant"][key].as_str().is_some_and(|s| !s.is_empty()), "merchant.{key}");
    }
    assert_eq!(v["base_url"], "http://127.0.0.1:8080");
    assert!(dir.path().join("data/juhe.db").exists(), "embedded SQLite under data/");
    // The secret is printed once for the operator, but never logged.
    let secret = v["merchant"]["app_secret"].as_str().unwrap();
    assert!(!text(&out.stderr).contains(secret));
    let again = juhe(dir.path(), &["demo", "--json"], &[]);
    assert!(!again.status.success(), "a second seeding is refused");
    assert!(text(&again.stderr).contains("empty database"));
}

#[test]
fn openapi_prints_the_spec_and_admin_creates_users() {
    let dir = tempfile::tempdir().unwrap();
    let out = juhe(dir.path(), &["openapi"], &[]);
    assert!(out.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));

    let mut child = Command::new(env!("CARGO_BIN_EXE_juhe"))
        .current_dir(dir.path())
        .env("JUHE_PASSWORD_HASH_MEMORY_KIB", "1024")
        .args(["admin", "create-user", "--username", "root", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"root-password-2026\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created user root (platform_admin)"));
    assert!(!text(&out.stderr).contains("root-password-2026"));
    let weak = juhe(dir.path(), &["admin", "create-user", "--username", "weak", "--password", "short"], &[]);
    assert!(!weak.status.success());
}

#[test]
fn an_unknown_env_variable_is_a_warning_naming_it_but_an_unknown_file_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![("JUHE_PUBLIC_ULR", "https://typo.example"), ("JUHE_LOG_FORMAT", "json")];
    // Read by the tests, the SDK conformance runs and scripts: never warned about.
    for name in ["JUHE_TEST_DATABASE_URL", "JUHE_TEST_REDIS_URL", "JUHE_WECHAT_SDK_PYTHON", "JUHE_ALIPAY_SDK_PYTHON"] {
        env.push((name, "x"));
    }
    env.push(("JUHE_DEMO_FILE", "x"));
    let out = juhe(dir.path(), &["migrate"], &env);
    let err = text(&out.stderr);
    assert!(out.status.success(), "an unknown variable does not stop juhe: {err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("\"WARN\"")).collect();
    assert_eq!(warnings.len(), 1, "one warning, as JSON (JUHE_LOG_FORMAT still applies): {err}");
    assert!(warnings[0].contains("JUHE_PUBLIC_ULR"), "the warning names the variable: {err}");
    for name in ["TEST_DATABASE_URL", "TEST_REDIS_URL", "SDK_PYTHON", "DEMO_FILE"] {
        assert!(!err.contains(name), "{name} is not warned about: {err}");
    }

    std::fs::write(dir.path().join("juhe.toml"), "public_ulr = \"https://typo.example\"\n").unwrap();
    let out = juhe(dir.path(), &["migrate"], &[]);
    assert!(!out.status.success(), "an unknown key in juhe.toml stops juhe");
    assert!(text(&out.stderr).contains("public_ulr"), "{}", text(&out.stderr));
}

#[test]
fn public_url_defaults_to_the_bind_address_and_an_explicit_one_wins() {
    for (bind, public_url, want) in [
        ("127.0.0.1:9090", None, "http://127.0.0.1:9090"),
        ("0.0.0.0:9090", None, "http://127.0.0.1:9090"),
        ("127.0.0.1:9090", Some("https://pay.example.com"), "https://pay.example.com"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![("JUHE_BIND", bind)];
        env.extend(public_url.map(|u| ("JUHE_PUBLIC_URL", u)));
        let out = juhe(dir.path(), &["demo", "--json"], &env);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["base_url"], want, "bind {bind}, public_url {public_url:?}");
    }
}

/// A running `juhe serve`, killed when dropped; its stderr lines arrive on `lines`.
struct Serving {
    child: Child,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl Serving {
    fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_juhe"));
        cmd.current_dir(dir.path()).arg("serve").env("JUHE_PASSWORD_HASH_MEMORY_KIB", "1024").env_remove("RUST_LOG");
        cmd.envs(env.iter().copied()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start juhe serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, lines, _dir: dir }
    }

    /// The URL the start-up banner gives for the API docs.
    fn banner_docs_url(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if let Some((_, rest)) = line.split_once("API docs at ") {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
            seen.push(line);
        }
        panic!("no start-up banner; stderr:\n{}", seen.join("\n"));
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET {base}/healthz` over plain HTTP/1.0: the status line.
fn healthz(base: &str) -> String {
    let host = base.strip_prefix("http://").expect("an http URL");
    let mut stream = std::net::TcpStream::connect(host).expect("the banner's address answers");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET /healthz HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn the_banner_gives_the_url_the_server_really_answers_on() {
    // Every interface, port chosen by the system: the banner names loopback and the real port.
    let server = Serving::start(&[("JUHE_BIND", "0.0.0.0:0")]);
    let docs = server.banner_docs_url();
    let base = docs.strip_suffix("/docs").expect("…/docs");
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{docs}");
    assert!(healthz(base).contains(" 200 "), "{base} answers");

    let server = Serving::start(&[("JUHE_BIND", "127.0.0.1:0"), ("JUHE_PUBLIC_URL", "https://pay.example.com")]);
    assert_eq!(server.banner_docs_url(), "https://pay.example.com/docs", "an explicit public_url wins");
}

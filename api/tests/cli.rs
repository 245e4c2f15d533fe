//! The `juhe` binary: configuration errors and warnings, demo seeding, spec printing, user
//! creation.

use std::io::Write;
use std::process::{Command, Output};

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

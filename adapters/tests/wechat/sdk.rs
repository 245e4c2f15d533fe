//! The official Python SDK (`wechatpayv3`, PyPI) against the sandbox, mounted as the server
//! mounts it and at the root as WeChat's own host: see `sdk-conformance/README.md`. Needs a
//! Python with the SDK installed, hence ignored by default:
//! `JUHE_WECHAT_SDK_PYTHON=/path/to/python cargo test -p juhe-adapters --test wechat_channel -- --ignored official_sdk`.

use super::support::Harness;
use std::process::Command;

#[tokio::test]
#[ignore = "runs the official wechatpayv3 SDK; set JUHE_WECHAT_SDK_PYTHON to a python that has it"]
async fn official_sdk_conformance() {
    run_sdk(Harness::start().await).await;
}

#[tokio::test]
#[ignore = "runs the official wechatpayv3 SDK; set JUHE_WECHAT_SDK_PYTHON to a python that has it"]
async fn official_sdk_conformance_at_the_root() {
    run_sdk(Harness::start_at_root().await).await;
}

async fn run_sdk(h: Harness) {
    let credentials = h.dir.path().join("wechat-sdk.json");
    std::fs::write(&credentials, h.sandbox.sdk_credentials_json().to_string()).expect("write credentials");
    let python = std::env::var("JUHE_WECHAT_SDK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk-conformance/wechat_sdk.py");
    let base = h.sandbox_url.clone();
    let output =
        tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(base).arg(credentials).output())
            .await
            .expect("join")
            .expect("run the SDK script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the official SDK disagrees with the sandbox:\n{stdout}");
}

//! The official `python-alipay-sdk` against the sandbox (`sdk-conformance/alipay_sdk.py`).
//! Ignored by default: it needs the SDK installed. Run with
//! `JUHE_ALIPAY_SDK_PYTHON=/path/to/venv/bin/python \
//!   cargo test -p juhe-adapters --test alipay_channel -- --ignored python_alipay_sdk_conformance`.

use crate::support::start;
use std::path::Path;

#[tokio::test]
#[ignore = "needs python with python-alipay-sdk (see sdk-conformance/README.md)"]
async fn python_alipay_sdk_conformance() {
    let h = start().await;
    let credentials = h.dir.path().join("alipay_credentials.json");
    std::fs::write(&credentials, h.sandbox.sdk_credentials_json().to_string()).expect("write credentials");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk-conformance/alipay_sdk.py");
    let base = h.base.clone();
    let python = std::env::var("JUHE_ALIPAY_SDK_PYTHON").unwrap_or_else(|_| "python3".into());
    // The script calls back into this process's sandbox: run it off the async workers.
    let output = tokio::task::spawn_blocking(move || {
        // The SDK stamps requests with local time; Alipay reads them as Beijing time.
        std::process::Command::new(python).env("TZ", "CST-8").arg(script).arg(&base).arg(&credentials).output()
    })
    .await
    .expect("join")
    .expect("run python");
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the SDK script failed");
}

//! The official Python SDK (`wechatpayv3`, PyPI) against the sandbox, mounted as the server
//! mounts it and at the root as WeChat's own host: see `sdk-conformance/README.md`. Needs a
//! Python with the SDK installed, hence ignored by default:
//! `JUHE_WECHAT_SDK_PYTHON=/path/to/python cargo test -p juhe-adapters --test wechat_channel -- --ignored official_sdk`.

use super::support::{Harness, order, order_no};
use juhe_domain::channels::PaymentChannel;
use juhe_domain::payments::way::PayWay;
use std::process::Command;
use time::{Duration, OffsetDateTime, Time};

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
    let (bill_date, bill_out_trade_no) = a_ready_bill_day(&h).await;
    let mut creds = h.sandbox.sdk_credentials_json();
    creds["sub_mchid"] = h.sub_mchid().into();
    creds["sub_appid"] = h.own_sub_appid().into();
    creds["bill_date"] = bill_date.into();
    creds["bill_out_trade_no"] = bill_out_trade_no.into();
    let credentials = h.dir.path().join("wechat-sdk.json");
    std::fs::write(&credentials, creds.to_string()).expect("write credentials");
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

/// The SDK runs at today's time, when only earlier days have a bill: pays an order on the latest
/// day whose bill is out (bills come at 10:00 China time the next day), with the sandbox and the
/// adapter set back to that day, then returns them to now. (day, out_trade_no)
async fn a_ready_bill_day(h: &Harness) -> (String, String) {
    let cst = time::UtcOffset::from_hms(8, 0, 0).expect("offset");
    let now = OffsetDateTime::now_utc().to_offset(cst);
    let day = (now - Duration::hours(10)).date().previous_day().expect("day");
    h.clock.set(day.with_time(Time::from_hms(12, 0, 0).expect("noon")).assume_offset(cst));
    let no = order_no("SDKBILL");
    h.channel.create(&h.ctx, &order(PayWay::WxNative, &no, 88)).await.expect("create on the bill day");
    assert_eq!(h.simulate_pay(&no).await, 200);
    h.clock.set(OffsetDateTime::now_utc());
    (day.to_string(), no)
}

//! Bench set-up over the admin API, on a server seeded with the demo data (`juhe demo --json`):
//! an `instant` channel account bound to the demo merchant and, when given the credentials a
//! standalone `juhe sandbox --credentials-dir` wrote, a WeChat Pay account pointed at that
//! sandbox process, bound to the demo child merchant. Both bindings get the top priority, so they
//! take the orders even if the merchants have other bindings.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;

const INSTANT_WAYS: &[&str] = &[
    "WX_JSAPI",
    "WX_NATIVE",
    "WX_H5",
    "WX_APP",
    "WX_MINI",
    "ALI_QR",
    "ALI_JSAPI",
    "ALI_WAP",
    "ALI_APP",
    "UP_QR",
    "BARCODE",
];
const WECHAT_WAYS: &[&str] = &["WX_JSAPI", "WX_NATIVE", "WX_H5", "WX_APP", "WX_MINI", "BARCODE"];

/// What `loadgen run` needs, written by `loadgen setup`.
#[derive(Debug, Serialize, Deserialize)]
pub struct BenchSetup {
    pub base_url: String,
    pub app_id: String,
    pub app_secret: String,
    /// Merchant numbers whose orders go to each channel.
    pub instant_merchant_no: String,
    pub wechat_merchant_no: Option<String>,
}

impl BenchSetup {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let raw = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&raw).with_context(|| format!("parsing {}", path.display()))
    }
}

struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    async fn login(http: reqwest::Client, base: &str, username: &str, password: &str) -> anyhow::Result<Self> {
        let mut admin = Self { http, base: base.trim_end_matches('/').to_owned(), token: String::new() };
        let r = admin
            .send(
                reqwest::Method::POST,
                "/admin/v1/auth/login",
                Some(json!({"username": username, "password": password})),
            )
            .await?;
        admin.token = r["access_token"].as_str().context("login: no access_token")?.to_owned();
        Ok(admin)
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("{path}: request"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{path}: HTTP {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A channel account (config, secrets) and the merchant's binding to it.
    async fn bind(
        &self,
        channel: &str,
        name: &str,
        account: (Value, Value),
        merchant_id: &str,
        sub: &str,
        ways: &[&str],
    ) -> anyhow::Result<()> {
        let (config, secrets) = account;
        let account = self
            .send(
                reqwest::Method::POST,
                "/admin/v1/channel-accounts",
                Some(json!({"channel": channel, "name": name, "config": config, "secrets": secrets})),
            )
            .await?;
        let account_id = account["id"].as_str().context("channel account without id")?;
        self.send(
            reqwest::Method::POST,
            "/admin/v1/channel-bindings",
            Some(json!({
                "merchant_id": merchant_id, "channel_account_id": account_id, "sub_merchant_id": sub,
                "ways": ways, "priority": 1000, "weight": 100,
            })),
        )
        .await?;
        Ok(())
    }

    async fn merchant_id(&self, merchant_no: &str) -> anyhow::Result<String> {
        let page = self
            .send(reqwest::Method::GET, &format!("/admin/v1/merchants?q={merchant_no}&page_size=200"), None)
            .await?;
        page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|m| m["merchant_no"] == merchant_no))
            .and_then(|m| m["id"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("merchant {merchant_no} not found"))
    }
}

/// A WeChat Pay channel account (config, secrets) from the SDK credentials a standalone sandbox
/// wrote, pointed at `base_url` (e.g. `http://127.0.0.1:18091/sandbox/wechat`); and its sub_mchid.
fn wechat_account(creds: &Value, base_url: &str) -> anyhow::Result<(Value, Value, String)> {
    let get = |k: &str| creds[k].as_str().map(str::to_owned).with_context(|| format!("wechat credentials: no {k}"));
    let config = json!({
        "base_url": base_url.trim_end_matches('/'),
        "sp_mchid": get("mchid")?,
        "sp_appid": get("appid")?,
        "serial_no": get("cert_serial_no")?,
        "platform_public_key_id": get("public_key_id")?,
        "platform_public_key_pem": get("public_key")?,
    });
    let secrets = json!({"private_key_pem": get("private_key")?, "api_v3_key": get("apiv3_key")?});
    Ok((config, secrets, get("sub_mchid")?))
}

pub struct SetupArgs<'a> {
    pub base_url: &'a str,
    pub demo: &'a Path,
    pub wechat: Option<(&'a Path, &'a str)>,
    pub out: &'a Path,
}

pub async fn setup(http: reqwest::Client, args: SetupArgs<'_>) -> anyhow::Result<BenchSetup> {
    let raw = std::fs::read_to_string(args.demo).with_context(|| format!("reading {}", args.demo.display()))?;
    let demo: Value = serde_json::from_str(&raw).context("demo output is not JSON")?;
    let text = |v: &Value, what: &str| v.as_str().map(str::to_owned).with_context(|| format!("demo output: no {what}"));
    let m = &demo["merchant"];
    let admin = Admin::login(
        http,
        args.base_url,
        &text(&demo["admin"]["username"], "admin.username")?,
        &text(&demo["admin"]["password"], "admin.password")?,
    )
    .await?;

    let merchant_no = text(&m["merchant_no"], "merchant.merchant_no")?;
    admin
        .bind(
            "instant",
            "bench instant",
            (json!({}), json!({})),
            &text(&m["merchant_id"], "merchant.merchant_id")?,
            "instant-bench",
            INSTANT_WAYS,
        )
        .await
        .context("instant binding")?;

    let wechat_merchant_no = match args.wechat {
        Some((creds_file, base_url)) => {
            let raw =
                std::fs::read_to_string(creds_file).with_context(|| format!("reading {}", creds_file.display()))?;
            let (config, secrets, sub) = wechat_account(&serde_json::from_str(&raw)?, base_url)?;
            let child_no = text(&m["child_merchant_no"], "merchant.child_merchant_no")?;
            let child_id = admin.merchant_id(&child_no).await?;
            admin
                .bind("wechat", "bench wechat sandbox", (config, secrets), &child_id, &sub, WECHAT_WAYS)
                .await
                .context("wechat binding")?;
            Some(child_no)
        }
        None => None,
    };
    let out = BenchSetup {
        base_url: args.base_url.trim_end_matches('/').to_owned(),
        app_id: text(&m["app_id"], "merchant.app_id")?,
        app_secret: text(&m["app_secret"], "merchant.app_secret")?,
        instant_merchant_no: merchant_no,
        wechat_merchant_no,
    };
    std::fs::write(args.out, serde_json::to_vec_pretty(&out)?)
        .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(out)
}

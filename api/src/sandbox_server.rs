//! `juhe sandbox`: the channel sandboxes on their own, without the platform.

use crate::config::Config;
use crate::sandbox_inbox::Inbox;
use anyhow::{Context, anyhow};
use juhe_adapters::channels::alipay::AlipaySandbox;
use juhe_adapters::channels::unionpay::UnionpaySandbox;
use juhe_adapters::channels::wechat::WechatSandbox;
use poem::listener::TcpListener;
use poem::{Route, Server};
use std::path::PathBuf;
use std::sync::Arc;

pub async fn run(config: &Config, bind: Option<String>, credentials_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = config.data_dir.join("sandbox");
    let wechat = Arc::new(
        WechatSandbox::load_or_create(&dir)
            .map_err(|e| anyhow!("WeChat sandbox: {e}"))?
            .with_clock(Arc::new(juhe_domain::clock::SystemClock)),
    );
    let alipay = Arc::new(
        AlipaySandbox::load_or_create(&dir)
            .map_err(|e| anyhow!("Alipay sandbox: {e}"))?
            .with_clock(Arc::new(juhe_domain::clock::SystemClock)),
    );
    let unionpay = Arc::new(
        UnionpaySandbox::load_or_create(&dir)
            .map_err(|e| anyhow!("UnionPay sandbox: {e}"))?
            .with_clock(Arc::new(juhe_domain::clock::SystemClock)),
    );
    if let Some(out) = credentials_dir {
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        for (name, creds) in
            [("wechat.json", wechat.sdk_credentials_json()), ("alipay.json", alipay.sdk_credentials_json())]
        {
            let path = out.join(name);
            std::fs::write(&path, serde_json::to_vec_pretty(&creds)?)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        println!("SDK credentials written to {}", out.display());
    }
    let bind = bind.unwrap_or_else(|| config.bind.clone());
    let app = Route::new()
        .nest("/sandbox/wechat", wechat.routes())
        .nest("/sandbox/alipay", alipay.routes())
        .nest("/sandbox/unionpay", unionpay.routes())
        .nest("/sandbox/inbox", Arc::new(Inbox::default()).routes());
    tracing::info!(%bind, "channel sandboxes listening at /sandbox/wechat, /sandbox/alipay, /sandbox/unionpay");
    Server::new(TcpListener::bind(bind)).run(app).await?;
    Ok(())
}

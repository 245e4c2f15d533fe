//! Merchant notification delivery over HTTP (reqwest, rustls).

use juhe_domain::payments::delivery::{WebhookReply, WebhookSender};
use std::time::Duration;

/// Posts notifications; anything but an answer within the timeout is a failed attempt.
pub struct HttpWebhookSender {
    client: reqwest::Client,
}

impl HttpWebhookSender {
    /// `timeout`: OPEN_API.md gives merchants 10 s to answer.
    pub fn new(timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("juhe-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client })
    }
}

#[async_trait::async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Result<WebhookReply, String> {
        let mut req = self.client.post(url).body(body.to_vec());
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        Ok(WebhookReply { status, body_excerpt: text.chars().take(512).collect() })
    }
}

/// A short, URL-free description of a transport failure.
fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

//! A merchant-side Open API client: signs requests like a merchant would (OPEN_API.md) and
//! verifies the response signature.

use crate::client::{Reply, read};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

#[derive(Clone)]
pub struct OpenClient {
    base: String,
    pub app_id: String,
    secret: Vec<u8>,
    inner: reqwest::Client,
}

/// Knobs to produce bad requests on purpose.
#[derive(Default, Clone)]
pub struct Tamper {
    pub timestamp: Option<i64>,
    pub nonce: Option<String>,
    pub secret: Option<Vec<u8>>,
    /// Sign this body but send the real one.
    pub signed_body: Option<String>,
    pub app_id: Option<String>,
    pub forwarded_for: Option<String>,
}

pub fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    B64.encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg).as_ref())
}

pub fn new_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl OpenClient {
    pub fn hmac(base: &str, app_id: &str, secret: &str) -> Self {
        Self {
            base: base.to_owned(),
            app_id: app_id.to_owned(),
            secret: secret.as_bytes().to_vec(),
            inner: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, "", &Tamper::default()).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.send("POST", path, body, &Tamper::default()).await
    }

    /// Builds the `Authorization` header for a request.
    pub fn authorization(&self, method: &str, path: &str, body: &str, t: &Tamper) -> String {
        let ts = t.timestamp.unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp()).to_string();
        let nonce = t.nonce.clone().unwrap_or_else(new_nonce);
        let signed_body = t.signed_body.as_deref().unwrap_or(body);
        let message = format!("{method}\n{path}\n{ts}\n{nonce}\n{signed_body}\n");
        let key = t.secret.as_deref().unwrap_or(&self.secret);
        let sig = hmac_b64(key, message.as_bytes());
        let app_id = t.app_id.as_deref().unwrap_or(&self.app_id);
        format!(r#"JUHE-HMAC-SHA256 app_id="{app_id}",timestamp="{ts}",nonce="{nonce}",signature="{sig}""#)
    }

    pub async fn send(&self, method: &str, path: &str, body: &str, t: &Tamper) -> Reply {
        self.send_with_auth(method, path, body, &self.authorization(method, path, body, t), t).await
    }

    pub async fn send_with_auth(&self, method: &str, path: &str, body: &str, auth: &str, t: &Tamper) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.inner.request(m, format!("{}{path}", self.base)).header("authorization", auth);
        if !body.is_empty() {
            req = req.header("content-type", "application/json").body(body.to_owned());
        }
        if let Some(ip) = &t.forwarded_for {
            req = req.header("x-forwarded-for", ip.as_str());
        }
        read(req.send().await.expect("request sent")).await
    }

    /// Checks `Juhe-Signature` over `TIMESTAMP\nNONCE\nBODY\n` with the app secret.
    pub fn response_verifies(&self, reply: &Reply) -> bool {
        let (Some(ts), Some(nonce), Some(sig)) =
            (reply.header("juhe-timestamp"), reply.header("juhe-nonce"), reply.header("juhe-signature"))
        else {
            return false;
        };
        let message = format!("{ts}\n{nonce}\n{}\n", reply.body);
        let Ok(raw) = B64.decode(sig) else { return false };
        hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, &self.secret), message.as_bytes(), &raw).is_ok()
    }
}

//! A small JSON HTTP client for tests.

use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    base: String,
    inner: reqwest::Client,
}

/// A response, read fully: status, headers, raw body and (if JSON) the parsed body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub json: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self { base: base.to_owned(), inner: reqwest::Client::new() }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, token, Some(body.to_string())).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, token, Some(body.to_string())).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(reqwest::Method::PUT, path, token, Some(body.to_string())).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(reqwest::Method::DELETE, path, token, None).await
    }

    /// Sends a raw body (for malformed JSON tests).
    pub async fn raw(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: &str) -> Reply {
        self.send(method, path, token, Some(body.to_owned())).await
    }

    async fn send(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<String>) -> Reply {
        let mut req = self.inner.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("request sent");
        read(resp).await
    }
}

pub async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    Reply { status, headers, body, json }
}

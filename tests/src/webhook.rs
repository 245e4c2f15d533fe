//! A merchant webhook endpoint for tests: records every notification and can be switched off
//! (answers 500) to exercise retries.

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Route, handler, http::StatusCode, post};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// Checks `Juhe-Signature` over `TIMESTAMP\nNONCE\nBODY\n` with the app secret.
    pub fn verifies(&self, secret: &str) -> bool {
        use base64::Engine;
        let msg = format!("{}\n{}\n{}\n", self.timestamp, self.nonce, self.body);
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(&self.signature) else { return false };
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        aws_lc_rs::hmac::verify(&key, msg.as_bytes(), &sig).is_ok()
    }
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    down: AtomicBool,
    /// Answers only after this many milliseconds (a slow merchant endpoint).
    delay_ms: std::sync::atomic::AtomicU64,
    hits: Mutex<u32>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

#[handler]
async fn hook(req: &Request, body: String, Data(inner): Data<&Arc<Inner>>) -> StatusCode {
    *inner.hits.lock().unwrap() += 1;
    let delay = inner.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        // Recorded only once answered: a sender that dies meanwhile delivered nothing.
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    if inner.down.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let h = |n: &str| req.header(n).unwrap_or_default().to_owned();
    inner.received.lock().unwrap().push(Received {
        event_id: h("juhe-event-id"),
        timestamp: h("juhe-timestamp"),
        nonce: h("juhe-nonce"),
        signature: h("juhe-signature"),
        body,
    });
    StatusCode::OK
}

impl Receiver {
    pub async fn spawn() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.expect("bind");
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().expect("addr");
        let inner = Arc::new(Inner::default());
        let app = Route::new().at("/hook", post(hook)).data(inner.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor)
                .run_with_graceful_shutdown(
                    app,
                    async move {
                        let _ = rx.await;
                    },
                    None,
                )
                .await;
        });
        Self { url: format!("http://{addr}/hook"), inner, _stop: Arc::new(tx) }
    }

    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    /// Makes the endpoint answer only after `delay`.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.inner.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Requests that reached the endpoint, successful or not.
    pub fn hits(&self) -> u32 {
        *self.inner.hits.lock().unwrap()
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) for a notification of `event_type` about `resource_no`.
    pub async fn wait_for(&self, event_type: &str, resource_no: &str) -> Received {
        for _ in 0..600 {
            if let Some(r) = self.received().into_iter().find(|r| {
                let j = r.json();
                j["type"] == event_type
                    && (j["data"]["order_no"] == resource_no || j["data"]["refund_no"] == resource_no)
            }) {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no {event_type} notification for {resource_no}; got {:?}", self.received());
    }
}

//! Delivering merchant notifications from the outbox: claim due rows (a lease, so two server
//! processes never send the same attempt), sign with the app's key, POST, record the attempt
//! and schedule the next one on the 16-attempt schedule.

use super::notification::{DeliveryAttempt, DeliveryStatus, Notification, next_attempt_at};
use super::ports::NotificationRepo;
use crate::apps::KeyKind;
use crate::apps::open_auth::response_string_to_sign;
use crate::apps::ports::AppRepo;
use crate::clock::Clock;
use crate::crypto::{FieldCipher, Signer};
use std::sync::Arc;

/// The answer of a merchant's endpoint.
pub struct WebhookReply {
    pub status: u16,
    pub body_excerpt: String,
}

/// Sends one notification over HTTP (the adapter enforces the 10 s timeout).
#[async_trait::async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> Result<WebhookReply, String>;
}

pub struct DeliveryService {
    pub repo: Arc<dyn NotificationRepo>,
    pub apps: Arc<dyn AppRepo>,
    pub cipher: Arc<dyn FieldCipher>,
    pub signer: Arc<dyn Signer>,
    pub sender: Arc<dyn WebhookSender>,
    pub clock: Arc<dyn Clock>,
    /// Unique per process: the lease holder's name.
    pub worker_id: String,
    /// How long a claim lasts (longer than one delivery can take).
    pub lease: time::Duration,
}

impl DeliveryService {
    /// Delivers up to `limit` due notifications; returns how many were attempted.
    pub async fn deliver_due(&self, limit: u64) -> usize {
        let now = self.clock.now();
        let claimed = match self.repo.claim_due(now, now + self.lease, &self.worker_id, limit).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "notification claim failed");
                return 0;
            }
        };
        let count = claimed.len();
        for n in claimed {
            self.deliver(n).await;
        }
        count
    }

    async fn deliver(&self, n: Notification) {
        let started_at = self.clock.now();
        let headers = match self.signed_headers(&n).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(notification = %n.id, error = %e, "cannot sign notification");
                return;
            }
        };
        let clock_start = std::time::Instant::now();
        let result = self.sender.post(&n.url, &headers, n.payload.as_bytes()).await;
        let latency_ms = clock_start.elapsed().as_millis() as i64;
        let (http_status, excerpt, success) = match result {
            Ok(r) => (Some(i32::from(r.status)), r.body_excerpt, (200..300).contains(&r.status)),
            Err(e) => (None, e, false),
        };
        let attempt_no = n.attempts + 1;
        let attempt = DeliveryAttempt {
            notification_id: n.id.clone(),
            attempt_no,
            started_at,
            http_status,
            latency_ms,
            response_excerpt: excerpt.chars().take(512).collect(),
            success,
        };
        let now = self.clock.now();
        let (status, next) = if success {
            (DeliveryStatus::Delivered, None)
        } else {
            match next_attempt_at(attempt_no, now) {
                Some(at) => (DeliveryStatus::Pending, Some(at)),
                None => (DeliveryStatus::Exhausted, None),
            }
        };
        match self.repo.record_attempt(&attempt, &self.worker_id, status, next).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(notification = %n.id, "lease lost before recording the attempt"),
            Err(e) => tracing::error!(notification = %n.id, error = %e, "recording a delivery attempt failed"),
        }
    }

    /// `Juhe-Event-Id`, `Juhe-Timestamp`, `Juhe-Nonce`, `Juhe-Signature` (over
    /// `TIMESTAMP\nNONCE\nBODY\n`, with the app's newest HMAC secret or the platform RSA key).
    async fn signed_headers(&self, n: &Notification) -> Result<Vec<(String, String)>, String> {
        let (_, keys) = self.apps.get_for_auth(&n.app_id).await.map_err(|e| e.to_string())?.ok_or("app not found")?;
        let now = self.clock.now();
        let key = keys
            .into_iter()
            .filter(|k| k.usable_at(now))
            .max_by_key(|k| k.created_at)
            .ok_or("app has no usable key")?;
        let timestamp = now.unix_timestamp().to_string();
        let nonce = self.signer.random_token(16);
        let message = response_string_to_sign(&timestamp, &nonce, n.payload.as_bytes());
        let signature = match key.kind {
            KeyKind::Hmac => {
                let enc = key.secret_enc.as_deref().ok_or("HMAC key without secret")?;
                let secret = self.cipher.decrypt(enc).map_err(|e| e.to_string())?;
                self.signer.hmac_sha256_b64(&secret, &message)
            }
            KeyKind::Rsa => self.signer.platform_rsa_sign_b64(&message),
        };
        Ok(vec![
            ("content-type".into(), "application/json".into()),
            ("Juhe-Event-Id".into(), n.id.clone()),
            ("Juhe-Timestamp".into(), timestamp),
            ("Juhe-Nonce".into(), nonce),
            ("Juhe-Signature".into(), signature),
        ])
    }
}

//! Delivering merchant notifications: one delivery job per notification (its lease makes one
//! worker, in any process, the sender of each attempt) signs with the app's key, POSTs, records
//! the attempt and runs again at the next time of the 16-attempt schedule.

use super::notification::{DeliveryAttempt, DeliveryStatus, Notification, next_attempt_at};
use super::ports::NotificationRepo;
use crate::apps::KeyKind;
use crate::apps::open_auth::response_string_to_sign;
use crate::apps::ports::AppRepo;
use crate::clock::Clock;
use crate::crypto::{FieldCipher, Signer};
use crate::jobs::{Job, JobOutcome};
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
}

impl DeliveryService {
    /// The delivery job (key: the notification id): one attempt, then done or again at the
    /// schedule's next time.
    pub async fn run_delivery(&self, job: &Job) -> JobOutcome {
        let n = match self.repo.get_unscoped(&job.key).await {
            Ok(Some(n)) => n,
            Ok(None) => return JobOutcome::Fatal(format!("notification {} does not exist", job.key)),
            Err(e) => return JobOutcome::Failed(e.to_string()),
        };
        if n.status != DeliveryStatus::Pending {
            return JobOutcome::Done;
        }
        if n.next_attempt_at > self.clock.now() {
            return JobOutcome::Again(n.next_attempt_at);
        }
        match self.deliver(n).await {
            Ok(Some(next)) => JobOutcome::Again(next),
            Ok(None) => JobOutcome::Done,
            Err(e) => JobOutcome::Failed(e),
        }
    }

    /// One attempt; the time of the next one, if the schedule goes on.
    async fn deliver(&self, n: Notification) -> Result<Option<time::OffsetDateTime>, String> {
        let started_at = self.clock.now();
        let headers = self.signed_headers(&n).await.map_err(|e| format!("cannot sign notification: {e}"))?;
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
        self.repo.record_attempt(&attempt, status, next).await.map_err(|e| e.to_string())?;
        Ok(next)
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

//! Notifications from the sandbox to the merchant, as WeChat sends them: a JSON envelope whose
//! `resource` is AEAD_AES_256_GCM-encrypted with the APIv3 key, signed `Wechatpay-*` headers
//! (fresh for every attempt, at the sandbox clock's time), retried until a 2xx on a shortened
//! schedule.

use super::super::protocol::{Notification, Resource};
use super::super::sign::{H_NONCE, H_REQUEST_ID, H_SERIAL, H_SIGNATURE, H_SIGNATURE_TYPE, H_TIMESTAMP, SCHEMA};
use super::super::{aead::ALGORITHM, mapping::format_time, sign::WechatpaySignature};
use super::keys::Identity;
use super::model::Event;
use juhe_domain::clock::Clock;
use juhe_domain::crypto::CryptoError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// WeChat waits 15s/15s/30s/3m/10m/…; the sandbox keeps the rhythm, much shorter.
const DEFAULT_DELAYS_MS: [u64; 6] = [0, 1_000, 1_000, 2_000, 12_000, 40_000];
/// How long one delivery may take before it counts as failed (WeChat: 5 s).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Notifier {
    http: reqwest::Client,
    delays: Mutex<Vec<Duration>>,
}

impl Notifier {
    pub(crate) fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(ATTEMPT_TIMEOUT).build()?;
        Ok(Self { http, delays: Mutex::new(DEFAULT_DELAYS_MS.iter().map(|ms| Duration::from_millis(*ms)).collect()) })
    }

    /// The wait before each attempt; the number of entries is the number of attempts.
    pub(crate) fn set_delays(&self, delays: Vec<Duration>) {
        *self.delays.lock().unwrap_or_else(|p| p.into_inner()) = delays;
    }

    fn delays(&self) -> Vec<Duration> {
        self.delays.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Sends `event` from a background task; failures are logged, never surfaced to the API call.
pub(crate) fn spawn(identity: Arc<Identity>, notifier: Arc<Notifier>, clock: Arc<dyn Clock>, event: Event) {
    tokio::spawn(async move {
        let (url, body) = match envelope(&identity, clock.as_ref(), &event) {
            Ok(built) => built,
            Err(err) => {
                tracing::error!(error = %err, "wechat sandbox: cannot build notification");
                return;
            }
        };
        for (attempt, delay) in notifier.delays().into_iter().enumerate() {
            tokio::time::sleep(delay).await;
            match deliver(&identity, clock.as_ref(), &notifier.http, &url, &body).await {
                Ok(()) => return,
                Err(reason) => {
                    tracing::info!(attempt = attempt + 1, %url, %reason, "wechat sandbox: notification not acknowledged")
                }
            }
        }
        tracing::warn!(%url, "wechat sandbox: notification given up");
    });
}

/// Sends `event` once and tells the merchant's answer (`Err` with the reason when it was not a
/// 2xx): the forged-notification control uses it to show the callback arrived and was refused.
pub(crate) async fn send_once(
    identity: &Identity,
    notifier: &Notifier,
    clock: &dyn Clock,
    event: &Event,
) -> Result<(), String> {
    let (url, body) = envelope(identity, clock, event).map_err(|e| e.to_string())?;
    deliver(identity, clock, &notifier.http, &url, &body).await
}

async fn deliver(
    identity: &Identity,
    clock: &dyn Clock,
    http: &reqwest::Client,
    url: &str,
    body: &[u8],
) -> Result<(), String> {
    let now = clock.now().unix_timestamp();
    let (key, serial) = identity.signer();
    let sig = WechatpaySignature::sign(key, serial, body, now).map_err(|e| e.to_string())?;
    let response = http
        .post(url)
        .header("Content-Type", "application/json")
        .header(H_TIMESTAMP, sig.timestamp)
        .header(H_NONCE, sig.nonce)
        .header(H_SIGNATURE, sig.signature)
        .header(H_SERIAL, sig.serial)
        .header(H_SIGNATURE_TYPE, SCHEMA)
        .header(H_REQUEST_ID, uuid::Uuid::new_v4().to_string())
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    // WeChat takes any 2xx as received (a `{"code":"SUCCESS"}` body is customary, not needed).
    if response.status().is_success() { Ok(()) } else { Err(format!("HTTP {}", response.status())) }
}

/// (notify_url, body) for an event.
fn envelope(identity: &Identity, clock: &dyn Clock, event: &Event) -> Result<(String, Vec<u8>), CryptoError> {
    let (url, event_type, summary, original_type, plain) = match event {
        Event::Paid { notify_url, transaction } => {
            (notify_url, "TRANSACTION.SUCCESS", "支付成功", "transaction", serde_json::to_vec(transaction))
        }
        Event::Refunded { notify_url, notice } => {
            (notify_url, "REFUND.SUCCESS", "退款成功", "refund", serde_json::to_vec(notice))
        }
    };
    let plain = plain.map_err(|e| CryptoError::BadKey(e.to_string()))?;
    let (nonce, ciphertext) = identity.api_v3_key.encrypt(original_type, &plain)?;
    let notification = Notification {
        id: uuid::Uuid::new_v4().to_string(),
        create_time: format_time(clock.now()),
        event_type: event_type.to_owned(),
        resource_type: "encrypt-resource".to_owned(),
        summary: summary.to_owned(),
        resource: Resource {
            algorithm: ALGORITHM.to_owned(),
            ciphertext,
            nonce,
            associated_data: original_type.to_owned(),
            original_type: original_type.to_owned(),
        },
    };
    let body = serde_json::to_vec(&notification).map_err(|e| CryptoError::BadKey(e.to_string()))?;
    Ok((url.clone(), body))
}

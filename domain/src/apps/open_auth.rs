//! The Open API request-signature check and response signing (OPEN_API.md "Signing requests").
//!
//! Order of checks: header shape → timestamp window → app → app/owner status → IP allow list →
//! signature (constant time) → nonce (single use) → per-app rate limit. The nonce is spent only after the signature
//! verified, so a forger cannot burn a merchant's nonces.

use super::ip;
use super::model::{App, AppKey, AppStatus, KeyKind};
use super::ports::AppRepo;
use crate::cache::Cache;
use crate::clock::Clock;
use crate::crypto::{FieldCipher, Signer};
use crate::identity::NodeKind;
use crate::ids::AppId;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::tenancy::ports::NodeDirectory;
use std::sync::Arc;
use std::time::Duration;

pub const HMAC_SCHEME: &str = "JUHE-HMAC-SHA256";
pub const RSA_SCHEME: &str = "JUHE-RSA-SHA256";
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenAuthError {
    #[error("missing or malformed Authorization header: {0}")]
    Malformed(&'static str),
    #[error("timestamp outside the ±300 s window")]
    TimestampExpired,
    #[error("unknown app_id")]
    AppNotFound,
    #[error("app is disabled")]
    AppDisabled,
    #[error("merchant is disabled")]
    MerchantDisabled,
    #[error("agent is disabled")]
    AgentDisabled,
    #[error("client IP is not in the app's allow list")]
    IpNotAllowed,
    #[error("signature does not verify")]
    InvalidSignature,
    #[error("nonce already used")]
    NonceReused,
    #[error("too many requests for this app; slow down")]
    RateLimited,
    #[error("internal: {0}")]
    Internal(String),
}

/// The parts of an incoming request the check needs.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_with_query: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
    pub client_ip: Option<&'a str>,
}

/// A verified Open API caller.
#[derive(Clone, Debug)]
pub struct OpenCaller {
    pub app: App,
    pub key: AppKey,
    /// HMAC apps: the secret that verified, reused to sign the response.
    pub hmac_secret: Option<Secret<Vec<u8>>>,
    /// The app owner's subtree: an agent app reaches its merchants, a merchant app itself.
    pub scope: Scope,
}

/// Headers to put on a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseSignature {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
}

#[derive(Debug, PartialEq, Eq)]
struct AuthHeader<'a> {
    scheme: &'a str,
    app_id: &'a str,
    timestamp: &'a str,
    nonce: &'a str,
    signature: &'a str,
}

pub struct OpenAuthService {
    pub apps: Arc<dyn AppRepo>,
    pub nodes: Arc<dyn NodeDirectory>,
    pub cache: Arc<dyn Cache>,
    pub cipher: Arc<dyn FieldCipher>,
    pub signer: Arc<dyn Signer>,
    pub clock: Arc<dyn Clock>,
    /// Verified requests per app and second (fixed one-second windows in the cache, so the limit
    /// holds across all server replicas).
    pub rate_limit_per_sec: i64,
}

impl OpenAuthService {
    pub async fn verify(&self, req: &SignedRequest<'_>) -> Result<OpenCaller, OpenAuthError> {
        let header = parse_header(req.authorization.ok_or(OpenAuthError::Malformed("no Authorization header"))?)?;
        let ts: i64 =
            header.timestamp.parse().map_err(|_| OpenAuthError::Malformed("timestamp is not Unix seconds"))?;
        let now = self.clock.now();
        if (now.unix_timestamp() - ts).abs() > TIMESTAMP_WINDOW_SECS {
            return Err(OpenAuthError::TimestampExpired);
        }
        let app_id = AppId::parse(header.app_id).ok_or(OpenAuthError::AppNotFound)?;
        let (app, keys) = self
            .apps
            .get_for_auth(&app_id)
            .await
            .map_err(|e| OpenAuthError::Internal(e.to_string()))?
            .ok_or(OpenAuthError::AppNotFound)?;
        if app.status != AppStatus::Active {
            return Err(OpenAuthError::AppDisabled);
        }
        let owner_disabled =
            self.nodes.path_disabled(&app.path).await.map_err(|e| OpenAuthError::Internal(e.to_string()))?;
        if owner_disabled {
            return Err(match app.owner_kind {
                NodeKind::Agent => OpenAuthError::AgentDisabled,
                _ => OpenAuthError::MerchantDisabled,
            });
        }
        if !ip::allowed(&app.ip_allow_list, req.client_ip) {
            return Err(OpenAuthError::IpNotAllowed);
        }
        let message = string_to_sign(req.method, req.path_with_query, header.timestamp, header.nonce, req.body);
        let wanted = match header.scheme {
            HMAC_SCHEME => KeyKind::Hmac,
            _ => KeyKind::Rsa,
        };
        let (key, hmac_secret) =
            self.matching_key(&keys, wanted, &message, header.signature, now).ok_or(OpenAuthError::InvalidSignature)?;
        let nonce_key = format!("nonce:{}:{}", app.id, header.nonce);
        let window = Duration::from_secs(2 * TIMESTAMP_WINDOW_SECS as u64 + 5);
        let fresh = self
            .cache
            .set_if_absent(&nonce_key, b"1", window)
            .await
            .map_err(|e| OpenAuthError::Internal(e.to_string()))?;
        if !fresh {
            return Err(OpenAuthError::NonceReused);
        }
        let window_key = format!("rate:open:{}:{}", app.id, now.unix_timestamp());
        let counted = self
            .cache
            .incr_within(&window_key, 1, self.rate_limit_per_sec, Duration::from_secs(2))
            .await
            .map_err(|e| OpenAuthError::Internal(e.to_string()))?;
        if counted.is_none() {
            return Err(OpenAuthError::RateLimited);
        }
        let scope = Scope::new(app.platform_id.clone(), app.path.clone());
        Ok(OpenCaller { app, key, hmac_secret, scope })
    }

    /// Tries every usable key of the scheme's kind (old and new overlap during rotation). Each
    /// HMAC comparison is constant time; the number of keys is not secret.
    fn matching_key(
        &self,
        keys: &[AppKey],
        kind: KeyKind,
        message: &[u8],
        signature: &str,
        now: time::OffsetDateTime,
    ) -> Option<(AppKey, Option<Secret<Vec<u8>>>)> {
        let mut found = None;
        for key in keys.iter().filter(|k| k.kind == kind && k.usable_at(now)) {
            let ok = match kind {
                KeyKind::Hmac => {
                    let secret = key.secret_enc.as_deref().and_then(|enc| self.cipher.decrypt(enc).ok());
                    match secret {
                        Some(s) if self.signer.verify_hmac_sha256_b64(&s, message, signature) => {
                            found.get_or_insert((key.clone(), Some(Secret::new(s))));
                            true
                        }
                        _ => false,
                    }
                }
                KeyKind::Rsa => key
                    .public_key_pem
                    .as_deref()
                    .is_some_and(|pem| self.signer.verify_rsa_sha256_b64(pem, message, signature)),
            };
            if ok && kind == KeyKind::Rsa {
                found.get_or_insert((key.clone(), None));
            }
        }
        found
    }

    /// Signs a response body for the caller: HMAC with the app's secret, or the platform's RSA key.
    pub fn sign_response(&self, caller: &OpenCaller, body: &[u8]) -> ResponseSignature {
        let timestamp = self.clock.now().unix_timestamp().to_string();
        let nonce = self.signer.random_token(16);
        let message = response_string_to_sign(&timestamp, &nonce, body);
        let signature = match &caller.hmac_secret {
            Some(secret) => self.signer.hmac_sha256_b64(secret.expose(), &message),
            None => self.signer.platform_rsa_sign_b64(&message),
        };
        ResponseSignature { timestamp, nonce, signature }
    }
}

/// `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n`
pub fn string_to_sign(method: &str, path_with_query: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(body.len() + 128);
    for part in [method.as_bytes(), path_with_query.as_bytes(), timestamp.as_bytes(), nonce.as_bytes(), body] {
        s.extend_from_slice(part);
        s.push(b'\n');
    }
    s
}

/// `TIMESTAMP\nNONCE\nBODY\n` (responses and notifications).
pub fn response_string_to_sign(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(body.len() + 64);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        s.extend_from_slice(part);
        s.push(b'\n');
    }
    s
}

fn parse_header(raw: &str) -> Result<AuthHeader<'_>, OpenAuthError> {
    let (scheme, params) = raw.trim().split_once(' ').ok_or(OpenAuthError::Malformed("expected `SCHEME k=\"v\",…`"))?;
    if scheme != HMAC_SCHEME && scheme != RSA_SCHEME {
        return Err(OpenAuthError::Malformed("unknown scheme"));
    }
    let (mut app_id, mut timestamp, mut nonce, mut signature) = (None, None, None, None);
    for pair in params.split(',') {
        let (k, v) = pair.trim().split_once('=').ok_or(OpenAuthError::Malformed("expected k=\"v\" pairs"))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or(OpenAuthError::Malformed("values must be quoted"))?;
        let slot = match k.trim() {
            "app_id" => &mut app_id,
            "timestamp" => &mut timestamp,
            "nonce" => &mut nonce,
            "signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return Err(OpenAuthError::Malformed("repeated parameter"));
        }
    }
    let header = AuthHeader {
        scheme,
        app_id: app_id.ok_or(OpenAuthError::Malformed("app_id missing"))?,
        timestamp: timestamp.ok_or(OpenAuthError::Malformed("timestamp missing"))?,
        nonce: nonce.ok_or(OpenAuthError::Malformed("nonce missing"))?,
        signature: signature.ok_or(OpenAuthError::Malformed("signature missing"))?,
    };
    let nonce_ok = (16..=64).contains(&header.nonce.len())
        && header.nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !nonce_ok {
        return Err(OpenAuthError::Malformed("nonce must be 16-64 characters of [A-Za-z0-9_-]"));
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing() {
        let h = parse_header(
            r#"JUHE-HMAC-SHA256 app_id="app_1",timestamp="1700000000",nonce="abcdefghijklmnop",signature="c2ln""#,
        )
        .unwrap();
        assert_eq!(h.app_id, "app_1");
        assert_eq!(h.signature, "c2ln");
        assert!(parse_header("Bearer x").is_err());
        assert!(parse_header(r#"JUHE-HMAC-SHA256 app_id="a",timestamp="1",nonce="short",signature="s""#).is_err());
        assert!(
            parse_header(
                r#"JUHE-HMAC-SHA256 app_id="a",app_id="b",timestamp="1",nonce="abcdefghijklmnop",signature="s""#
            )
            .is_err()
        );
        assert!(
            parse_header(r#"JUHE-HMAC-SHA256 app_id=a,timestamp="1",nonce="abcdefghijklmnop",signature="s""#).is_err()
        );
    }

    #[test]
    fn strings_to_sign() {
        assert_eq!(string_to_sign("GET", "/open/v1/ping?x=1", "1", "n", b""), b"GET\n/open/v1/ping?x=1\n1\nn\n\n");
        assert_eq!(response_string_to_sign("1", "n", b"{}"), b"1\nn\n{}\n");
    }
}

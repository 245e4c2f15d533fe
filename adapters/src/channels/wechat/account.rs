//! The service provider's credentials, read from a channel account's `config` and `secrets`
//! (key names in the module doc) and kept parsed, so RSA keys are not re-parsed on every call.

use super::aead::ApiV3Key;
use super::certificate::PlatformCertificate;
use super::sign::VerifyError;
use crate::crypto::rsa;
use aws_lc_rs::digest;
use aws_lc_rs::rsa::{KeyPair, PublicKey};
use juhe_domain::channels::{ChannelContext, ChannelError, ChannelResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) const DEFAULT_BASE_URL: &str = "https://api.mch.weixin.qq.com";

/// Parsed accounts kept at most; beyond it the cache starts over (accounts are few).
const CACHE_CAP: usize = 256;

pub(crate) struct Account {
    /// Without a trailing `/`; request paths are appended to it.
    pub base_url: String,
    pub sp_mchid: String,
    pub sp_appid: String,
    pub serial_no: String,
    pub platform: PlatformKeys,
    pub private_key: KeyPair,
    pub api_v3_key: ApiV3Key,
}

impl Account {
    fn parse(ctx: &ChannelContext) -> ChannelResult<Self> {
        let base_url = match ctx.account.config.get("base_url").and_then(|v| v.as_str()) {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
            _ => DEFAULT_BASE_URL.to_owned(),
        };
        let bad = |what: &str, err: juhe_domain::crypto::CryptoError| ChannelError::Config(format!("{what}: {err}"));
        Ok(Self {
            base_url,
            sp_mchid: ctx.config_str("sp_mchid")?.to_owned(),
            sp_appid: ctx.config_str("sp_appid")?.to_owned(),
            serial_no: ctx.config_str("serial_no")?.to_owned(),
            platform: PlatformKeys::parse(ctx)?,
            private_key: rsa::parse_private_pem(ctx.secret_str("private_key_pem")?)
                .map_err(|e| bad("private_key_pem", e))?,
            api_v3_key: ApiV3Key::parse(ctx.secret_str("api_v3_key")?).map_err(|e| bad("api_v3_key", e))?,
        })
    }
}

/// WeChat Pay's keys we trust for answers and notifications: the public key (public-key mode),
/// platform certificates (certificate mode), or both while WeChat migrates a merchant.
pub(crate) struct PlatformKeys {
    /// `platform_public_key_id` (`PUB_KEY_ID_…`) and the key.
    pub public_key: Option<(String, PublicKey)>,
    /// `platform_certificates`; several while WeChat rotates them.
    pub certificates: Vec<PlatformCertificate>,
}

impl PlatformKeys {
    fn parse(ctx: &ChannelContext) -> ChannelResult<Self> {
        let config = &ctx.account.config;
        let public_key = match config.get("platform_public_key_id").and_then(|v| v.as_str()) {
            Some(id) if !id.trim().is_empty() => {
                if !id.starts_with("PUB_KEY_ID_") {
                    return Err(ChannelError::Config("platform_public_key_id must be a PUB_KEY_ID_…".into()));
                }
                let key = rsa::parse_public_pem(ctx.config_str("platform_public_key_pem")?)
                    .map_err(|e| ChannelError::Config(format!("platform_public_key_pem: {e}")))?;
                Some((id.to_owned(), key))
            }
            _ => None,
        };
        let entries = match config.get("platform_certificates") {
            None | Some(serde_json::Value::Null) => &[][..],
            Some(serde_json::Value::Array(entries)) => entries.as_slice(),
            Some(_) => return Err(ChannelError::Config("platform_certificates must be a list".into())),
        };
        let mut certificates = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let field = |name: &str| {
                entry
                    .get(name)
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| ChannelError::Config(format!("platform_certificates[{i}].{name} missing")))
            };
            let serial_no = field("serial_no")?;
            let cert = PlatformCertificate::parse_pem(field("certificate_pem")?)
                .map_err(|e| ChannelError::Config(format!("platform_certificates[{i}]: {e}")))?;
            if !cert.serial.eq_ignore_ascii_case(serial_no.trim()) {
                return Err(ChannelError::Config(format!(
                    "platform_certificates[{i}]: serial_no {serial_no} is not the certificate's ({})",
                    cert.serial
                )));
            }
            certificates.push(cert);
        }
        if public_key.is_none() && certificates.is_empty() {
            return Err(ChannelError::Config(
                "no platform key: set platform_public_key_id and platform_public_key_pem, or platform_certificates"
                    .into(),
            ));
        }
        Ok(Self { public_key, certificates })
    }

    /// The key a `Wechatpay-Serial` names: the public key for its `PUB_KEY_ID_…`, otherwise the
    /// certificate with that serial, refused once past its `notAfter`.
    pub(crate) fn key_for(&self, serial: &str, now: i64) -> Result<&PublicKey, VerifyError> {
        if serial.starts_with("PUB_KEY_ID_") {
            return match &self.public_key {
                Some((id, key)) if id == serial => Ok(key),
                _ => Err(VerifyError::UnknownSerial),
            };
        }
        let cert = self
            .certificates
            .iter()
            .find(|c| c.serial.eq_ignore_ascii_case(serial))
            .ok_or(VerifyError::UnknownSerial)?;
        if cert.expired(now) { Err(VerifyError::Expired) } else { Ok(&cert.key) }
    }

    /// What requests send as `Wechatpay-Serial` (the key we trust, as the official SDKs do):
    /// the public-key id, else the unexpired certificate that lasts longest.
    pub(crate) fn request_serial(&self, now: i64) -> &str {
        if let Some((id, _)) = &self.public_key {
            return id;
        }
        self.certificates
            .iter()
            .filter(|c| !c.expired(now))
            .max_by_key(|c| c.not_after)
            .or(self.certificates.first())
            .map_or("", |c| c.serial.as_str())
    }
}

/// Parsed accounts keyed by a digest of everything they were parsed from: an edited account is
/// a different key, so a rotated secret takes effect on the next call.
#[derive(Default)]
pub(crate) struct AccountCache {
    parsed: Mutex<HashMap<[u8; 32], Arc<Account>>>,
}

impl AccountCache {
    pub(crate) fn get(&self, ctx: &ChannelContext) -> ChannelResult<Arc<Account>> {
        let key = fingerprint(ctx);
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let account = Arc::new(Account::parse(ctx)?);
        let mut parsed = self.lock();
        if parsed.len() >= CACHE_CAP {
            parsed.clear();
        }
        parsed.insert(key, account.clone());
        Ok(account)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Arc<Account>>> {
        // The map holds no invariant a panicking holder could break: keep using it.
        self.parsed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn fingerprint(ctx: &ChannelContext) -> [u8; 32] {
    let mut hash = digest::Context::new(&digest::SHA256);
    hash.update(ctx.account.id.as_bytes());
    hash.update(&[0]);
    hash.update(ctx.account.config.to_string().as_bytes());
    hash.update(&[0]);
    hash.update(ctx.secrets.expose().to_string().as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.finish().as_ref());
    out
}

//! The one configured master key and the sub-keys derived from it.
//!
//! Operators configure (or let juhe create) a single 32-byte key; every purpose gets its own key
//! by HKDF-SHA256 with a distinct label, so the field-encryption key, the blind-index key and the
//! JWT key are independent, and a new purpose never needs new configuration.

use super::key_file;
use aws_lc_rs::hkdf;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::crypto::CryptoError;
use juhe_domain::secret::Secret;
use std::path::Path;

/// HKDF labels; changing one changes the derived key and orphans everything made with it.
pub const FIELD_ENCRYPTION_LABEL: &str = "juhe/field-encryption/aes-256-gcm/v1";
pub const BLIND_INDEX_LABEL: &str = "juhe/blind-index/hmac-sha256/v1";
pub const JWT_LABEL: &str = "juhe/access-token/hs256/v1";

/// Fixed HKDF salt (domain separation; the master key itself is already uniformly random).
const HKDF_SALT: &[u8] = b"juhe master key derivation";

pub const MASTER_KEY_LEN: usize = 32;

#[derive(Clone)]
pub struct MasterKey(Secret<[u8; MASTER_KEY_LEN]>);

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut key = [0u8; MASTER_KEY_LEN];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| CryptoError::BadKey("random generator failed".into()))?;
        Ok(Self(Secret::new(key)))
    }

    /// Parses standard Base64 of exactly 32 bytes (surrounding whitespace ignored).
    pub fn from_base64(encoded: &str) -> Result<Self, CryptoError> {
        // The message never echoes the input: it is the key.
        let invalid = || CryptoError::BadKey("master key must be 32 bytes in standard Base64".into());
        let bytes = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
        let key: [u8; MASTER_KEY_LEN] = bytes.as_slice().try_into().map_err(|_| invalid())?;
        Ok(Self(Secret::new(key)))
    }

    /// The key in the form `from_base64` reads (for `juhe` CLI output and key files).
    pub fn to_base64(&self) -> Secret<String> {
        Secret::new(STANDARD.encode(self.0.expose()))
    }

    /// Loads the key file (Base64 text), creating it with a random key and mode 0600 (parent
    /// directories included) when it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let content = key_file::read_or_create(path, || {
            let key = Self::generate()?;
            Ok(Secret::new(format!("{}\n", key.to_base64().expose()).into_bytes()))
        })?;
        let text = std::str::from_utf8(content.expose())
            .map_err(|_| CryptoError::BadKey(format!("master key file {} is not text", path.display())))?;
        Self::from_base64(text).map_err(|_| {
            CryptoError::BadKey(format!("master key file {} does not hold a 32-byte Base64 key", path.display()))
        })
    }

    /// The 32-byte sub-key for `label` (HKDF-SHA256; info = label).
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(self.0.expose());
        let info = [label.as_bytes()];
        let mut out = [0u8; 32];
        // 32 bytes is one SHA-256 block, far below HKDF's 255-block limit, and `out` has exactly
        // the requested length: neither call can fail.
        prk.expand(&info, hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(&mut out))
            .expect("HKDF-SHA256 expansion to 32 bytes cannot fail");
        out
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

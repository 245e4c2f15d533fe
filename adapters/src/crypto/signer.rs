//! The Open API's message authentication: HMAC-SHA256 for HMAC apps, SHA256withRSA for RSA apps
//! (merchants' public keys, the platform's own key pair for signing responses), plus randomness
//! and SHA-256. All on aws-lc-rs.

use super::{key_file, rsa};
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::{digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use juhe_domain::crypto::{CryptoError, Signer};
use juhe_domain::secret::Secret;
use std::path::Path;

/// Size of the platform key generated on first start.
const PLATFORM_KEY_BITS: usize = 2048;

pub struct AwsSigner {
    platform_key: KeyPair,
    platform_public_pem: String,
}

impl AwsSigner {
    /// Uses the platform RSA key pair from a PKCS#8 `PRIVATE KEY` PEM (2048–4096 bits).
    pub fn new(platform_key_pem: &str) -> Result<Self, CryptoError> {
        let platform_key = rsa::parse_private_pem(platform_key_pem)?;
        let platform_public_pem = rsa::public_spki_pem(&platform_key)?;
        Ok(Self { platform_key, platform_public_pem })
    }

    /// Loads the platform key PEM from `path`, generating a 2048-bit key there (mode 0600) on
    /// first use.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let content = key_file::read_or_create(path, || {
            let key = rsa::generate(PLATFORM_KEY_BITS)?;
            Ok(Secret::new(rsa::private_pkcs8_pem(&key)?.into_inner().into_bytes()))
        })?;
        let text = std::str::from_utf8(content.expose())
            .map_err(|_| CryptoError::BadKey(format!("platform key file {} is not text", path.display())))?;
        Self::new(text).map_err(|err| match err {
            CryptoError::BadKey(reason) => {
                CryptoError::BadKey(format!("platform key file {}: {reason}", path.display()))
            }
            other => other,
        })
    }
}

impl Signer for AwsSigner {
    fn hmac_sha256_b64(&self, key: &[u8], message: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        STANDARD.encode(hmac::sign(&key, message))
    }

    fn verify_hmac_sha256_b64(&self, key: &[u8], message: &[u8], signature_b64: &str) -> bool {
        let Ok(signature) = STANDARD.decode(signature_b64.trim()) else {
            return false;
        };
        // aws-lc-rs compares the tags in constant time.
        hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), message, &signature).is_ok()
    }

    fn verify_rsa_sha256_b64(&self, public_key_pem: &str, message: &[u8], signature_b64: &str) -> bool {
        match rsa::parse_public_pem(public_key_pem) {
            Ok(key) => rsa::verify_b64(&key, message, signature_b64),
            Err(_) => false,
        }
    }

    fn platform_rsa_sign_b64(&self, message: &[u8]) -> String {
        // The key was parsed and size-checked at start-up and the output buffer has the modulus
        // length: signing cannot fail short of a broken crypto library.
        let signature = rsa::sign(&self.platform_key, message).expect("RSA signing with the platform key failed");
        STANDARD.encode(signature)
    }

    fn platform_rsa_public_pem(&self) -> String {
        self.platform_public_pem.clone()
    }

    fn check_rsa_public_pem(&self, public_key_pem: &str) -> Result<(), CryptoError> {
        rsa::parse_public_pem(public_key_pem).map(|_| ())
    }

    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; n];
        // aws-lc's RAND_bytes aborts the process rather than return weak bytes, so this never
        // fails; if it ever did, continuing with zeroes would be far worse than stopping.
        aws_lc_rs::rand::fill(&mut bytes).expect("the OS random generator failed");
        bytes
    }

    fn random_token(&self, n: usize) -> String {
        URL_SAFE_NO_PAD.encode(self.random_bytes(n))
    }

    fn sha256_hex(&self, data: &[u8]) -> String {
        hex::encode(digest::digest(&digest::SHA256, data))
    }
}

impl std::fmt::Debug for AwsSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSigner").field("platform_key", &"***").finish()
    }
}

//! Crypto ports. Implementations live in `adapters/crypto` on one well-kept library.

use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("ciphertext is malformed or was tampered with")]
    Tampered,
    #[error("key material is invalid: {0}")]
    BadKey(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Encrypts personal data and secrets at rest (AES-256-GCM) and builds blind indexes
/// (keyed hashes) so that encrypted values can still be looked up for uniqueness.
pub trait FieldCipher: Send + Sync {
    fn encrypt(&self, plaintext: &[u8]) -> String;
    fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, CryptoError>;
    /// Deterministic keyed hash of a normalised value, hex.
    fn blind_index(&self, value: &str) -> String;

    fn encrypt_str(&self, plaintext: &str) -> String {
        self.encrypt(plaintext.as_bytes())
    }

    fn decrypt_str(&self, ciphertext: &str) -> Result<Secret<String>, CryptoError> {
        let bytes = self.decrypt(ciphertext)?;
        String::from_utf8(bytes).map(Secret::new).map_err(|_| CryptoError::Tampered)
    }
}

/// Password hashing (argon2id). Implementations run the work off the async executor.
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: Secret<String>) -> Result<String, CryptoError>;
    /// Verifies against a stored hash; with `None` it verifies against a dummy hash so that an
    /// unknown user costs the same time as a wrong password, and returns false.
    async fn verify(&self, password: Secret<String>, hash: Option<String>) -> bool;
}

/// Message authentication and signatures for the Open API.
pub trait Signer: Send + Sync {
    /// Base64 HMAC-SHA256.
    fn hmac_sha256_b64(&self, key: &[u8], message: &[u8]) -> String;
    /// Constant-time check of a Base64 HMAC-SHA256.
    fn verify_hmac_sha256_b64(&self, key: &[u8], message: &[u8], signature_b64: &str) -> bool;
    /// Checks a Base64 SHA256withRSA (PKCS#1 v1.5) signature with a PEM public key.
    fn verify_rsa_sha256_b64(&self, public_key_pem: &str, message: &[u8], signature_b64: &str) -> bool;
    /// Signs with the platform's RSA private key (for RSA apps' responses), Base64.
    fn platform_rsa_sign_b64(&self, message: &[u8]) -> String;
    /// The platform's RSA public key (PEM), published to RSA apps.
    fn platform_rsa_public_pem(&self) -> String;
    /// Whether a PEM public key is a usable RSA key (2048–4096 bits).
    fn check_rsa_public_pem(&self, public_key_pem: &str) -> Result<(), CryptoError>;
    /// Random bytes from the OS generator.
    fn random_bytes(&self, n: usize) -> Vec<u8>;
    /// `n` random bytes as URL-safe Base64 without padding (tokens, secrets, nonces).
    fn random_token(&self, n: usize) -> String;
    /// SHA-256, hex.
    fn sha256_hex(&self, data: &[u8]) -> String;
}

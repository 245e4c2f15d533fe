//! `AEAD_AES_256_GCM` as WeChat Pay uses it for notification resources and bill/certificate
//! payloads: the 32-byte APIv3 key, a 12-character nonce string used as the 96-bit IV, the
//! `associated_data` string as AAD, and Base64(ciphertext ‖ 16-byte tag).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::crypto::CryptoError;
use juhe_domain::secret::Secret;

pub(crate) const ALGORITHM: &str = "AEAD_AES_256_GCM";
pub(crate) const KEY_LEN: usize = 32;

/// The APIv3 key: exactly 32 bytes (WeChat issues 32 ASCII characters).
#[derive(Clone)]
pub(crate) struct ApiV3Key(Secret<[u8; KEY_LEN]>);

impl ApiV3Key {
    pub(crate) fn parse(raw: &str) -> Result<Self, CryptoError> {
        let bytes: [u8; KEY_LEN] =
            raw.as_bytes().try_into().map_err(|_| CryptoError::BadKey("api_v3_key must be 32 bytes".into()))?;
        Ok(Self(Secret::new(bytes)))
    }

    fn key(&self) -> Result<LessSafeKey, CryptoError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, self.0.expose()).map_err(|_| CryptoError::BadKey("AES key".into()))?;
        Ok(LessSafeKey::new(unbound))
    }

    /// Opens a resource; any malformed part is `Tampered`.
    pub(crate) fn decrypt(
        &self,
        nonce: &str,
        associated_data: &str,
        ciphertext_b64: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce = Nonce::try_assume_unique_for_key(nonce.as_bytes()).map_err(|_| CryptoError::Tampered)?;
        let mut sealed = STANDARD.decode(ciphertext_b64.trim()).map_err(|_| CryptoError::Tampered)?;
        let plain = self
            .key()?
            .open_in_place(nonce, Aad::from(associated_data.as_bytes()), &mut sealed)
            .map_err(|_| CryptoError::Tampered)?;
        Ok(plain.to_vec())
    }

    /// Seals `plaintext` under a fresh random nonce; returns (nonce, Base64 ciphertext ‖ tag).
    /// The nonce is 12 characters `[0-9A-Za-z]`, as WeChat sends.
    pub(crate) fn encrypt(&self, associated_data: &str, plaintext: &[u8]) -> Result<(String, String), CryptoError> {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let nonce_text = super::sign::random_from(ALPHABET, NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce_text.as_bytes()).map_err(|_| CryptoError::Tampered)?;
        let mut sealed = plaintext.to_vec();
        self.key()?
            .seal_in_place_append_tag(nonce, Aad::from(associated_data.as_bytes()), &mut sealed)
            .map_err(|_| CryptoError::BadKey("AES-GCM sealing failed".into()))?;
        Ok((nonce_text, STANDARD.encode(sealed)))
    }
}

impl std::fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiV3Key(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_detects_tampering() {
        let key = ApiV3Key::parse("0123456789abcdef0123456789ABCDEF").expect("key");
        let (nonce, sealed) = key.encrypt("transaction", b"{\"a\":1}").expect("seal");
        assert_eq!(nonce.len(), 12);
        assert_eq!(key.decrypt(&nonce, "transaction", &sealed).expect("open"), b"{\"a\":1}");
        assert!(key.decrypt(&nonce, "refund", &sealed).is_err());
        assert!(key.decrypt("short", "transaction", &sealed).is_err());
        let other = ApiV3Key::parse("ffffffffffffffffffffffffffffffff").expect("key");
        assert!(other.decrypt(&nonce, "transaction", &sealed).is_err());
        assert!(ApiV3Key::parse("too short").is_err());
    }
}

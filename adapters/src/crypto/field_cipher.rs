//! Encryption of personal data at rest (ID numbers, bank accounts, phone numbers, channel
//! secrets) and blind indexes to look them up.
//!
//! Format: `v1:` + Base64(nonce ‖ ciphertext ‖ tag), AES-256-GCM with a fresh random 96-bit
//! nonce per value (random nonces are safe far beyond any realistic number of stored values per
//! key). The version prefix leaves room for key rotation.

use super::master_key::{BLIND_INDEX_LABEL, FIELD_ENCRYPTION_LABEL, MasterKey};
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::crypto::{CryptoError, FieldCipher};

const PREFIX: &str = "v1:";
/// Bound into every tag, so a value cannot be replayed under another format version.
const AAD: &[u8] = b"juhe field v1";
const TAG_LEN: usize = 16;

pub struct AesFieldCipher {
    key: RandomizedNonceKey,
    index_key: hmac::Key,
}

impl AesFieldCipher {
    pub fn new(master: &MasterKey) -> Self {
        let key = RandomizedNonceKey::new(&AES_256_GCM, &master.derive(FIELD_ENCRYPTION_LABEL))
            .expect("a 32-byte key is always a valid AES-256 key");
        let index_key = hmac::Key::new(hmac::HMAC_SHA256, &master.derive(BLIND_INDEX_LABEL));
        Self { key, index_key }
    }
}

impl FieldCipher for AesFieldCipher {
    fn encrypt(&self, plaintext: &[u8]) -> String {
        let mut sealed = plaintext.to_vec();
        // AES-GCM only refuses inputs over 64 GiB; a database field never comes near that.
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(AAD), &mut sealed)
            .expect("AES-256-GCM sealing of a field value cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, CryptoError> {
        let encoded = ciphertext.strip_prefix(PREFIX).ok_or(CryptoError::Tampered)?;
        let mut bytes = STANDARD.decode(encoded).map_err(|_| CryptoError::Tampered)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Tampered);
        }
        let (nonce, sealed) = bytes.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Tampered)?;
        let plaintext = self.key.open_in_place(nonce, Aad::from(AAD), sealed).map_err(|_| CryptoError::Tampered)?;
        Ok(plaintext.to_vec())
    }

    fn blind_index(&self, value: &str) -> String {
        hex::encode(hmac::sign(&self.index_key, value.as_bytes()))
    }
}

impl std::fmt::Debug for AesFieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesFieldCipher(***)")
    }
}

//! Crypto adapters, all on aws-lc-rs except argon2 (passwords) and jsonwebtoken (access tokens,
//! itself on aws-lc-rs):
//! - [`MasterKey`]: the one configured key; sub-keys are derived per purpose (HKDF-SHA256);
//! - [`AesFieldCipher`]: AES-256-GCM field encryption and HMAC blind indexes;
//! - [`Argon2Hasher`]: argon2id passwords;
//! - [`AwsSigner`]: HMAC-SHA256 and SHA256withRSA for the Open API, randomness, SHA-256;
//! - [`JwtAccessTokens`]: HS256 admin access tokens.

mod field_cipher;
mod jwt;
pub(crate) mod key_file;
mod master_key;
mod password;
pub(crate) mod rsa;
mod signer;

pub use field_cipher::AesFieldCipher;
pub use jwt::JwtAccessTokens;
pub use master_key::{BLIND_INDEX_LABEL, FIELD_ENCRYPTION_LABEL, JWT_LABEL, MASTER_KEY_LEN, MasterKey};
pub use password::Argon2Hasher;
pub use rsa::{generate_rsa_pkcs8_pem, rsa_sign_pkcs8_pem_b64};
pub use signer::AwsSigner;

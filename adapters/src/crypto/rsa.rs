//! SHA256withRSA (PKCS#1 v1.5) on aws-lc-rs: merchants' public keys in either PEM form, the
//! platform's key pair, and helpers that let tests (and client SDKs) act as an RSA merchant.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKey};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::crypto::CryptoError;
use juhe_domain::secret::Secret;

/// Keys below 2048 bits are breakable; above 4096 they only cost CPU per request.
const MIN_BITS: usize = 2048;
const MAX_BITS: usize = 4096;

const SPKI_TAG: &str = "PUBLIC KEY";
const PKCS1_PUBLIC_TAG: &str = "RSA PUBLIC KEY";
const PKCS8_TAG: &str = "PRIVATE KEY";
const PKCS1_PRIVATE_TAG: &str = "RSA PRIVATE KEY";

fn bad_key(reason: &str) -> CryptoError {
    CryptoError::BadKey(reason.to_owned())
}

/// Parses a `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1) PEM and checks its size.
pub(crate) fn parse_public_pem(pem_text: &str) -> Result<PublicKey, CryptoError> {
    let block = pem::parse(pem_text.trim()).map_err(|_| bad_key("not a PEM block"))?;
    if block.tag() != SPKI_TAG && block.tag() != PKCS1_PUBLIC_TAG {
        return Err(bad_key("expected a PUBLIC KEY or RSA PUBLIC KEY PEM block"));
    }
    parse_public_der(block.contents())
}

/// Parses an RSA public key in DER, SPKI or PKCS#1 (aws-lc-rs reads both encodings, RFC 5280
/// and RFC 8017), and checks its size.
pub(crate) fn parse_public_der(der: &[u8]) -> Result<PublicKey, CryptoError> {
    let key = PublicKey::from_der(der).map_err(|_| bad_key("not an RSA public key"))?;
    check_bits(modulus_bits(key.modulus().big_endian_without_leading_zero()))?;
    Ok(key)
}

/// Checks a Base64 SHA256withRSA signature; any malformed input is simply "not valid".
pub(crate) fn verify_b64(key: &PublicKey, message: &[u8], signature_b64: &str) -> bool {
    let Ok(signature) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    // `key.as_ref()` is the PKCS#1 RSAPublicKey DER this verifier expects.
    UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key.as_ref()).verify(message, &signature).is_ok()
}

/// Parses a `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1) PEM and checks its size.
pub(crate) fn parse_private_pem(pem_text: &str) -> Result<KeyPair, CryptoError> {
    let block = pem::parse(pem_text.trim()).map_err(|_| bad_key("not a PEM block"))?;
    let key = match block.tag() {
        PKCS8_TAG => KeyPair::from_pkcs8(block.contents()),
        PKCS1_PRIVATE_TAG => KeyPair::from_der(block.contents()),
        _ => {
            return Err(bad_key("expected a PRIVATE KEY or RSA PRIVATE KEY PEM block"));
        }
    }
    .map_err(|_| bad_key("not a valid RSA private key"))?;
    check_bits(key.public_modulus_len() * 8)?;
    Ok(key)
}

/// SHA256withRSA (PKCS#1 v1.5) signature bytes.
pub(crate) fn sign(key: &KeyPair, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
        .map_err(|_| CryptoError::BadKey("RSA signing failed".into()))?;
    Ok(signature)
}

/// The key pair's public key as an SPKI `PUBLIC KEY` PEM.
pub(crate) fn public_spki_pem(key: &KeyPair) -> Result<String, CryptoError> {
    let der: PublicKeyX509Der<'static> =
        key.public_key().as_der().map_err(|_| bad_key("cannot encode the RSA public key"))?;
    Ok(encode_pem(SPKI_TAG, der.as_ref()))
}

/// The key pair as a PKCS#8 `PRIVATE KEY` PEM.
pub(crate) fn private_pkcs8_pem(key: &KeyPair) -> Result<Secret<String>, CryptoError> {
    let der: Pkcs8V1Der<'static> = key.as_der().map_err(|_| bad_key("cannot encode the RSA private key"))?;
    Ok(Secret::new(encode_pem(PKCS8_TAG, der.as_ref())))
}

pub(crate) fn generate(bits: usize) -> Result<KeyPair, CryptoError> {
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        _ => return Err(bad_key("RSA key size must be 2048, 3072 or 4096 bits")),
    };
    KeyPair::generate(size).map_err(|_| bad_key("RSA key generation failed"))
}

fn encode_pem(tag: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

fn modulus_bits(modulus: &[u8]) -> usize {
    match modulus.first() {
        Some(first) => modulus.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

fn check_bits(bits: usize) -> Result<(), CryptoError> {
    if (MIN_BITS..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(CryptoError::BadKey(format!("RSA key has {bits} bits; {MIN_BITS}–{MAX_BITS} are accepted")))
    }
}

/// Signs `message` with SHA256withRSA using a PKCS#8 (or PKCS#1) private-key PEM and returns the
/// signature in standard Base64: what an RSA merchant does to call the Open API.
pub fn rsa_sign_pkcs8_pem_b64(private_pem: &str, message: &[u8]) -> Result<String, CryptoError> {
    let key = parse_private_pem(private_pem)?;
    Ok(STANDARD.encode(sign(&key, message)?))
}

/// A new RSA key pair of `bits` (2048, 3072 or 4096): (PKCS#8 private PEM, SPKI public PEM).
pub fn generate_rsa_pkcs8_pem(bits: usize) -> Result<(Secret<String>, String), CryptoError> {
    let key = generate(bits)?;
    Ok((private_pkcs8_pem(&key)?, public_spki_pem(&key)?))
}

#[cfg(test)]
mod tests {
    use super::modulus_bits;

    #[test]
    fn counts_modulus_bits_exactly() {
        assert_eq!(modulus_bits(&[0x80, 0, 0]), 24);
        assert_eq!(modulus_bits(&[0x01, 0]), 9);
        assert_eq!(modulus_bits(&[]), 0);
    }
}

//! WeChat Pay v3 message authentication, used by both sides (the adapter and the sandbox):
//! the `Authorization` header of requests, the `Wechatpay-*` signature of responses and
//! notifications, and the payer-side signatures (JSAPI `paySign`, app `sign`).
//! SHA256withRSA (PKCS#1 v1.5) on aws-lc-rs through `crate::crypto::rsa`.

use super::account::PlatformKeys;
use crate::crypto::rsa;
use aws_lc_rs::rsa::{KeyPair, PublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use juhe_domain::crypto::CryptoError;

/// The only signature scheme of API v3.
pub(crate) const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";
/// A signed message older or newer than this is refused (replay window).
pub(crate) const MAX_SKEW_SECS: i64 = 300;

pub(crate) const H_TIMESTAMP: &str = "Wechatpay-Timestamp";
pub(crate) const H_NONCE: &str = "Wechatpay-Nonce";
pub(crate) const H_SIGNATURE: &str = "Wechatpay-Signature";
pub(crate) const H_SERIAL: &str = "Wechatpay-Serial";
pub(crate) const H_SIGNATURE_TYPE: &str = "Wechatpay-Signature-Type";
pub(crate) const H_REQUEST_ID: &str = "Request-ID";

/// 32 random characters `[0-9A-Z]`, as WeChat's own SDKs send.
pub(crate) fn nonce() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    random_from(ALPHABET, 32)
}

/// `n` random characters from `alphabet` (rejection sampling keeps them uniform).
pub(crate) fn random_from(alphabet: &[u8], n: usize) -> String {
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut buf = [0u8; 64];
        // aws-lc aborts rather than hand out weak randomness; an error here cannot happen.
        if aws_lc_rs::rand::fill(&mut buf).is_err() {
            continue;
        }
        for b in buf {
            if (b as usize) < limit && out.len() < n {
                out.push(char::from(alphabet[b as usize % alphabet.len()]));
            }
        }
    }
    out
}

/// Base64 SHA256withRSA of `message`.
pub(crate) fn sign_b64(key: &KeyPair, message: &[u8]) -> Result<String, CryptoError> {
    Ok(STANDARD.encode(rsa::sign(key, message)?))
}

/// `line1\nline2\n…\n`: every signed string of API v3 is lines each ending in `\n`.
pub(crate) fn lines(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        out.extend_from_slice(part);
        out.push(b'\n');
    }
    out
}

/// The fields of an `Authorization: WECHATPAY2-SHA256-RSA2048 k="v",…` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub mchid: String,
    pub nonce_str: String,
    pub timestamp: String,
    pub serial_no: String,
    pub signature: String,
}

impl Authorization {
    /// Signs `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n` with the merchant API key.
    pub(crate) fn sign(
        key: &KeyPair,
        mchid: &str,
        serial_no: &str,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp: i64,
    ) -> Result<Self, CryptoError> {
        let nonce_str = nonce();
        let timestamp = timestamp.to_string();
        let message =
            lines(&[method.as_bytes(), path_and_query.as_bytes(), timestamp.as_bytes(), nonce_str.as_bytes(), body]);
        let signature = sign_b64(key, &message)?;
        Ok(Self { mchid: mchid.to_owned(), nonce_str, timestamp, serial_no: serial_no.to_owned(), signature })
    }

    pub(crate) fn header_value(&self) -> String {
        format!(
            "{SCHEMA} mchid=\"{}\",nonce_str=\"{}\",timestamp=\"{}\",serial_no=\"{}\",signature=\"{}\"",
            self.mchid, self.nonce_str, self.timestamp, self.serial_no, self.signature
        )
    }

    /// Parses the header; the order of the fields is free, all five are required.
    pub(crate) fn parse(header: &str) -> Option<Self> {
        let params = header.strip_prefix(SCHEMA)?.strip_prefix(' ')?;
        let mut auth = Self::default();
        for pair in params.split(',') {
            let (key, value) = pair.trim().split_once('=')?;
            let value = value.strip_prefix('"')?.strip_suffix('"')?.to_owned();
            match key {
                "mchid" => auth.mchid = value,
                "nonce_str" => auth.nonce_str = value,
                "timestamp" => auth.timestamp = value,
                "serial_no" => auth.serial_no = value,
                "signature" => auth.signature = value,
                _ => {}
            }
        }
        let complete = [&auth.mchid, &auth.nonce_str, &auth.timestamp, &auth.serial_no, &auth.signature]
            .iter()
            .all(|v| !v.is_empty());
        complete.then_some(auth)
    }

    /// Checks the signature over the request as received and the timestamp window.
    pub(crate) fn verify(
        &self,
        key: &PublicKey,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        check_timestamp(&self.timestamp, now)?;
        let message = lines(&[
            method.as_bytes(),
            path_and_query.as_bytes(),
            self.timestamp.as_bytes(),
            self.nonce_str.as_bytes(),
            body,
        ]);
        if rsa::verify_b64(key, &message, &self.signature) { Ok(()) } else { Err(VerifyError::BadSignature) }
    }
}

/// Why a signed message was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum VerifyError {
    #[error("signature headers missing")]
    Missing,
    #[error("signed by an unknown key (serial mismatch)")]
    UnknownSerial,
    #[error("signed with an expired platform certificate")]
    Expired,
    #[error("timestamp outside the ±300 s window")]
    Stale,
    #[error("signature does not verify")]
    BadSignature,
    #[error("unsupported signature type")]
    BadType,
}

/// The `Wechatpay-*` headers of a response or notification.
#[derive(Clone, Debug)]
pub(crate) struct WechatpaySignature {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl WechatpaySignature {
    /// Signs `TIMESTAMP\nNONCE\nBODY\n` with the platform key (the sandbox's side).
    pub(crate) fn sign(key: &KeyPair, serial: &str, body: &[u8], timestamp: i64) -> Result<Self, CryptoError> {
        let nonce = nonce();
        let timestamp = timestamp.to_string();
        let signature = sign_b64(key, &lines(&[timestamp.as_bytes(), nonce.as_bytes(), body]))?;
        Ok(Self { timestamp, nonce, signature, serial: serial.to_owned() })
    }

    /// Reads the headers through `get` (case-insensitive lookup is the caller's); the signature
    /// type, when present, must be ours.
    pub(crate) fn from_headers<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, VerifyError> {
        if let Some(kind) = get(H_SIGNATURE_TYPE)
            && kind != SCHEMA
        {
            return Err(VerifyError::BadType);
        }
        let field = |name: &str| get(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Ok(Self {
            timestamp: field(H_TIMESTAMP).ok_or(VerifyError::Missing)?,
            nonce: field(H_NONCE).ok_or(VerifyError::Missing)?,
            signature: field(H_SIGNATURE).ok_or(VerifyError::Missing)?,
            serial: field(H_SERIAL).ok_or(VerifyError::Missing)?,
        })
    }

    /// Checks the serial (a public-key id or a certificate serial we trust, see
    /// [`PlatformKeys::key_for`]), the window and the signature over the raw body.
    pub(crate) fn verify(&self, keys: &PlatformKeys, body: &[u8], now: i64) -> Result<(), VerifyError> {
        let key = keys.key_for(&self.serial, now)?;
        check_timestamp(&self.timestamp, now)?;
        let message = lines(&[self.timestamp.as_bytes(), self.nonce.as_bytes(), body]);
        if rsa::verify_b64(key, &message, &self.signature) { Ok(()) } else { Err(VerifyError::BadSignature) }
    }
}

fn check_timestamp(raw: &str, now: i64) -> Result<(), VerifyError> {
    let ts: i64 = raw.trim().parse().map_err(|_| VerifyError::Stale)?;
    if now.abs_diff(ts) >= MAX_SKEW_SECS as u64 { Err(VerifyError::Stale) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_round_trips_in_any_order() {
        let header = "WECHATPAY2-SHA256-RSA2048 signature=\"c2ln\",mchid=\"1900\",serial_no=\"AB\",timestamp=\"1700000000\",nonce_str=\"N1\"";
        let auth = Authorization::parse(header).expect("parses");
        assert_eq!(auth.mchid, "1900");
        assert_eq!(auth.signature, "c2ln");
        assert_eq!(Authorization::parse(&auth.header_value()), Some(auth));
        assert!(Authorization::parse("WECHATPAY2-SHA256-RSA2048 mchid=\"1\"").is_none());
        assert!(Authorization::parse("Bearer x").is_none());
    }

    #[test]
    fn timestamp_window_is_strict() {
        assert!(check_timestamp("1000", 1299).is_ok());
        assert_eq!(check_timestamp("1000", 1300), Err(VerifyError::Stale));
        assert_eq!(check_timestamp("1300", 1000), Err(VerifyError::Stale));
        assert_eq!(check_timestamp("soon", 1000), Err(VerifyError::Stale));
    }

    #[test]
    fn nonces_are_32_uppercase_alphanumerics() {
        let n = nonce();
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        assert_ne!(n, nonce());
    }
}

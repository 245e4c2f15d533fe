//! WeChat Pay platform certificates (certificate mode): an X.509 certificate is read once into
//! its serial (upper-case hex, as `Wechatpay-Serial` carries it), its RSA public key and its
//! validity end. Signing chains are not checked: the certificates are configured by the operator
//! (downloaded through `/v3/certificates`, itself verified), exactly as the official SDKs trust them.

use crate::crypto::rsa;
use aws_lc_rs::rsa::PublicKey;
use juhe_domain::crypto::CryptoError;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

pub(crate) struct PlatformCertificate {
    /// Upper-case hex of the serial number, without leading zero bytes.
    pub serial: String,
    pub key: PublicKey,
    /// `notAfter`, Unix seconds.
    pub not_after: i64,
}

impl PlatformCertificate {
    pub(crate) fn parse_pem(pem: &str) -> Result<Self, CryptoError> {
        let bad = |what: &str| CryptoError::BadKey(format!("platform certificate: {what}"));
        let cert = Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| bad(&format!("not an X.509 PEM ({e})")))?;
        let tbs = &cert.tbs_certificate;
        let serial_bytes = tbs.serial_number.as_bytes();
        let first = serial_bytes.iter().position(|b| *b != 0).unwrap_or(serial_bytes.len().saturating_sub(1));
        let spki = tbs.subject_public_key_info.to_der().map_err(|e| bad(&format!("public key ({e})")))?;
        let not_after = i64::try_from(tbs.validity.not_after.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        Ok(Self {
            serial: hex::encode_upper(&serial_bytes[first..]),
            key: rsa::parse_public_der(&spki).map_err(|e| bad(&e.to_string()))?,
            not_after,
        })
    }

    /// Whether the certificate has run out at `now` (Unix seconds).
    pub(crate) fn expired(&self, now: i64) -> bool {
        now > self.not_after
    }
}

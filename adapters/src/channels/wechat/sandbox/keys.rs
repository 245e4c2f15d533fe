//! The sandbox's identities, kept in `wechat.json` (mode 0600) so that accounts provisioned
//! once keep working across restarts: the platform's key pair and public-key id, and one
//! service provider (sp_mchid, sp_appid, its API key pair and serial, its APIv3 key).
//!
//! Sub-merchant numbers are not stored: a `sub_mchid` carries a keyed check (HMAC over its
//! first digits), so the sandbox accepts exactly the ones it issued, also after a restart. Each
//! one's own app (`sub_appid`) is derived from it the same way.

use super::super::aead::ApiV3Key;
use super::super::certificate::PlatformCertificate;
use super::super::sign::random_from;
use crate::crypto::{key_file, rsa};
use aws_lc_rs::hmac;
use aws_lc_rs::rsa::{KeyPair, PublicKey};
use juhe_domain::crypto::CryptoError;
use juhe_domain::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub(crate) const FILE_NAME: &str = "wechat.json";
const DIGITS: &[u8] = b"0123456789";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The file's content. Private keys are PKCS#8 PEM.
#[derive(Serialize, Deserialize)]
struct Stored {
    platform_private_key_pem: String,
    platform_public_key_id: String,
    sp_mchid: String,
    sp_appid: String,
    sp_private_key_pem: String,
    sp_serial_no: String,
    api_v3_key: String,
    sub_mchid_secret: String,
}

impl Stored {
    fn generate() -> Result<Self, CryptoError> {
        let platform = rsa::generate(2048)?;
        let sp = rsa::generate(2048)?;
        Ok(Self {
            platform_private_key_pem: rsa::private_pkcs8_pem(&platform)?.into_inner(),
            platform_public_key_id: format!("PUB_KEY_ID_01{}", random_from(DIGITS, 30)),
            sp_mchid: format!("16{}", random_from(DIGITS, 8)),
            sp_appid: format!("wx{}", random_from(b"0123456789abcdef", 16)),
            sp_private_key_pem: rsa::private_pkcs8_pem(&sp)?.into_inner(),
            sp_serial_no: random_from(HEX_UPPER, 40),
            api_v3_key: random_from(ALNUM, 32),
            sub_mchid_secret: random_from(ALNUM, 32),
        })
    }
}

pub(crate) struct Identity {
    pub platform_key: KeyPair,
    pub platform_public_pem: String,
    pub platform_key_id: String,
    pub sp_mchid: String,
    pub sp_appid: String,
    pub sp_public_key: PublicKey,
    pub sp_private_pem: Secret<String>,
    pub sp_serial_no: String,
    pub api_v3_key_text: Secret<String>,
    pub api_v3_key: ApiV3Key,
    /// Certificate mode (tests): answers and notifications are signed with this key and name
    /// the certificate's serial instead of the public-key id.
    pub platform_certificate: Option<SandboxCertificate>,
    sub_mchid_key: hmac::Key,
}

/// A platform certificate and its private key, given to the sandbox (not kept in its file).
pub(crate) struct SandboxCertificate {
    pub key: KeyPair,
    pub serial: String,
    pub pem: String,
}

impl SandboxCertificate {
    pub(crate) fn parse(private_key_pem: &str, certificate_pem: &str) -> Result<Self, CryptoError> {
        let cert = PlatformCertificate::parse_pem(certificate_pem)?;
        Ok(Self { key: rsa::parse_private_pem(private_key_pem)?, serial: cert.serial, pem: certificate_pem.to_owned() })
    }
}

impl Identity {
    /// Reads `dir/wechat.json`, creating it with fresh keys the first time.
    pub(crate) fn load_or_create(dir: &Path) -> Result<Self, CryptoError> {
        let path = dir.join(FILE_NAME);
        let bytes = key_file::read_or_create(&path, || {
            let stored = Stored::generate()?;
            let json = serde_json::to_vec_pretty(&stored).map_err(|e| CryptoError::BadKey(e.to_string()))?;
            Ok(Secret::new(json))
        })?;
        let stored: Stored = serde_json::from_slice(bytes.expose())
            .map_err(|e| CryptoError::BadKey(format!("{} is not a WeChat sandbox file: {e}", path.display())))?;
        Self::from_stored(stored)
    }

    fn from_stored(stored: Stored) -> Result<Self, CryptoError> {
        let platform_key = rsa::parse_private_pem(&stored.platform_private_key_pem)?;
        let sp_key = rsa::parse_private_pem(&stored.sp_private_key_pem)?;
        let sp_public_key = rsa::parse_public_pem(&rsa::public_spki_pem(&sp_key)?)?;
        Ok(Self {
            platform_public_pem: rsa::public_spki_pem(&platform_key)?,
            platform_key,
            platform_key_id: stored.platform_public_key_id,
            sp_mchid: stored.sp_mchid,
            sp_appid: stored.sp_appid,
            sp_public_key,
            sp_private_pem: Secret::new(stored.sp_private_key_pem),
            sp_serial_no: stored.sp_serial_no,
            api_v3_key: ApiV3Key::parse(&stored.api_v3_key)?,
            api_v3_key_text: Secret::new(stored.api_v3_key),
            platform_certificate: None,
            sub_mchid_key: hmac::Key::new(hmac::HMAC_SHA256, stored.sub_mchid_secret.as_bytes()),
        })
    }

    /// The key that signs answers and notifications, and the `Wechatpay-Serial` naming it.
    pub(crate) fn signer(&self) -> (&KeyPair, &str) {
        match &self.platform_certificate {
            Some(cert) => (&cert.key, &cert.serial),
            None => (&self.platform_key, &self.platform_key_id),
        }
    }

    /// A new 10-digit sub_mchid: `1`, five random digits, four check digits.
    pub(crate) fn issue_sub_mchid(&self) -> String {
        let head = format!("1{}", random_from(DIGITS, 5));
        let check = self.check_digits(&head);
        format!("{head}{check}")
    }

    pub(crate) fn accepts_sub_mchid(&self, sub_mchid: &str) -> bool {
        if sub_mchid.len() != 10 || !sub_mchid.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let (head, check) = sub_mchid.split_at(6);
        // Both sides are public digits derived from a keyed MAC; a plain compare leaks nothing
        // beyond what a caller could learn by trying numbers.
        self.check_digits(head) == check
    }

    /// The app provisioned with `sub_mchid`: `wx` and 16 hex digits of a keyed MAC of it.
    pub(crate) fn sub_appid_of(&self, sub_mchid: &str) -> String {
        let tag = hmac::sign(&self.sub_mchid_key, format!("sub_appid:{sub_mchid}").as_bytes());
        format!("wx{}", hex::encode(&tag.as_ref()[..8]))
    }

    fn check_digits(&self, head: &str) -> String {
        let tag = hmac::sign(&self.sub_mchid_key, head.as_bytes());
        let bytes = tag.as_ref();
        let value = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % 10_000;
        format!("{value:04}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_and_accepts_only_issued_sub_merchants() {
        let dir = tempfile::tempdir().expect("dir");
        let first = Identity::load_or_create(dir.path()).expect("create");
        let again = Identity::load_or_create(dir.path()).expect("load");
        assert_eq!(first.sp_mchid, again.sp_mchid);
        assert!(first.platform_key_id.starts_with("PUB_KEY_ID_"));
        let sub = first.issue_sub_mchid();
        assert!(again.accepts_sub_mchid(&sub), "issued before the restart");
        assert_eq!(first.sub_appid_of(&sub), again.sub_appid_of(&sub), "its app survives the restart");
        assert_ne!(first.sub_appid_of(&sub), first.sub_appid_of(&first.issue_sub_mchid()));
        assert_eq!(first.sub_appid_of(&sub).len(), 18);
        let mut forged = sub.clone().into_bytes();
        forged[9] = if forged[9] == b'0' { b'1' } else { b'0' };
        assert!(!again.accepts_sub_mchid(&String::from_utf8(forged).expect("utf8")));
        assert!(!again.accepts_sub_mchid("19000001"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME)).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

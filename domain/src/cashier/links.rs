//! Signed, expiring values of the cashier: the `way=CASHIER` order link, the OAuth `state`, the
//! amount form's token (CSRF) and the result page's token. All are HMAC-SHA256 (through the
//! `Signer` port, compared in constant time) over a purpose, length-prefixed fields and an
//! expiry, with a key of their own derived from the master key.

use crate::crypto::Signer;
use crate::secret::Secret;
use std::sync::Arc;
use time::OffsetDateTime;

pub const PURPOSE_ORDER_LINK: &str = "order-link";
pub const PURPOSE_OAUTH_STATE: &str = "oauth-state";
pub const PURPOSE_PAY_FORM: &str = "pay-form";
pub const PURPOSE_RESULT: &str = "result";

pub struct CashierLinks {
    signer: Arc<dyn Signer>,
    key: Secret<Vec<u8>>,
    public_url: String,
}

impl CashierLinks {
    pub fn new(signer: Arc<dyn Signer>, key: Vec<u8>, public_url: &str) -> Self {
        Self { signer, key: Secret::new(key), public_url: public_url.trim_end_matches('/').to_owned() }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// What a printed store code encodes.
    pub fn code_url(&self, code: &str) -> String {
        format!("{}/cashier/{code}", self.public_url)
    }

    /// `{public_url}/cashier/o/{order_no}?exp=…&sig=…`, valid until `expire_at`.
    pub fn order_url(&self, order_no: &str, expire_at: OffsetDateTime) -> String {
        let exp = expire_at.unix_timestamp();
        let sig = self.sign(PURPOSE_ORDER_LINK, &[order_no], exp);
        format!("{}/cashier/o/{order_no}?exp={exp}&sig={sig}", self.public_url)
    }

    /// A URL-safe signature of `fields` for `purpose`, valid until `exp` (Unix seconds).
    pub fn sign(&self, purpose: &str, fields: &[&str], exp: i64) -> String {
        let b64 = self.signer.hmac_sha256_b64(self.key.expose(), &message(purpose, fields, exp));
        b64.replace('+', "-").replace('/', "_").trim_end_matches('=').to_owned()
    }

    /// Whether `sig` signs `fields` for `purpose` and `exp` has not passed.
    pub fn verify(&self, purpose: &str, fields: &[&str], exp: i64, sig: &str, now: OffsetDateTime) -> bool {
        if exp < now.unix_timestamp() || sig.len() != 43 {
            return false;
        }
        let mut standard = sig.replace('-', "+").replace('_', "/");
        standard.push('=');
        self.signer.verify_hmac_sha256_b64(self.key.expose(), &message(purpose, fields, exp), &standard)
    }

    /// A token `{exp}.{nonce}.{sig}` over `fields` + a fresh nonce (OAuth state, form token).
    pub fn token(&self, purpose: &str, fields: &[&str], exp: i64) -> String {
        let nonce = self.signer.random_token(12);
        let mut all = fields.to_vec();
        all.push(&nonce);
        format!("{exp}.{nonce}.{}", self.sign(purpose, &all, exp))
    }

    /// Checks a token from `token`; returns its nonce (unique per token) when it is valid.
    pub fn check_token(&self, purpose: &str, fields: &[&str], token: &str, now: OffsetDateTime) -> Option<String> {
        let mut parts = token.splitn(3, '.');
        let exp: i64 = parts.next()?.parse().ok()?;
        let nonce = parts.next()?;
        let sig = parts.next()?;
        let mut all = fields.to_vec();
        all.push(nonce);
        self.verify(purpose, &all, exp, sig, now).then(|| nonce.to_owned())
    }
}

/// `purpose\n` then each field as `len:field\n`, then the expiry: unambiguous whatever the
/// fields contain.
fn message(purpose: &str, fields: &[&str], exp: i64) -> Vec<u8> {
    let mut m = format!("juhe-cashier/{purpose}\n");
    for f in fields {
        m.push_str(&format!("{}:{f}\n", f.len()));
    }
    m.push_str(&exp.to_string());
    m.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::CryptoError;

    /// A toy signer: "HMAC" = Base64 of a keyed FNV-style digest stretched to 32 bytes.
    struct Toy;
    impl Signer for Toy {
        fn hmac_sha256_b64(&self, key: &[u8], message: &[u8]) -> String {
            let mut h: u64 = 0xcbf29ce484222325;
            for b in key.iter().chain(message) {
                h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
            }
            let bytes: Vec<u8> = (0..32).map(|i| (h >> ((i % 8) * 8)) as u8 ^ i as u8).collect();
            b64(&bytes)
        }
        fn verify_hmac_sha256_b64(&self, key: &[u8], message: &[u8], signature_b64: &str) -> bool {
            self.hmac_sha256_b64(key, message) == signature_b64
        }
        fn verify_rsa_sha256_b64(&self, _: &str, _: &[u8], _: &str) -> bool {
            false
        }
        fn platform_rsa_sign_b64(&self, _: &[u8]) -> String {
            String::new()
        }
        fn platform_rsa_public_pem(&self) -> String {
            String::new()
        }
        fn check_rsa_public_pem(&self, _: &str) -> Result<(), CryptoError> {
            Ok(())
        }
        fn random_bytes(&self, n: usize) -> Vec<u8> {
            vec![7; n]
        }
        fn random_token(&self, n: usize) -> String {
            "n".repeat(n)
        }
        fn sha256_hex(&self, _: &[u8]) -> String {
            String::new()
        }
    }

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn signatures_bind_every_part_and_expire() {
        let links = CashierLinks::new(Arc::new(Toy), vec![1; 32], "https://pay.example/");
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let exp = now.unix_timestamp() + 60;
        let sig = links.sign(PURPOSE_ORDER_LINK, &["2026"], exp);
        assert!(links.verify(PURPOSE_ORDER_LINK, &["2026"], exp, &sig, now));
        assert!(!links.verify(PURPOSE_ORDER_LINK, &["2027"], exp, &sig, now), "other order");
        assert!(!links.verify(PURPOSE_RESULT, &["2026"], exp, &sig, now), "other purpose");
        assert!(!links.verify(PURPOSE_ORDER_LINK, &["2026"], exp + 1, &sig, now), "other expiry");
        let later = now + time::Duration::seconds(61);
        assert!(!links.verify(PURPOSE_ORDER_LINK, &["2026"], exp, &sig, later), "expired");
        assert!(!links.verify(
            PURPOSE_ORDER_LINK,
            &["a", "b"],
            exp,
            &links.sign(PURPOSE_ORDER_LINK, &["ab"], exp),
            now
        ));
        let url = links.order_url("2026", now);
        assert!(url.starts_with("https://pay.example/cashier/o/2026?exp="));
        let token = links.token(PURPOSE_PAY_FORM, &["code:x", "wechat"], exp);
        assert!(links.check_token(PURPOSE_PAY_FORM, &["code:x", "wechat"], &token, now).is_some());
        assert!(links.check_token(PURPOSE_PAY_FORM, &["code:y", "wechat"], &token, now).is_none());
        assert!(links.check_token(PURPOSE_PAY_FORM, &["code:x", "wechat"], "1.2", now).is_none());
    }
}

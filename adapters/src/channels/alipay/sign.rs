//! Alipay RSA2 signing, shared by the adapter and the sandbox (each is one side of the same
//! conversation): the string to sign, SHA256withRSA over it, and the exact raw text of a
//! response object, which is what Alipay signs.

use crate::crypto::AwsSigner;
use juhe_domain::crypto::{CryptoError, Signer};
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The only sign type juhe speaks: SHA256withRSA. `RSA` (SHA-1) is refused both ways.
pub const SIGN_TYPE: &str = "RSA2";

/// Which parameters a signature leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covers {
    /// Gateway requests: everything but `sign` (`sign_type` is signed).
    Request,
    /// Notifications: everything but `sign` and `sign_type`.
    Notification,
}

/// The string Alipay signs: the parameters but `sign` (and `sign_type` for notifications),
/// empty values dropped, sorted by key (byte order), joined as `k=v&…` with raw values.
pub fn content_to_sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, covers: Covers) -> String {
    let mut kept: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && *k != "sign" && !(covers == Covers::Notification && *k == "sign_type"))
        .collect();
    kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in kept.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// One side's keys: its own private key (to sign what it sends) and the other side's public key
/// (to check what it receives). For the adapter that is the app key and Alipay's public key; for
/// the sandbox, Alipay's platform key and the app's public key.
pub struct RsaPair {
    // `AwsSigner`'s "platform key" is whichever key signs this side of the conversation.
    own: AwsSigner,
    peer_public_pem: String,
}

impl RsaPair {
    pub fn new(own_private_pem: &str, peer_public_pem: &str) -> Result<Self, CryptoError> {
        let own = AwsSigner::new(own_private_pem)?;
        own.check_rsa_public_pem(peer_public_pem)?;
        Ok(Self { own, peer_public_pem: peer_public_pem.to_owned() })
    }

    /// Base64 SHA256withRSA of `content` with our own key.
    pub fn sign(&self, content: &str) -> String {
        self.own.platform_rsa_sign_b64(content.as_bytes())
    }

    /// Whether `signature_b64` is the peer's SHA256withRSA of `content`.
    pub fn verify(&self, content: &str, signature_b64: &str) -> bool {
        self.own.verify_rsa_sha256_b64(&self.peer_public_pem, content.as_bytes(), signature_b64)
    }

    /// Our own public key (SPKI PEM).
    pub fn own_public_pem(&self) -> String {
        self.own.platform_rsa_public_pem()
    }
}

impl std::fmt::Debug for RsaPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPair").field("own", &"***").finish_non_exhaustive()
    }
}

/// A gateway answer split as Alipay signs it.
#[derive(Debug)]
pub struct Envelope {
    /// Which object answered: `<method>_response`, or `error_response` for gateway-level errors.
    pub key: String,
    /// The exact raw text of that object, byte for byte as received.
    pub text: String,
    pub sign: Option<String>,
}

/// Splits an answer `{"alipay_trade_xxx_response":{…},"sign":"…"}` without re-serialising the
/// object: the signature covers its exact text, so the text is taken from the body as is.
pub fn split_envelope(body: &str, response_key: &str) -> Option<Envelope> {
    let mut top: HashMap<String, Box<RawValue>> = serde_json::from_str(body).ok()?;
    let sign = match top.remove("sign") {
        Some(raw) => Some(serde_json::from_str::<String>(raw.get()).ok()?),
        None => None,
    };
    let (key, raw) = match top.remove_entry(response_key) {
        Some(found) => found,
        None => top.remove_entry("error_response")?,
    };
    raw.get().starts_with('{').then(|| Envelope { key, text: raw.get().to_owned(), sign })
}

/// Builds an answer the way Alipay does: the response object's text, then its signature.
pub fn join_envelope(response_key: &str, text: &str, sign: &str) -> String {
    // Base64 and method names never need JSON escaping.
    format!("{{\"{response_key}\":{text},\"sign\":\"{sign}\"}}")
}

/// The answer key of a method: `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_drops_sign_and_empties_and_sorts() {
        let params = [("b", "2"), ("sign", "x"), ("a", "1"), ("sign_type", "RSA2"), ("c", "")];
        assert_eq!(content_to_sign(params, Covers::Request), "a=1&b=2&sign_type=RSA2");
        assert_eq!(content_to_sign(params, Covers::Notification), "a=1&b=2");
    }

    #[test]
    fn envelope_keeps_raw_text() {
        let body =
            r#"{"alipay_trade_query_response" : {"code":"10000", "msg":"Su\u0063cess","a":{"b":"}"}},"sign":"c2ln"}"#;
        let env = split_envelope(body, "alipay_trade_query_response").expect("splits");
        assert_eq!(env.text, r#"{"code":"10000", "msg":"Su\u0063cess","a":{"b":"}"}}"#);
        assert_eq!(env.sign.as_deref(), Some("c2ln"));
        let err = split_envelope(r#"{"error_response":{"code":"40002"}}"#, "x_response").expect("error");
        assert_eq!(
            (env.key.as_str(), err.key.as_str(), err.sign),
            ("alipay_trade_query_response", "error_response", None)
        );
        assert!(split_envelope("not json", "x").is_none());
    }
}

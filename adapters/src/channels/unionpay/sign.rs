//! UnionPay message signing, shared by the adapter and the sandbox (each is one side of the same
//! conversation): the sorted `k=v&…` of every field but `signature`, its SHA-256 as lower-case
//! hex, SHA256withRSA over that hex string, Base64 into `signature`; `certId` (itself signed)
//! names the key that signed.

use super::message::Message;
use super::protocol::field;
use crate::crypto::AwsSigner;
use aws_lc_rs::digest;
use juhe_domain::crypto::{CryptoError, Signer};

/// Why a message was not accepted as signed by the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unverified {
    NoSignature,
    /// `certId` missing or naming another key than the one we trust.
    WrongCertId,
    BadSignature,
}

impl std::fmt::Display for Unverified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unverified::NoSignature => "no signature",
            Unverified::WrongCertId => "certId names another key",
            Unverified::BadSignature => "signature does not verify",
        })
    }
}

/// The hex SHA-256 of the content, which is what the RSA signature covers.
pub fn digest_hex(content: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, content.as_bytes()))
}

/// One side's keys: its own private key and certificate id (to sign what it sends) and the other
/// side's public key and certificate id (to check what it receives). For the adapter: our key and
/// UnionPay's public key; for the sandbox: UnionPay's key and the institution's public key.
pub struct RsaPair {
    // `AwsSigner`'s "platform key" is whichever key signs this side of the conversation.
    own: AwsSigner,
    own_cert_id: String,
    peer_public_pem: String,
    peer_cert_id: String,
}

impl RsaPair {
    pub fn new(
        own_private_pem: &str,
        own_cert_id: &str,
        peer_public_pem: &str,
        peer_cert_id: &str,
    ) -> Result<Self, CryptoError> {
        let own = AwsSigner::new(own_private_pem)?;
        own.check_rsa_public_pem(peer_public_pem)?;
        if own_cert_id.is_empty() || peer_cert_id.is_empty() {
            return Err(CryptoError::BadKey("certificate ids must not be empty".into()));
        }
        Ok(Self {
            own,
            own_cert_id: own_cert_id.to_owned(),
            peer_public_pem: peer_public_pem.to_owned(),
            peer_cert_id: peer_cert_id.to_owned(),
        })
    }

    /// Sets `certId` to ours and `signature` over everything else.
    pub fn sign(&self, msg: &mut Message) {
        msg.remove(field::SIGNATURE);
        msg.set(field::CERT_ID, self.own_cert_id.as_str());
        let digest = digest_hex(&msg.content_to_sign());
        msg.set(field::SIGNATURE, self.own.platform_rsa_sign_b64(digest.as_bytes()));
    }

    /// Checks that the peer signed `msg` with the key its `certId` names.
    pub fn verify(&self, msg: &Message) -> Result<(), Unverified> {
        let signature = msg.get(field::SIGNATURE).ok_or(Unverified::NoSignature)?;
        // Certificate ids are public; a plain comparison leaks nothing.
        if msg.get(field::CERT_ID) != Some(self.peer_cert_id.as_str()) {
            return Err(Unverified::WrongCertId);
        }
        let digest = digest_hex(&msg.content_to_sign());
        if self.own.verify_rsa_sha256_b64(&self.peer_public_pem, digest.as_bytes(), signature) {
            Ok(())
        } else {
            Err(Unverified::BadSignature)
        }
    }

    /// Our own public key (SPKI PEM).
    pub fn own_public_pem(&self) -> String {
        self.own.platform_rsa_public_pem()
    }
}

impl std::fmt::Debug for RsaPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPair")
            .field("own", &"***")
            .field("own_cert_id", &self.own_cert_id)
            .field("peer_cert_id", &self.peer_cert_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::generate_rsa_pkcs8_pem;

    #[test]
    fn both_sides_sign_and_verify() {
        let (a_private, a_public) = generate_rsa_pkcs8_pem(2048).expect("key a");
        let (b_private, b_public) = generate_rsa_pkcs8_pem(2048).expect("key b");
        let a = RsaPair::new(a_private.expose(), "111", &b_public, "222").expect("a");
        let b = RsaPair::new(b_private.expose(), "222", &a_public, "111").expect("b");
        let mut msg = Message::new().with("orderNo", "A1").with("txnAmt", "100");
        a.sign(&mut msg);
        assert_eq!(msg.get("certId"), Some("111"));
        assert_eq!(b.verify(&msg), Ok(()));
        assert_eq!(a.verify(&msg), Err(Unverified::WrongCertId));

        let mut tampered = msg.clone();
        tampered.set("txnAmt", "1");
        assert_eq!(b.verify(&tampered), Err(Unverified::BadSignature));
        tampered.remove("signature");
        assert_eq!(b.verify(&tampered), Err(Unverified::NoSignature));
        assert_eq!(digest_hex("").len(), 64);
    }
}

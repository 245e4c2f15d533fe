//! The sandbox's identity, kept in `unionpay.json` (mode 0600, created first-writer-wins) so that
//! accounts provisioned against it keep working across restarts: UnionPay's key pair and
//! certificate id, and one acquirer institution (acquirer code, its key pair and certificate id).

use super::super::sign::RsaPair;
use crate::crypto::key_file;
use crate::crypto::{AwsSigner, generate_rsa_pkcs8_pem};
use juhe_domain::crypto::{CryptoError, Signer};
use juhe_domain::secret::Secret;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::Path;

pub const FILE_NAME: &str = "unionpay.json";

#[derive(Serialize, Deserialize)]
struct KeyFile {
    unionpay_private_key_pem: String,
    unionpay_cert_id: String,
    acq_code: String,
    institution_private_key_pem: String,
    institution_cert_id: String,
}

pub struct SandboxKeys {
    /// The institution's acquirer code (8 digits).
    pub acq_code: String,
    pub unionpay_cert_id: String,
    pub unionpay_public_pem: String,
    /// The institution's certificate id (juhe's `cert_id`).
    pub institution_cert_id: String,
    pub institution_private_pem: Secret<String>,
    /// Signs as UnionPay, verifies the institution.
    pub rsa: RsaPair,
}

impl std::fmt::Debug for SandboxKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxKeys")
            .field("acq_code", &self.acq_code)
            .field("unionpay_cert_id", &self.unionpay_cert_id)
            .field("institution_cert_id", &self.institution_cert_id)
            .finish_non_exhaustive()
    }
}

fn invalid(path: &Path, why: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{}: {why}", path.display()))
}

impl SandboxKeys {
    pub fn load_or_create(dir: &Path) -> io::Result<SandboxKeys> {
        let path = dir.join(FILE_NAME);
        let content = key_file::read_or_create(&path, generate).map_err(|err| invalid(&path, err))?;
        let file: KeyFile = serde_json::from_slice(content.expose()).map_err(|err| invalid(&path, err))?;
        Self::from_file(file).map_err(|err| invalid(&path, err))
    }

    fn from_file(file: KeyFile) -> Result<SandboxKeys, CryptoError> {
        let institution_public_pem = AwsSigner::new(&file.institution_private_key_pem)?.platform_rsa_public_pem();
        let rsa = RsaPair::new(
            &file.unionpay_private_key_pem,
            &file.unionpay_cert_id,
            &institution_public_pem,
            &file.institution_cert_id,
        )?;
        Ok(SandboxKeys {
            acq_code: file.acq_code,
            unionpay_public_pem: rsa.own_public_pem(),
            unionpay_cert_id: file.unionpay_cert_id,
            institution_cert_id: file.institution_cert_id,
            institution_private_pem: Secret::new(file.institution_private_key_pem),
            rsa,
        })
    }
}

fn generate() -> Result<Secret<Vec<u8>>, CryptoError> {
    let key = || generate_rsa_pkcs8_pem(2048).map(|(private, _)| private.into_inner());
    let file = KeyFile {
        unionpay_private_key_pem: key()?,
        unionpay_cert_id: format!("6{}", random_digits(10)),
        acq_code: format!("4{}", random_digits(7)),
        institution_private_key_pem: key()?,
        institution_cert_id: format!("7{}", random_digits(10)),
    };
    serde_json::to_vec_pretty(&file).map(Secret::new).map_err(|err| CryptoError::BadKey(err.to_string()))
}

/// `n` random decimal digits (ids, not secrets).
pub fn random_digits(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The OS generator does not fail short of a broken system; zeroes are still valid digits.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

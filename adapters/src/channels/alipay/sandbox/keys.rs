//! The sandbox's identity, kept in `alipay.json` (mode 0600) so that accounts provisioned against
//! it keep working across restarts: Alipay's platform key pair and one ISV app (app id, the app's
//! key pair, the ISV's PID).

use super::super::sign::RsaPair;
use crate::crypto::{AwsSigner, generate_rsa_pkcs8_pem};
use juhe_domain::crypto::Signer;
use juhe_domain::secret::Secret;
use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::Path;

pub const FILE_NAME: &str = "alipay.json";

#[derive(Serialize, Deserialize)]
struct KeyFile {
    platform_private_key_pem: String,
    app_id: String,
    app_private_key_pem: String,
    pid: String,
}

pub struct SandboxKeys {
    pub app_id: String,
    /// The ISV's PID (`2088…`), also the seller id of every sandbox trade.
    pub pid: String,
    pub platform_public_pem: String,
    pub app_public_pem: String,
    pub app_private_pem: Secret<String>,
    /// Signs as Alipay (platform key), verifies juhe (app public key).
    pub rsa: RsaPair,
}

impl std::fmt::Debug for SandboxKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxKeys").field("app_id", &self.app_id).field("pid", &self.pid).finish_non_exhaustive()
    }
}

fn invalid(path: &Path, why: impl std::fmt::Display) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, format!("{}: {why}", path.display()))
}

impl SandboxKeys {
    pub fn load_or_create(dir: &Path) -> io::Result<SandboxKeys> {
        let path = dir.join(FILE_NAME);
        let file = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| invalid(&path, err))?,
            Err(err) if err.kind() == ErrorKind::NotFound => create(dir, &path)?,
            Err(err) => return Err(err),
        };
        Self::from_file(file).map_err(|err| invalid(&path, err))
    }

    fn from_file(file: KeyFile) -> Result<SandboxKeys, juhe_domain::crypto::CryptoError> {
        let app_public_pem = AwsSigner::new(&file.app_private_key_pem)?.platform_rsa_public_pem();
        let rsa = RsaPair::new(&file.platform_private_key_pem, &app_public_pem)?;
        Ok(SandboxKeys {
            app_id: file.app_id,
            pid: file.pid,
            platform_public_pem: rsa.own_public_pem(),
            app_public_pem,
            app_private_pem: Secret::new(file.app_private_key_pem),
            rsa,
        })
    }
}

/// Generates the identity and writes it first-writer-wins: a private temporary file hard-linked
/// into place, so two processes starting at once agree on one identity.
fn create(dir: &Path, path: &Path) -> io::Result<KeyFile> {
    let key = || generate_rsa_pkcs8_pem(2048).map(|(private, _)| private.into_inner()).map_err(io::Error::other);
    let file = KeyFile {
        platform_private_key_pem: key()?,
        app_id: format!("2021{}", random_digits(12)),
        app_private_key_pem: key()?,
        pid: format!("2088{}", random_digits(12)),
    };
    fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{FILE_NAME}.{}.tmp", random_digits(12)));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut out| {
        out.write_all(&serde_json::to_vec_pretty(&file).map_err(io::Error::other)?)?;
        out.sync_all()
    });
    let linked = written.and_then(|()| fs::hard_link(&temp, path));
    // Best effort: the temporary name is random and private.
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(file),
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {
            serde_json::from_slice(&fs::read(path)?).map_err(|err| invalid(path, err))
        }
        Err(err) => Err(err),
    }
}

/// `n` random decimal digits (ids, not secrets).
pub fn random_digits(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The OS generator does not fail short of a broken system; zeroes are still valid digits.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

//! Key files created once, readable by the owner only.
//!
//! Creation is atomic and first-writer-wins: the key is written to a private temporary file and
//! hard-linked into place, which fails when the file already exists. Two processes starting at
//! once therefore agree on one key instead of one silently overwriting the other (data encrypted
//! under a lost key would be unrecoverable).

use juhe_domain::crypto::CryptoError;
use juhe_domain::secret::Secret;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Reads the key file at `path`, or creates it with the output of `create` (mode 0600, parent
/// directories created with mode 0700) when it does not exist.
pub(crate) fn read_or_create(
    path: &Path,
    create: impl FnOnce() -> Result<Secret<Vec<u8>>, CryptoError>,
) -> Result<Secret<Vec<u8>>, CryptoError> {
    if let Some(existing) = read_existing(path)? {
        return Ok(existing);
    }
    let parent = parent_dir(path);
    create_private_dir(&parent).map_err(|err| io_error("create key directory", &parent, &err))?;

    let content = create()?;
    let temp = temp_path(path)?;
    let linked = write_private(&temp, content.expose()).and_then(|()| fs::hard_link(&temp, path));
    // Best effort: the temporary name is random and private; a leftover is harmless.
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            sync_dir(&parent);
            Ok(content)
        }
        // Another process created the file between our read and our link: use its key.
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {
            read_existing(path)?.ok_or_else(|| CryptoError::BadKey(format!("key file {} vanished", path.display())))
        }
        Err(err) => Err(io_error("create key file", path, &err)),
    }
}

fn read_existing(path: &Path) -> Result<Option<Secret<Vec<u8>>>, CryptoError> {
    match fs::read(path) {
        Ok(bytes) => {
            warn_if_shared(path);
            Ok(Some(Secret::new(bytes)))
        }
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(io_error("read key file", path, &err)),
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_path(path: &Path) -> Result<PathBuf, CryptoError> {
    let name =
        path.file_name().ok_or_else(|| CryptoError::BadKey(format!("key path {} has no file name", path.display())))?;
    let mut suffix = [0u8; 8];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|_| CryptoError::BadKey("random generator failed".into()))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", hex::encode(suffix)));
    Ok(parent_dir(path).join(temp_name))
}

fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the new directory entry durable, so a crash right after start-up cannot lose a key
/// that has already encrypted data. Best effort: not every platform can sync a directory.
fn sync_dir(dir: &Path) {
    if let Err(err) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %err, "could not sync key directory");
    }
}

/// A key readable by group or others is still used (refusing would take the platform down), but
/// the operator is told.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "key file is readable by others; chmod 600 it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn io_error(action: &str, path: &Path, err: &std::io::Error) -> CryptoError {
    CryptoError::BadKey(format!("cannot {action} {}: {err}", path.display()))
}

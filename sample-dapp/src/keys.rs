//! Secret key files in the data folder: created once with mode 0600,
//! never overwritten, refused if other users can read them.
//!
//! * `jwt-signing.key` — the 32-byte Ed25519 seed that signs the JWTs.
//!   Keeping it across restarts keeps issued tokens valid.
//! * `recovery-master.key` — the 32-byte HMAC key from which every user's
//!   automatic-recovery key is derived. **Rotating or losing it makes
//!   automatic recovery impossible for every existing wallet** (their cold
//!   shares are encrypted under keys derived from it), so back it up with the
//!   same care as a wallet seed and never replace it on a live deployment.
//!
//! Both files hold the raw 32 bytes, nothing else.

use std::{
    fs, io,
    io::Write,
    path::{Path, PathBuf},
};

use zeroize::Zeroizing;

pub const SIGNING_KEY_FILE: &str = "jwt-signing.key";
pub const RECOVERY_MASTER_KEY_FILE: &str = "recovery-master.key";

/// Creates `dir` (mode 0700) if it is missing.
pub fn ensure_data_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Reads the 32-byte key at `dir/name`, creating it from the OS random
/// generator first if it does not exist. Creation is race-free: the key is
/// written to a private temporary file and hard-linked into place, so two
/// processes starting at once agree on one key and an existing key is never
/// replaced.
pub fn load_or_create_key(dir: &Path, name: &str) -> io::Result<Zeroizing<[u8; 32]>> {
    let path = dir.join(name);
    match read_key(&path) {
        Ok(key) => return Ok(key),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }

    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::fill(key.as_mut_slice())
        .map_err(|e| io::Error::other(format!("OS random generator: {e}")))?;

    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix)
        .map_err(|e| io::Error::other(format!("OS random generator: {e}")))?;
    let tmp = dir.join(format!(".{name}.tmp-{}", hex(&suffix)));
    let result = (|| {
        let mut file = private_create_new(&tmp)?;
        file.write_all(key.as_slice())?;
        file.sync_all()?;
        drop(file);
        fs::hard_link(&tmp, &path)
    })();
    let _ = fs::remove_file(&tmp);
    match result {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a new key file");
            Ok(key)
        }
        // Another process won the race: use its key.
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => read_key(&path),
        Err(err) => Err(err),
    }
}

fn read_key(path: &PathBuf) -> io::Result<Zeroizing<[u8; 32]>> {
    let bytes = Zeroizing::new(fs::read(path)?);
    check_private(path)?;
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} must hold exactly 32 bytes (has {})",
                path.display(),
                bytes.len()
            ),
        )
    })?;
    Ok(Zeroizing::new(key))
}

#[cfg(unix)]
fn check_private(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is accessible to other users (mode {:o}); run `chmod 600` on it",
                path.display(),
                mode & 0o777
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> io::Result<()> {
    Ok(())
}

fn private_create_new(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn created_once_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_key(dir.path(), "k.key").unwrap();
        let b = load_or_create_key(dir.path(), "k.key").unwrap();
        assert_eq!(*a, *b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("k.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            fs::set_permissions(dir.path().join("k.key"), fs::Permissions::from_mode(0o644))
                .unwrap();
            assert!(load_or_create_key(dir.path(), "k.key").is_err());
        }
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = private_create_new(&dir.path().join("k.key")).unwrap();
        f.write_all(b"short").unwrap();
        assert!(load_or_create_key(dir.path(), "k.key").is_err());
    }
}

//! The data directory: the master key that seals secrets at rest and the root credentials,
//! both created on first start with owner-only permissions.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cognate_core::crypto::SecretBox;
use rand::Rng;

pub const MASTER_KEY_FILE: &str = "master.key";
pub const CREDENTIALS_FILE: &str = "credentials";
/// The profile name in the credentials file, for `AWS_PROFILE`.
pub const CREDENTIALS_PROFILE: &str = "cognate";

pub(crate) fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// The data directory, created owner-only (0700) on first start. An existing one is left as
/// its owner made it, but one that others can write to is refused: they could replace the
/// master key or the database.
pub fn ensure_dir(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                format!("cannot make data directory {} private: {e}", dir.display())
            })?;
        }
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)
            .map_err(|e| format!("cannot read data directory {}: {e}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(format!(
                "the data directory {} can be written by other users (mode {:o}); make it private with `chmod 700 {}`",
                dir.display(),
                mode & 0o777,
                dir.display()
            ));
        }
    }
    Ok(())
}

/// The embedded database's files, owner-only (0600): created so before SQLite opens them (its
/// WAL and shared-memory files take the database file's mode), and tightened when an earlier
/// version left them readable by others.
pub fn private_database_files(database: &Path) -> Result<(), String> {
    if !database.exists() {
        write_private(database, b"")
            .map_err(|e| format!("cannot create {}: {e}", database.display()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", database.display()));
            if let Ok(metadata) = fs::metadata(&path) {
                if metadata.permissions().mode() & 0o077 != 0 {
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                        .map_err(|e| format!("cannot make {} private: {e}", path.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// The master key: from `COGNATE_MASTER_KEY` (base64) when given (servers sharing a database
/// must share it), else from the data directory, generated on first start.
pub fn master_key(dir: &Path, from_env: Option<&str>) -> Result<SecretBox, String> {
    if let Some(encoded) = from_env {
        let key = STANDARD
            .decode(encoded.trim())
            .map_err(|_| "COGNATE_MASTER_KEY must be base64".to_string())?;
        return SecretBox::new(&key)
            .map_err(|_| "COGNATE_MASTER_KEY must decode to 32 bytes".to_string());
    }
    let path = dir.join(MASTER_KEY_FILE);
    if !path.exists() {
        write_private(&path, &SecretBox::generate_key())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let key = zeroize::Zeroizing::new(
        fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    );
    SecretBox::new(&key).map_err(|_| format!("{} must hold 32 bytes", path.display()))
}

/// Root credentials: the configured pair, or the pair in `{dir}/credentials`, generated on first
/// start. Returns the pair and, when it lives in a file, that file's path.
pub fn root_credentials(
    dir: &Path,
    configured: Option<(String, String)>,
) -> Result<((String, String), Option<PathBuf>), String> {
    if let Some(pair) = configured {
        return Ok((pair, None));
    }
    let path = dir.join(CREDENTIALS_FILE);
    if !path.exists() {
        let (id, secret) = generate_access_key();
        let text = format!(
            "# Root credentials of this cognate server. Use with AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE={CREDENTIALS_PROFILE}.\n[{CREDENTIALS_PROFILE}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
        );
        write_private(&path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let pair = read_credentials(&path)?;
    Ok((pair, Some(path)))
}

/// Reads the access key id and secret from a credentials file such as the one
/// [`root_credentials`] writes.
pub fn read_credentials(path: &Path) -> Result<(String, String), String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_owned())
    };
    match (value("aws_access_key_id"), value("aws_secret_access_key")) {
        (Some(id), Some(secret)) => Ok((id, secret)),
        _ => Err(format!(
            "{} has no aws_access_key_id / aws_secret_access_key",
            path.display()
        )),
    }
}

/// An access key id in AWS's shape (`AKIA` + 16) and a 40-character secret.
fn generate_access_key() -> (String, String) {
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rngs::OsRng;
    let id: String = (0..16)
        .map(|_| UPPER[rng.gen_range(0..UPPER.len())] as char)
        .collect();
    let secret: String = (0..40)
        .map(|_| SECRET[rng.gen_range(0..SECRET.len())] as char)
        .collect();
    (format!("AKIA{id}"), secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_writes_owner_only_files_and_later_starts_reuse_them() {
        let dir = tempfile::tempdir().unwrap();
        let (first, path) = root_credentials(dir.path(), None).unwrap();
        let (again, _) = root_credentials(dir.path(), None).unwrap();
        assert_eq!(first, again);
        assert!(first.0.starts_with("AKIA") && first.0.len() == 20);
        assert_eq!(first.1.len(), 40);
        master_key(dir.path(), None).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for file in [path.unwrap(), dir.path().join(MASTER_KEY_FILE)] {
                assert_eq!(
                    fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                    0o600,
                    "{}",
                    file.display()
                );
            }
        }
    }

    #[test]
    fn a_master_key_from_the_environment_must_be_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(master_key(dir.path(), Some(&STANDARD.encode([7u8; 32]))).is_ok());
        assert!(master_key(dir.path(), Some(&STANDARD.encode([7u8; 16]))).is_err());
        assert!(master_key(dir.path(), Some("not base64!")).is_err());
    }
}

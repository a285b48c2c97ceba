//! The small files tessera keeps in its data directory beside the database: the default account's
//! id, the generated root credentials and the master key.
//!
//! Every file here is created with mode 0600 inside a 0700 directory, written to a temporary name,
//! fsynced and renamed, so a crash never leaves a half-written key behind.

use anyhow::{bail, Context, Result};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tessera_core::{ids, AccountId};

const ACCOUNT_ID_FILE: &str = "account-id";
const ROOT_CREDENTIALS_FILE: &str = "root-credentials";
const MASTER_KEY_FILE: &str = "master.key";

/// The data directory and the files in it.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

/// A root access key pair and whether tessera generated it on this start.
#[derive(Clone)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub generated: bool,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl DataDir {
    /// Creates the directory (mode 0700) if it does not exist.
    pub fn open(path: &Path) -> Result<Self> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .with_context(|| format!("creating data directory {}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The default account's id: `configured` when given, else the one generated on first start.
    pub fn account_id(&self, configured: Option<&str>) -> Result<AccountId> {
        if let Some(id) = configured {
            return AccountId::parse(id.trim()).context("TESSERA_ACCOUNT_ID");
        }
        let file = self.file(ACCOUNT_ID_FILE);
        match fs::read_to_string(&file) {
            Ok(s) => AccountId::parse(s.trim()).with_context(|| format!("{}", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let id = AccountId::generate();
                write_private(&file, format!("{id}\n").as_bytes())?;
                Ok(id)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
        }
    }

    /// Root credentials from configuration, else from `root-credentials`, else freshly generated
    /// and written there (mode 0600).
    pub fn root_credentials(
        &self,
        access_key_id: Option<&str>,
        secret_access_key: Option<&str>,
    ) -> Result<RootCredentials> {
        match (access_key_id, secret_access_key) {
            (Some(id), Some(secret)) => {
                return Ok(RootCredentials {
                    access_key_id: id.to_owned(),
                    secret_access_key: secret.to_owned(),
                    generated: false,
                })
            }
            (None, None) => {}
            _ => bail!(
                "set both TESSERA_ROOT_ACCESS_KEY_ID and TESSERA_ROOT_SECRET_ACCESS_KEY, or neither"
            ),
        }
        let file = self.file(ROOT_CREDENTIALS_FILE);
        match fs::read_to_string(&file) {
            Ok(text) => {
                parse_credentials_file(&text).with_context(|| format!("reading {}", file.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let creds = RootCredentials {
                    access_key_id: ids::access_key_id(ids::IdPrefix::LongTermKey),
                    secret_access_key: ids::secret_access_key(),
                    generated: true,
                };
                let text = format!(
                    "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                    creds.access_key_id, creds.secret_access_key
                );
                write_private(&file, text.as_bytes())?;
                Ok(creds)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
        }
    }

    /// The 32-byte master key that encrypts secrets at rest: from `TESSERA_MASTER_KEY` (hex) when
    /// configured, else `master.key`, generated on first start.
    pub fn master_key(&self, configured_hex: Option<&str>) -> Result<[u8; 32]> {
        if let Some(h) = configured_hex {
            return decode_key(h.trim()).context("TESSERA_MASTER_KEY must be 64 hex digits");
        }
        let file = self.file(MASTER_KEY_FILE);
        match fs::read_to_string(&file) {
            Ok(text) => decode_key(text.trim())
                .with_context(|| format!("{} must hold 64 hex digits", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_private(&file, format!("{}\n", hex::encode(key)).as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
        }
    }
}

fn decode_key(h: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(h)?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("wrong key length"))
}

fn parse_credentials_file(text: &str) -> Result<RootCredentials> {
    let mut id = None;
    let mut secret = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_owned()),
                "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    match (id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(RootCredentials {
            access_key_id,
            secret_access_key,
            generated: false,
        }),
        _ => bail!("aws_access_key_id or aws_secret_access_key missing"),
    }
}

/// Writes `bytes` to `path` with mode 0600: temporary file, fsync, rename, fsync of the directory.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.set_permissions(fs::Permissions::from_mode(0o600))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_stable_and_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let a = dir.account_id(None).unwrap();
        assert_eq!(dir.account_id(None).unwrap(), a);
        let c1 = dir.root_credentials(None, None).unwrap();
        assert!(c1.generated);
        let c2 = dir.root_credentials(None, None).unwrap();
        assert!(!c2.generated);
        assert_eq!(c1.access_key_id, c2.access_key_id);
        assert_eq!(c1.secret_access_key, c2.secret_access_key);
        let mode = fs::metadata(dir.file(ROOT_CREDENTIALS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(dir.master_key(None).unwrap(), dir.master_key(None).unwrap());
        assert!(!format!("{c1:?}").contains(&c1.secret_access_key));
    }

    #[test]
    fn configured_values_win_and_half_a_pair_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        assert_eq!(
            dir.account_id(Some("123456789012")).unwrap().as_str(),
            "123456789012"
        );
        assert!(dir.account_id(Some("12")).is_err());
        assert!(dir.root_credentials(Some("AKIA"), None).is_err());
    }
}

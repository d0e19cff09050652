//! Writing results to disk safely: all or nothing, atomic renames, backups, created files
//! never replacing anything (see "Safe writes" in `docs/ARCHITECTURE.md`).
//!
//! All writes of one run form one transaction:
//!
//! 1. every new file (config or created certificate) is first written to a temporary file in its
//!    destination's directory, flushed to disk and given its final permissions;
//! 2. every config is read again and compared with what the run read (the whole content, which
//!    is stronger than comparing hashes); if one changed, nothing is written;
//! 3. created files are moved into place without ever replacing an existing file, then each
//!    config gets its backup (`FILE.bak`, or `FILE.bak.1`, `.2`, … when that exists — a backup is
//!    never overwritten), its content is checked once more and the temporary file is renamed over
//!    it.
//!
//! When anything fails, what was already done is undone: replaced configs get their original
//! content back, backups and created files (and directories created for them) are removed.
//! Symlinked configs are written at their target, so the link stays a link.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;
use thiserror::Error;

use crate::step::CreatedFile;

/// The default backup suffix (`--backup` without a value).
pub const DEFAULT_BACKUP_SUFFIX: &str = ".bak";

/// One config file to replace (or create, for `-o` to a new path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWrite {
    /// The path as the user named it.
    pub path: PathBuf,
    /// The content read at the start of the run; `None` when the file did not exist.
    pub original: Option<Vec<u8>>,
    pub contents: Vec<u8>,
    /// Keep the replaced file as `PATH` + suffix.
    pub backup_suffix: Option<String>,
    /// Permissions for a file that does not exist yet (an existing file keeps its own).
    pub new_mode: u32,
}

/// Everything one run writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WritePlan {
    pub configs: Vec<ConfigWrite>,
    /// Files steps asked for (decoded certificates); written before the configs.
    pub created: Vec<CreatedFile>,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    pub configs: Vec<WrittenConfig>,
    pub created: Vec<CreatedOutcome>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenConfig {
    /// The path as the user named it.
    pub path: PathBuf,
    /// The file actually replaced (the target of a symlink).
    pub target: PathBuf,
    pub backup: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedOutcome {
    pub path: PathBuf,
    pub mode: u32,
    pub size: u64,
    /// The file already existed with exactly this content, so it was left as it was.
    pub already_present: bool,
}

/// Why nothing was written.
#[derive(Debug, Error)]
pub enum WriteError {
    #[error(
        "{}: the file changed since it was read; nothing was written. Run the command again on \
         the current file",
        path.display()
    )]
    Changed { path: PathBuf },
    #[error(
        "{}: a different file already exists there; nothing was written. Move it away or choose \
         another --certs-dir",
        path.display()
    )]
    WouldOverwrite { path: PathBuf },
    #[error("{}: is not a regular file; nothing was written", path.display())]
    NotAFile { path: PathBuf },
    #[error(
        "{}: the same file would be written twice in one run; give each file once",
        path.display()
    )]
    Duplicate { path: PathBuf },
    #[error("{}: cannot {action}: {source}; nothing was written", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    #[error(
        "{cause}; restoring the previous state failed for {}: check these files by hand",
        leftovers.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    RollbackFailed {
        cause: Box<WriteError>,
        leftovers: Vec<PathBuf>,
    },
}

impl WriteError {
    /// 3 when the tool refused for safety, 2 when the system did not let it write ("Exit codes"
    /// in `docs/ARCHITECTURE.md`).
    pub fn exit_code(&self) -> u8 {
        match self {
            WriteError::Changed { .. }
            | WriteError::WouldOverwrite { .. }
            | WriteError::Duplicate { .. }
            | WriteError::RollbackFailed { .. } => 3,
            WriteError::NotAFile { .. } | WriteError::Io { .. } => 2,
        }
    }
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> WriteError + use<> {
    let path = path.to_owned();
    move |source| WriteError::Io {
        path,
        action,
        source,
    }
}

/// Writes a plan as one transaction (see the module documentation).
pub fn commit(plan: &WritePlan) -> Result<WriteOutcome, WriteError> {
    commit_with(plan, &mut || {})
}

/// [`commit`], calling `before_check` after the temporary files are written and before the
/// originals are checked; tests use it to change a file at the worst moment.
pub fn commit_with(
    plan: &WritePlan,
    before_check: &mut dyn FnMut(),
) -> Result<WriteOutcome, WriteError> {
    let mut tx = Transaction::default();
    match tx.run(plan, before_check) {
        Ok(outcome) => Ok(outcome),
        Err(cause) => {
            let leftovers = tx.rollback();
            if leftovers.is_empty() {
                Err(cause)
            } else {
                Err(WriteError::RollbackFailed {
                    cause: Box::new(cause),
                    leftovers,
                })
            }
        }
    }
}

/// A config on its way to disk.
struct PendingConfig<'p> {
    write: &'p ConfigWrite,
    target: PathBuf,
    temp: Option<NamedTempFile>,
}

/// A created file on its way to disk.
struct PendingCreated<'p> {
    file: &'p CreatedFile,
    temp: Option<NamedTempFile>,
}

/// What has been done so far, to undo it.
#[derive(Default)]
struct Transaction {
    created_dirs: Vec<PathBuf>,
    created_files: Vec<PathBuf>,
    backups: Vec<PathBuf>,
    /// Configs already renamed into place: target, original content, original mode.
    replaced: Vec<(PathBuf, Option<Vec<u8>>, Option<u32>)>,
}

impl Transaction {
    /// Writes everything or nothing: temporary files first, then a check that nothing changed
    /// meanwhile, then each file into place.
    fn run(
        &mut self,
        plan: &WritePlan,
        before_check: &mut dyn FnMut(),
    ) -> Result<WriteOutcome, WriteError> {
        let mut configs = pending_configs(plan)?;
        let mut outcome = WriteOutcome::default();
        let mut created = pending_created(plan, &mut outcome)?;

        // 1. Temporary files, complete and on disk.
        self.write_temps(&mut created, &mut configs)?;

        // 2. Nothing changed under our feet.
        before_check();
        for pending in &configs {
            check_unchanged(pending)?;
        }

        // 3. Into place: created files first, then each config after its backup.
        self.place_created(&mut created)?;
        self.place_configs(&mut configs, &mut outcome)?;
        Ok(outcome)
    }

    /// Writes the temporary file of every created file and config, beside its target.
    fn write_temps(
        &mut self,
        created: &mut [PendingCreated<'_>],
        configs: &mut [PendingConfig<'_>],
    ) -> Result<(), WriteError> {
        for pending in created {
            let dir = parent_dir(&pending.file.path);
            self.create_dirs(&dir)?;
            let temp = write_temp(&dir, &pending.file.contents, pending.file.mode, None)
                .map_err(io_err(&pending.file.path, "write a temporary file"))?;
            pending.temp = Some(temp);
        }
        for pending in configs {
            let existing = match fs::metadata(&pending.target) {
                Ok(meta) => Some(meta),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_err(&pending.write.path, "read the file's metadata")(e)),
            };
            let mode = existing.as_ref().map_or(pending.write.new_mode, file_mode);
            let temp = write_temp(
                &parent_dir(&pending.target),
                &pending.write.contents,
                mode,
                existing.as_ref(),
            )
            .map_err(io_err(
                &pending.write.path,
                "write a temporary file beside it",
            ))?;
            pending.temp = Some(temp);
        }
        Ok(())
    }

    /// Moves each created file into place, never over an existing file.
    fn place_created(&mut self, created: &mut [PendingCreated<'_>]) -> Result<(), WriteError> {
        for pending in created {
            let Some(temp) = pending.temp.take() else {
                continue;
            };
            let path = &pending.file.path;
            match temp.persist_noclobber(path) {
                Ok(_) => self.created_files.push(path.clone()),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(WriteError::WouldOverwrite { path: path.clone() });
                }
                Err(e) => return Err(io_err(path, "create the file")(e.error)),
            }
            sync_dir(&parent_dir(path));
        }
        Ok(())
    }

    /// Replaces each config, after its backup and a last check that it did not change.
    fn place_configs(
        &mut self,
        configs: &mut [PendingConfig<'_>],
        outcome: &mut WriteOutcome,
    ) -> Result<(), WriteError> {
        for pending in configs {
            let backup = match (&pending.write.backup_suffix, &pending.write.original) {
                (Some(suffix), Some(original)) => {
                    let meta = fs::metadata(&pending.target)
                        .map_err(io_err(&pending.write.path, "read the file's metadata"))?;
                    let backup = make_backup(&pending.target, suffix, original, &meta)
                        .map_err(io_err(&pending.write.path, "write the backup"))?;
                    self.backups.push(backup.clone());
                    Some(backup)
                }
                _ => None,
            };
            check_unchanged(pending)?;
            let Some(temp) = pending.temp.take() else {
                continue;
            };
            let mode = fs::metadata(&pending.target).ok().map(|m| file_mode(&m));
            temp.persist(&pending.target)
                .map_err(|e| io_err(&pending.write.path, "replace the file")(e.error))?;
            self.replaced
                .push((pending.target.clone(), pending.write.original.clone(), mode));
            sync_dir(&parent_dir(&pending.target));
            outcome.configs.push(WrittenConfig {
                path: pending.write.path.clone(),
                target: pending.target.clone(),
                backup,
            });
        }
        Ok(())
    }

    /// Creates `dir` and any missing parents, remembering them to remove on rollback.
    fn create_dirs(&mut self, dir: &Path) -> Result<(), WriteError> {
        let mut missing = Vec::new();
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if d.as_os_str().is_empty() || d.exists() {
                break;
            }
            missing.push(d.to_owned());
            cur = d.parent();
        }
        for d in missing.into_iter().rev() {
            match fs::create_dir(&d) {
                Ok(()) => self.created_dirs.push(d),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&d, "create the directory")(e)),
            }
        }
        Ok(())
    }

    /// Undoes what was done; returns the paths that could not be restored.
    fn rollback(&mut self) -> Vec<PathBuf> {
        let mut leftovers = Vec::new();
        for (target, original, mode) in self.replaced.drain(..).rev() {
            let restored = match original {
                Some(content) => restore(&target, &content, mode),
                None => fs::remove_file(&target),
            };
            if restored.is_err() {
                leftovers.push(target);
            }
        }
        for path in self.backups.drain(..).chain(self.created_files.drain(..)) {
            if fs::remove_file(&path).is_err() {
                leftovers.push(path);
            }
        }
        for dir in self.created_dirs.drain(..).rev() {
            if fs::remove_dir(&dir).is_err() {
                leftovers.push(dir);
            }
        }
        leftovers
    }
}

/// The configs of a plan with their targets (links resolved), refusing one target twice.
fn pending_configs(plan: &WritePlan) -> Result<Vec<PendingConfig<'_>>, WriteError> {
    let mut configs = Vec::new();
    let mut seen = Vec::new();
    for write in &plan.configs {
        let target = resolve_target(&write.path)?;
        let identity = fs::canonicalize(&target).unwrap_or_else(|_| target.clone());
        if seen.contains(&identity) {
            return Err(WriteError::Duplicate {
                path: write.path.clone(),
            });
        }
        seen.push(identity);
        configs.push(PendingConfig {
            write,
            target,
            temp: None,
        });
    }
    Ok(configs)
}

/// The files to create, each once: a file with the same contents there already is recorded
/// as present and left alone; a different one is never overwritten.
fn pending_created<'p>(
    plan: &'p WritePlan,
    outcome: &mut WriteOutcome,
) -> Result<Vec<PendingCreated<'p>>, WriteError> {
    let mut created = Vec::new();
    for (i, file) in plan.created.iter().enumerate() {
        // Two steps (or two configs) may ask for the same file: fine when they agree.
        if let Some(first) = plan.created[..i].iter().find(|f| f.path == file.path) {
            if first.contents != file.contents {
                return Err(WriteError::WouldOverwrite {
                    path: file.path.clone(),
                });
            }
            continue;
        }
        let already_present = match fs::read(&file.path) {
            Ok(existing) if existing == file.contents => true,
            Ok(_) => {
                return Err(WriteError::WouldOverwrite {
                    path: file.path.clone(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(io_err(&file.path, "read the existing file")(e)),
        };
        outcome.created.push(CreatedOutcome {
            path: file.path.clone(),
            mode: file.mode,
            size: file.contents.len() as u64,
            already_present,
        });
        if !already_present {
            created.push(PendingCreated { file, temp: None });
        }
    }
    Ok(created)
}

/// The file a write goes to: the final target of a symlink, the path itself otherwise.
fn resolve_target(path: &Path) -> Result<PathBuf, WriteError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = fs::canonicalize(path).map_err(io_err(path, "follow the symlink"))?;
            if !fs::metadata(&target).is_ok_and(|m| m.is_file()) {
                return Err(WriteError::NotAFile {
                    path: path.to_owned(),
                });
            }
            Ok(target)
        }
        Ok(meta) if meta.is_file() => Ok(path.to_owned()),
        Ok(_) => Err(WriteError::NotAFile {
            path: path.to_owned(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(path.to_owned()),
        Err(e) => Err(io_err(path, "read the file's metadata")(e)),
    }
}

fn check_unchanged(pending: &PendingConfig<'_>) -> Result<(), WriteError> {
    let now = match fs::read(&pending.target) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&pending.write.path, "read the file again")(e)),
    };
    if now != pending.write.original {
        return Err(WriteError::Changed {
            path: pending.write.path.clone(),
        });
    }
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// A complete temporary file in `dir` with the given permissions (and the owner of `like`).
fn write_temp(
    dir: &Path,
    contents: &[u8],
    mode: u32,
    like: Option<&fs::Metadata>,
) -> io::Result<NamedTempFile> {
    let mut temp = tempfile::Builder::new()
        .prefix(".pomerium-migrate-")
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    temp.flush()?;
    set_mode(temp.as_file(), mode)?;
    if let Some(meta) = like {
        set_owner(temp.as_file(), meta)?;
    }
    temp.as_file().sync_all()?;
    Ok(temp)
}

/// Keeps `original` as `target` + suffix, or + suffix + `.N` for the first free N.
fn make_backup(
    target: &Path,
    suffix: &str,
    original: &[u8],
    meta: &fs::Metadata,
) -> io::Result<PathBuf> {
    let dir = parent_dir(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = write_temp(&dir, original, file_mode(meta), Some(meta))?;
    for n in 0u32.. {
        let candidate = if n == 0 {
            dir.join(format!("{name}{suffix}"))
        } else {
            dir.join(format!("{name}{suffix}.{n}"))
        };
        match temp.persist_noclobber(&candidate) {
            Ok(_) => {
                sync_dir(&dir);
                return Ok(candidate);
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => temp = e.file,
            Err(e) => return Err(e.error),
        }
    }
    Err(io::Error::other("no free backup name"))
}

/// Writes `content` back over `target` (rollback of a replaced config).
fn restore(target: &Path, content: &[u8], mode: Option<u32>) -> io::Result<()> {
    let temp = write_temp(&parent_dir(target), content, mode.unwrap_or(0o600), None)?;
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// Makes renames in `dir` durable; a failure here loses nothing already renamed, so it is
/// ignored (some file systems do not support syncing directories).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(unix)]
fn file_mode(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn file_mode(meta: &fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode & 0o7777))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Gives the new file the original's owner and group when they differ from ours; refuses when
/// that is not allowed, rather than silently handing the config to another user.
#[cfg(unix)]
fn set_owner(file: &File, like: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let ours = file.metadata()?;
    if ours.uid() == like.uid() && ours.gid() == like.gid() {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid())).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot give the new file the original's owner and group ({e})"),
        )
    })
}

#[cfg(not(unix))]
fn set_owner(_file: &File, _like: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(path: &Path, original: Option<&str>, new: &str) -> ConfigWrite {
        ConfigWrite {
            path: path.to_owned(),
            original: original.map(|s| s.as_bytes().to_vec()),
            contents: new.as_bytes().to_vec(),
            backup_suffix: Some(DEFAULT_BACKUP_SUFFIX.to_owned()),
            new_mode: 0o600,
        }
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|e| format!("<{e}>"))
    }

    #[test]
    fn replaces_the_file_and_keeps_a_backup() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("config.yaml");
        fs::write(&path, "old\n")?;
        let plan = WritePlan {
            configs: vec![config(&path, Some("old\n"), "new\n")],
            created: vec![],
        };
        let out = commit(&plan).map_err(io::Error::other)?;
        assert_eq!(read(&path), "new\n");
        let backup = dir.path().join("config.yaml.bak");
        assert_eq!(out.configs[0].backup.as_deref(), Some(backup.as_path()));
        assert_eq!(read(&backup), "old\n");
        Ok(())
    }

    #[test]
    fn backups_are_never_overwritten() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "v0\n")?;
        fs::write(dir.path().join("c.yaml.bak"), "precious\n")?;
        for (old, new) in [("v0\n", "v1\n"), ("v1\n", "v2\n")] {
            let plan = WritePlan {
                configs: vec![config(&path, Some(old), new)],
                created: vec![],
            };
            commit(&plan).map_err(io::Error::other)?;
        }
        assert_eq!(read(&dir.path().join("c.yaml.bak")), "precious\n");
        assert_eq!(read(&dir.path().join("c.yaml.bak.1")), "v0\n");
        assert_eq!(read(&dir.path().join("c.yaml.bak.2")), "v1\n");
        assert_eq!(read(&path), "v2\n");
        Ok(())
    }

    #[test]
    fn a_file_changed_during_the_run_is_not_written() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n")?;
        let cert = dir.path().join("certs/a.pem");
        let plan = WritePlan {
            configs: vec![config(&path, Some("old\n"), "new\n")],
            created: vec![CreatedFile {
                path: cert.clone(),
                mode: 0o644,
                contents: b"PEM".to_vec(),
            }],
        };
        let err = commit_with(&plan, &mut || {
            let _ = fs::write(&path, "edited by someone else\n");
        });
        assert!(matches!(err, Err(WriteError::Changed { .. })), "{err:?}");
        assert_eq!(err.map(|_| ()).err().map(|e| e.exit_code()), Some(3));
        assert_eq!(read(&path), "edited by someone else\n");
        let mut names: Vec<_> = fs::read_dir(dir.path())?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        assert_eq!(names, vec![std::ffi::OsString::from("c.yaml")]);
        Ok(())
    }

    #[test]
    fn created_files_get_their_mode_and_never_replace_other_content() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n")?;
        let key = dir.path().join("certs/k.pem");
        let same = dir.path().join("same.pem");
        fs::write(&same, "S")?;
        let plan = WritePlan {
            configs: vec![config(&path, Some("old\n"), "new\n")],
            created: vec![
                CreatedFile {
                    path: key.clone(),
                    mode: 0o600,
                    contents: b"KEY".to_vec(),
                },
                CreatedFile {
                    path: same.clone(),
                    mode: 0o644,
                    contents: b"S".to_vec(),
                },
            ],
        };
        let out = commit(&plan).map_err(io::Error::other)?;
        assert_eq!(read(&key), "KEY");
        assert!(!out.created[0].already_present);
        assert!(out.created[1].already_present);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&key)?.permissions().mode() & 0o777, 0o600);
        }

        fs::write(&path, "new\n")?;
        fs::write(&key, "OTHER")?;
        let again = WritePlan {
            configs: vec![config(&path, Some("new\n"), "newer\n")],
            created: vec![CreatedFile {
                path: key.clone(),
                mode: 0o600,
                contents: b"KEY".to_vec(),
            }],
        };
        let err = commit(&again);
        assert!(matches!(err, Err(WriteError::WouldOverwrite { .. })));
        assert_eq!(read(&key), "OTHER");
        assert_eq!(read(&path), "new\n");
        Ok(())
    }

    /// A file that appears at a created file's path after the plan was checked is not replaced
    /// (`WouldOverwrite`), and any other failure to place it is an I/O error, not that; in both
    /// cases the config is left as it was.
    #[test]
    fn a_created_file_that_appears_meanwhile_is_not_replaced() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n")?;
        // The directory exists already: rollback has no directory of its own to remove.
        fs::create_dir(dir.path().join("certs"))?;
        let key = dir.path().join("certs/a-key.pem");
        let plan = WritePlan {
            configs: vec![config(&path, Some("old\n"), "new\n")],
            created: vec![CreatedFile {
                path: key.clone(),
                mode: 0o600,
                contents: b"KEY".to_vec(),
            }],
        };
        let err = commit_with(&plan, &mut || {
            let _ = fs::write(&key, "OTHER");
        });
        assert!(
            matches!(&err, Err(WriteError::WouldOverwrite { path }) if *path == key),
            "{err:?}"
        );
        assert_eq!(read(&key), "OTHER");
        assert_eq!(read(&path), "old\n");

        // The directory (with the temporary file in it) vanishes: an I/O error.
        fs::remove_file(&key)?;
        let err = commit_with(&plan, &mut || {
            let _ = fs::remove_dir_all(dir.path().join("certs"));
        });
        assert!(matches!(err, Err(WriteError::Io { .. })), "{err:?}");
        assert_eq!(read(&path), "old\n");
        Ok(())
    }

    /// A config full of secrets is often 0600: its backup must not be readable by more people
    /// than the original (issue 14). 0640 too, so that a fixed mode cannot pass by chance.
    #[cfg(unix)]
    #[test]
    fn backups_keep_the_mode_of_the_original() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        for mode in [0o600, 0o640] {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("c.yaml");
            fs::write(&path, "old\n")?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
            let mut write = config(&path, Some("old\n"), "new\n");
            // The mode given for new files must not leak into the backup.
            write.new_mode = 0o644;
            let out = commit(&WritePlan {
                configs: vec![write],
                created: vec![],
            })
            .map_err(io::Error::other)?;
            let backup = out.configs[0]
                .backup
                .clone()
                .ok_or_else(|| io::Error::other("no backup was made"))?;
            assert_eq!(read(&backup), "old\n");
            assert_eq!(
                fs::metadata(&backup)?.permissions().mode() & 0o7777,
                mode,
                "backup mode"
            );
            assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o7777, mode);
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_kept_and_symlinks_edited_at_their_target() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let real = dir.path().join("real.yaml");
        fs::write(&real, "old\n")?;
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640))?;
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&real, &link)?;
        let mut write = config(&link, Some("old\n"), "new\n");
        write.backup_suffix = None;
        let out = commit(&WritePlan {
            configs: vec![write],
            created: vec![],
        })
        .map_err(io::Error::other)?;
        assert!(fs::symlink_metadata(&link)?.file_type().is_symlink());
        assert_eq!(read(&real), "new\n");
        assert_eq!(fs::metadata(&real)?.permissions().mode() & 0o777, 0o640);
        assert_eq!(out.configs[0].target, fs::canonicalize(&real)?);
        Ok(())
    }

    #[test]
    fn a_failed_config_write_removes_created_files() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n")?;
        // The output's directory is a regular file: no temporary file can go there (even for
        // root, whom permissions would not stop).
        let blocker = dir.path().join("blocker");
        fs::write(&blocker, "")?;
        let certs = dir.path().join("certs");
        let plan = WritePlan {
            configs: vec![
                config(&path, Some("old\n"), "new\n"),
                config(&blocker.join("out.yaml"), None, "new\n"),
            ],
            created: vec![CreatedFile {
                path: certs.join("a.pem"),
                mode: 0o644,
                contents: b"PEM".to_vec(),
            }],
        };
        let err = commit(&plan);
        assert!(matches!(err, Err(WriteError::Io { .. })), "{err:?}");
        assert_eq!(read(&path), "old\n");
        assert!(!certs.exists(), "the certs directory was left behind");
        assert!(!dir.path().join("c.yaml.bak").exists());
        Ok(())
    }

    #[test]
    fn rollback_restores_replaced_files_and_removes_what_was_created() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = dir.path().join("a.yaml");
        let second = dir.path().join("b.yaml");
        fs::write(&first, "a-old\n")?;
        fs::write(&second, "b-old\n")?;
        let plan = WritePlan {
            configs: vec![
                config(&first, Some("a-old\n"), "a-new\n"),
                config(&second, Some("b-old\n"), "b-new\n"),
            ],
            created: vec![CreatedFile {
                path: dir.path().join("certs/x.pem"),
                mode: 0o644,
                contents: b"PEM".to_vec(),
            }],
        };
        // Everything done, then undone as a failure of a later write would undo it.
        let mut tx = Transaction::default();
        assert!(tx.run(&plan, &mut || {}).is_ok());
        assert_eq!(read(&first), "a-new\n");
        assert_eq!(read(&second), "b-new\n");
        assert!(tx.rollback().is_empty());
        assert_eq!(read(&first), "a-old\n");
        assert_eq!(read(&second), "b-old\n");
        let mut names: Vec<_> = fs::read_dir(dir.path())?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        assert_eq!(names, ["a.yaml", "b.yaml"]);
        Ok(())
    }

    #[test]
    fn a_new_output_file_is_created_but_not_over_a_file_that_appeared() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let out_path = dir.path().join("out.yaml");
        let plan = WritePlan {
            configs: vec![config(&out_path, None, "new\n")],
            created: vec![],
        };
        let err = commit_with(&plan, &mut || {
            let _ = fs::write(&out_path, "appeared\n");
        });
        assert!(matches!(err, Err(WriteError::Changed { .. })));
        assert_eq!(read(&out_path), "appeared\n");
        fs::remove_file(&out_path)?;
        let out = commit(&plan).map_err(io::Error::other)?;
        assert_eq!(read(&out_path), "new\n");
        assert_eq!(out.configs[0].backup, None);
        Ok(())
    }

    #[test]
    fn the_same_file_twice_is_refused() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n")?;
        let plan = WritePlan {
            configs: vec![
                config(&path, Some("old\n"), "a\n"),
                config(&dir.path().join("./c.yaml"), Some("old\n"), "b\n"),
            ],
            created: vec![],
        };
        assert!(matches!(commit(&plan), Err(WriteError::Duplicate { .. })));
        assert_eq!(read(&path), "old\n");
        Ok(())
    }

    /// Two steps may ask for the same file: once when they agree on its contents, refused when
    /// they do not (neither version may win silently).
    #[test]
    fn one_file_asked_for_twice_is_created_once_or_refused() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let key = dir.path().join("certs/k.pem");
        let file = |contents: &[u8]| CreatedFile {
            path: key.clone(),
            mode: 0o600,
            contents: contents.to_vec(),
        };
        let agree = WritePlan {
            configs: vec![],
            created: vec![file(b"KEY"), file(b"KEY")],
        };
        let out = commit(&agree).map_err(io::Error::other)?;
        assert_eq!(out.created.len(), 1);
        assert_eq!(read(&key), "KEY");

        let other = dir.path().join("certs/o.pem");
        let disagree = WritePlan {
            configs: vec![],
            created: vec![
                CreatedFile {
                    path: other.clone(),
                    mode: 0o600,
                    contents: b"ONE".to_vec(),
                },
                CreatedFile {
                    path: other.clone(),
                    mode: 0o600,
                    contents: b"TWO".to_vec(),
                },
            ],
        };
        let err = commit(&disagree);
        assert!(
            matches!(&err, Err(WriteError::WouldOverwrite { path }) if *path == other),
            "{err:?}"
        );
        assert!(!other.exists());
        Ok(())
    }

    /// A created file's path that cannot be read (here: it is a directory) is a system error
    /// (exit 2), not taken for a free path.
    #[test]
    fn an_unreadable_created_path_is_an_io_error() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let taken = dir.path().join("k.pem");
        fs::create_dir(&taken)?;
        let plan = WritePlan {
            configs: vec![],
            created: vec![CreatedFile {
                path: taken.clone(),
                mode: 0o600,
                contents: b"KEY".to_vec(),
            }],
        };
        let err = commit(&plan);
        assert!(
            matches!(&err, Err(WriteError::Io { action, .. }) if *action == "read the existing file"),
            "{err:?}"
        );
        assert_eq!(err.err().map(|e| e.exit_code()), Some(2));
        assert!(taken.is_dir());
        Ok(())
    }

    /// A regular file is written at the path given, however it is spelt (only a symlink is
    /// followed to its target); a directory is refused as not a file.
    #[test]
    fn a_regular_file_is_its_own_target_and_a_directory_is_refused() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        fs::create_dir(dir.path().join("sub"))?;
        let path = dir.path().join("sub/../c.yaml");
        fs::write(&path, "old\n")?;
        let mut write = config(&path, Some("old\n"), "new\n");
        write.backup_suffix = None;
        let out = commit(&WritePlan {
            configs: vec![write],
            created: vec![],
        })
        .map_err(io::Error::other)?;
        assert_eq!(out.configs[0].target, path);
        assert_eq!(read(&path), "new\n");

        let sub = dir.path().join("sub");
        let err = commit(&WritePlan {
            configs: vec![config(&sub, Some("old\n"), "new\n")],
            created: vec![],
        });
        assert!(
            matches!(&err, Err(WriteError::NotAFile { path }) if *path == sub),
            "{err:?}"
        );
        assert!(sub.is_dir());
        Ok(())
    }

    /// A config that cannot be read again before it is replaced (here a directory took its
    /// place) is reported as a failure to read it, and nothing is written.
    #[test]
    fn a_config_that_cannot_be_read_again_is_an_io_error() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n")?;
        let plan = WritePlan {
            configs: vec![config(&path, Some("old\n"), "new\n")],
            created: vec![],
        };
        let err = commit_with(&plan, &mut || {
            let _ = fs::remove_file(&path);
            let _ = fs::create_dir(&path);
        });
        assert!(
            matches!(&err, Err(WriteError::Io { action, .. }) if *action == "read the file again"),
            "{err:?}"
        );
        assert!(path.is_dir());
        assert!(!dir.path().join("c.yaml.bak").exists());
        Ok(())
    }

    /// A backup that cannot be made for any reason but a taken name (here: the name with the
    /// suffix is too long for the file system) fails the write at once, leaving the config and
    /// its directory as they were.
    #[test]
    fn a_backup_that_cannot_be_made_fails_the_write() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        // 253 bytes: a valid name, but not with ".bak" after it (most file systems allow 255).
        let path = dir.path().join(format!("{}.yaml", "c".repeat(248)));
        fs::write(&path, "old\n")?;
        let err = commit(&WritePlan {
            configs: vec![config(&path, Some("old\n"), "new\n")],
            created: vec![],
        });
        assert!(
            matches!(&err, Err(WriteError::Io { action, .. }) if *action == "write the backup"),
            "{err:?}"
        );
        assert_eq!(read(&path), "old\n");
        assert_eq!(fs::read_dir(dir.path())?.count(), 1);
        Ok(())
    }
}

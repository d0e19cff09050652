//! Write planning for `apply`: where each migrated config goes ([`Destination`]), which files
//! actually change, their backups and permissions, and the files steps create, gathered into
//! one [`WritePlan`] that [`write::commit`] carries out all or nothing. After the commit, what
//! was written is recorded in the report.

use std::io;
use std::path::Path;

use super::CliError;
use crate::report::{Report, WrittenReport};
use crate::runner::{Destination, FileRun, Source};
use crate::write::{self, ConfigWrite, WriteError, WriteOutcome, WritePlan};

/// What `apply` writes: the plan for files, where each config goes (in the order of the files),
/// and the text for stdout when a config goes there.
pub(super) struct PlannedWrites<'a> {
    pub plan: WritePlan,
    pub destinations: Vec<Destination>,
    pub stdout: Option<&'a str>,
}

/// The backup suffix `--backup[=SUFFIX]`/`--no-backup` ask for (`.bak` by default).
pub(super) fn backup_suffix(
    backup: Option<&str>,
    no_backup: bool,
) -> Result<Option<String>, CliError> {
    if no_backup {
        return Ok(None);
    }
    let suffix = backup.unwrap_or(write::DEFAULT_BACKUP_SUFFIX);
    if suffix.is_empty() {
        return Err(CliError::Usage(
            "--backup= needs a suffix (e.g. --backup=.orig), or use --no-backup".into(),
        ));
    }
    Ok(Some(suffix.to_owned()))
}

/// Plans the writes of every migrated file: its config (unless in place and unchanged) and the
/// files its steps create.
///
/// A config going to stdout whose steps create files (decoded certificates) needs
/// `certs_dir_given`: otherwise private keys would land in whatever directory the command runs
/// in.
pub(super) fn plan_writes<'a>(
    files: &[&'a FileRun],
    output: Option<&Path>,
    backup_suffix: Option<&str>,
    certs_dir_given: bool,
) -> Result<PlannedWrites<'a>, CliError> {
    let mut planned = PlannedWrites {
        plan: WritePlan::default(),
        destinations: Vec::new(),
        stdout: None,
    };
    for &file in files {
        let destination = Destination::of(&file.input.source, output);
        match &destination {
            Destination::Stdout => {
                if !certs_dir_given && !file.created.is_empty() {
                    let paths: Vec<String> = file
                        .created
                        .iter()
                        .map(|c| c.path.display().to_string())
                        .collect();
                    return Err(CliError::Usage(format!(
                        "{}: the migrated config goes to stdout, but the run also writes files \
                         ({}); say where with --certs-dir DIR",
                        file.input.source.display(),
                        paths.join(", ")
                    )));
                }
                planned.stdout = Some(file.result().text());
            }
            Destination::File(path) => {
                if let Some(write) = config_write(file, path, backup_suffix)? {
                    planned.plan.configs.push(write);
                }
            }
        }
        planned.plan.created.extend(file.created.iter().cloned());
        planned.destinations.push(destination);
    }
    Ok(planned)
}

/// The write of one migrated config to `path`; `None` when it is written in place and did not
/// change (the file and its timestamps are left alone).
fn config_write(
    file: &FileRun,
    path: &Path,
    backup_suffix: Option<&str>,
) -> Result<Option<ConfigWrite>, CliError> {
    let in_place = file.input.source.path() == Some(path);
    let original = if in_place {
        Some(file.input.bytes().to_vec())
    } else {
        read_existing(path)?
    };
    let contents = file.result().text().as_bytes().to_vec();
    if original.as_deref() == Some(contents.as_slice()) {
        return Ok(None);
    }
    Ok(Some(ConfigWrite {
        path: path.to_owned(),
        original,
        contents,
        backup_suffix: backup_suffix.map(str::to_owned),
        new_mode: input_mode(&file.input.source),
    }))
}

/// `-o PATH` must go into an existing directory: the tool creates only `--certs-dir`.
pub(super) fn check_output_dir(out: &Path) -> Result<(), CliError> {
    if out.as_os_str() == "-" {
        return Ok(());
    }
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir.filter(|d| !d.is_dir()) {
        let what = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist; create it first (only --certs-dir is created when missing)"
        };
        return Err(CliError::Usage(format!(
            "-o {}: {} {what}",
            out.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Records in the report where each config was written (and its backup), and which created
/// files were there already.
pub(super) fn record_outcome(
    report: &mut Report,
    destinations: &[Destination],
    outcome: &WriteOutcome,
) {
    for (entry, destination) in report.files.iter_mut().zip(destinations) {
        entry.written = match destination {
            Destination::Stdout => Some(WrittenReport {
                path: "-".into(),
                backup: None,
            }),
            Destination::File(path) => {
                outcome
                    .configs
                    .iter()
                    .find(|w| &w.path == path)
                    .map(|w| WrittenReport {
                        path: w.path.display().to_string(),
                        backup: w.backup.as_ref().map(|b| b.display().to_string()),
                    })
            }
        };
        for created in &mut entry.created {
            if let Some(done) = outcome
                .created
                .iter()
                .find(|c| c.path.display().to_string() == created.path)
            {
                created.already_present = done.already_present;
            }
        }
    }
}

/// The content of an output file that exists already, to check it is not changed meanwhile.
fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, CliError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(WriteError::Io {
            path: path.to_owned(),
            action: "read the existing output file",
            source,
        }
        .into()),
    }
}

/// The permissions a new output file gets: those of the input (a config holds secrets, so
/// stdin input gives owner-only).
fn input_mode(source: &Source) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Some(meta) = source.path().and_then(|p| std::fs::metadata(p).ok()) {
            return meta.permissions().mode() & 0o7777;
        }
    }
    let _ = source;
    0o600
}

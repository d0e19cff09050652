//! A run over many files: each file is parsed and migrated on its own (a refused file does not
//! stop the others), in parallel, with the results in the order the files were collected.
//!
//! Console configs take values from a Core config (the signing key, the authenticate URL, …).
//! Which one: the single Core config of the run in the console file's own directory or in the
//! nearest ancestor directory that holds any. When that directory holds several, or none holds
//! any, the console file gets none, and its steps use `--set` values or report an action. Files
//! named on the command line keep the older rule too: a console config named together with
//! exactly one named Core config takes values from it wherever the two live.
//!
//! The work runs on rayon's pool in three phases: parse and detect every file, migrate the Core
//! configs, then the console configs (which need their Core's migrated data). The pool's size
//! follows `RAYON_NUM_THREADS` (or `--jobs`).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::collect::Entry;
use crate::document::Value;
use crate::runner::{self, FileRun, Prepared, RunConfig, RunError, Source};
use crate::step::FileKind;
use crate::surface::dotenv::EnvFileRef;

/// One file of the run: its report path and what became of it.
#[derive(Debug)]
pub struct Outcome {
    /// The path as reported (`-` for stdin).
    pub path: String,
    pub result: Result<FileRun, RunError>,
    /// The Core config a console file took values from, when it took any.
    pub core: Option<String>,
}

/// Runs the chain over every collected file. The error is for the run as a whole (a version
/// that is not known, stdin or one file named twice); what goes wrong for one file is in its
/// [`Outcome`].
pub fn run(entries: Vec<Entry>, config: &RunConfig<'_>) -> Result<Vec<Outcome>, RunError> {
    runner::check_versions(config.from, config.to, config.steps)?;
    runner::check_settings(config.options.set.keys(), config.steps)?;
    let (entries, named) = with_env_files(entries, config);
    let entries = distinct(entries)?;

    // Phase 1: parse and detect.
    let mut prepared: Vec<(String, bool, Result<Prepared, RunError>)> = entries
        .into_par_iter()
        .map(|entry| {
            let prepared = entry.input.and_then(|input| runner::prepare(input, config));
            (entry.path, entry.explicit, prepared)
        })
        .collect();
    name_env_files(&mut prepared, &named);

    let places: Vec<Place> = prepared
        .iter()
        .map(|(_, explicit, p)| Place {
            // Only config files pair: a compose file or manifest is no Core config to take
            // values from.
            kind: p
                .as_ref()
                .ok()
                .filter(|p| matches!(p.surface(), crate::surface::Surface::Config(_)))
                .map(Prepared::kind),
            dir: p.as_ref().ok().and_then(|p| directory_of(p.source())),
            explicit: *explicit,
        })
        .collect();
    let cores_of: Vec<Option<usize>> = (0..places.len())
        .map(|i| match places[i].kind {
            Some(FileKind::Console) => core_for(i, &places),
            _ => None,
        })
        .collect();
    let paths: Vec<String> = prepared.iter().map(|(path, _, _)| path.clone()).collect();

    // Phase 2: everything but console configs; console configs wait.
    let (done, waiting): (Vec<Result<FileRun, RunError>>, Vec<Option<Prepared>>) = prepared
        .into_par_iter()
        .map(|(_, _, prepared)| match prepared {
            Ok(p) if p.kind() == FileKind::Console => (Err(RunError::StdinTwice), Some(p)),
            Ok(p) => (runner::migrate_one(p, config, None), None),
            Err(e) => (Err(e), None),
        })
        .unzip();
    // Only a Core config that a console config of the run takes values from needs its migrated
    // data built (a copy of the whole file's data).
    let needed: std::collections::HashSet<usize> = cores_of.iter().flatten().copied().collect();
    let core_data: Vec<Option<Value>> = done
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Ok(file) if file.kind == FileKind::Core && needed.contains(&i) => {
                runner::result_data(file)
            }
            _ => None,
        })
        .collect();

    // Phase 3: console configs, with their Core's migrated data.
    let consoles: Vec<Option<Result<FileRun, RunError>>> = waiting
        .into_par_iter()
        .zip(cores_of.par_iter())
        .map(|(p, core)| {
            p.map(|p| runner::migrate_one(p, config, core.and_then(|c| core_data[c].as_ref())))
        })
        .collect();

    Ok(done
        .into_iter()
        .zip(consoles)
        .zip(paths.iter().zip(&cores_of))
        .map(|((first, console), (path, core))| Outcome {
            path: path.clone(),
            core: core
                .filter(|&c| console.is_some() && core_data[c].is_some())
                .map(|c| paths[c].clone()),
            // A console config's result replaces the placeholder of phase 2.
            result: console.unwrap_or(first),
        })
        .collect())
}

/// What pairing needs to know about a file.
struct Place {
    kind: Option<FileKind>,
    /// The file's directory, resolved (`None` for stdin or an unreadable file).
    dir: Option<PathBuf>,
    explicit: bool,
}

fn directory_of(source: &Source) -> Option<PathBuf> {
    let path = source.path()?;
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    path.parent().map(Path::to_owned)
}

/// The Core config console file `i` takes values from (see the module documentation).
fn core_for(i: usize, places: &[Place]) -> Option<usize> {
    let cores: Vec<usize> = places
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == Some(FileKind::Core))
        .map(|(j, _)| j)
        .collect();
    if let Some(dir) = &places[i].dir {
        let mut ancestor = Some(dir.as_path());
        while let Some(d) = ancestor {
            let here: Vec<usize> = cores
                .iter()
                .copied()
                .filter(|&c| places[c].dir.as_deref() == Some(d))
                .collect();
            match here.len() {
                0 => ancestor = d.parent(),
                1 => return Some(here[0]),
                _ => return None,
            }
        }
    }
    // No ancestor holds a Core config: the files named together on the command line.
    let named: Vec<usize> = cores
        .iter()
        .copied()
        .filter(|&c| places[c].explicit)
        .collect();
    (places[i].explicit && named.len() == 1).then(|| named[0])
}

/// Stdin at most once, and no file named twice on the command line; a file that a directory
/// or a glob finds again is dropped.
/// The files collected, then the `.env` files that the Pomerium services of the compose files
/// among them name in `env_file:` (`plan docker-compose.yml` plans those too; see
/// [`crate::surface::dotenv`]), with the services that name them. Not when `--kind` reads every
/// file as one thing.
fn with_env_files(
    mut entries: Vec<Entry>,
    config: &RunConfig<'_>,
) -> (Vec<Entry>, Vec<(PathBuf, EnvFileRef)>) {
    let surfaces = config.kind.is_none()
        && matches!(
            config.surface,
            None | Some(crate::surface::SurfaceKind::Compose)
        );
    if !surfaces {
        return (entries, Vec::new());
    }
    let paths: Vec<PathBuf> = entries
        .iter()
        .filter_map(|e| e.input.as_ref().ok())
        .filter_map(|i| i.source.path().map(Path::to_owned))
        .collect();
    let known: Vec<PathBuf> = paths.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let mut named: Vec<(PathBuf, EnvFileRef)> = Vec::new();
    for r in crate::surface::dotenv::env_files_of_run(&refs) {
        let Ok(identity) = r.path.canonicalize() else {
            continue;
        };
        if !known.contains(&identity) && named.iter().all(|(p, _)| *p != identity) {
            entries.push(Entry {
                path: r.path.display().to_string(),
                input: runner::Input::read(&r.path, &mut std::io::empty()),
                explicit: false,
            });
        }
        named.push((identity, r));
    }
    (entries, named)
}

/// Tells each `.env` file of the run which compose service of the run names it.
fn name_env_files(
    prepared: &mut [(String, bool, Result<Prepared, RunError>)],
    named: &[(PathBuf, EnvFileRef)],
) {
    if named.is_empty() {
        return;
    }
    for (_, _, p) in prepared.iter_mut() {
        let Ok(p) = p else {
            continue;
        };
        if p.surface() != crate::surface::Surface::Dotenv {
            continue;
        }
        let Some(identity) = p.source().path().and_then(|s| s.canonicalize().ok()) else {
            continue;
        };
        // A Core service first: a Console one only when no Core service names the file.
        let found = named
            .iter()
            .filter(|(n, _)| *n == identity)
            .map(|(_, r)| r)
            .min_by_key(|r| r.kind != FileKind::Core);
        if let Some(r) = found {
            p.set_named_by(r.clone());
        }
    }
}

fn distinct(entries: Vec<Entry>) -> Result<Vec<Entry>, RunError> {
    let stdin = entries
        .iter()
        .filter(|e| matches!(&e.input, Ok(i) if i.source == Source::Stdin))
        .count();
    if stdin > 1 {
        return Err(RunError::StdinTwice);
    }
    let mut seen: Vec<(PathBuf, bool)> = Vec::new();
    let mut keep = Vec::with_capacity(entries.len());
    for entry in entries {
        let identity = match &entry.input {
            Ok(input) => input
                .source
                .path()
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned())),
            Err(_) => None,
        };
        if let Some(identity) = identity {
            if let Some((_, explicit)) = seen.iter().find(|(p, _)| *p == identity) {
                if *explicit && entry.explicit {
                    return Err(RunError::SameFileTwice { path: entry.path });
                }
                continue;
            }
            seen.push((identity, entry.explicit));
        }
        keep.push(entry);
    }
    Ok(keep)
}

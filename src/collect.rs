//! Which files a run works on: the FILE arguments expanded.
//!
//! - `-` is stdin, and a path to a file is that file, whatever it holds: the user named it, so a
//!   file that cannot be read or parsed is refused with its error.
//! - A directory is walked recursively, honouring `.gitignore`, `.ignore` and the global git
//!   excludes (the [`ignore`] crate, the walker ripgrep uses; also outside a git repository), and
//!   skipping hidden files and directories.
//! - An argument that names no existing path and contains a glob character (`*`, `?`, `[`, `{`)
//!   is a glob, expanded here (a quoted glob reaches the tool unexpanded): the walk starts at the
//!   glob's longest literal directory prefix and keeps the files the pattern matches.
//!
//! Files found through a directory or a glob are taken by content: the file (a `.yaml`, `.yml`,
//! `.json` or `.toml` name) must parse and its top-level keys must look like a Pomerium config
//! ([`recognise`]), or it must be a deployment surface in which something runs Pomerium (a
//! docker-compose file with a Pomerium service, [`crate::surface`]). The others are skipped, with the reason, for `--verbose`. A directory or glob
//! that yields no Pomerium file is an error of its own (exit 2), so that `check deploy/` cannot
//! pass on nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use ignore::WalkBuilder;
use rayon::prelude::*;

use crate::document::Document;
use crate::document::Format;
use crate::keys;
use crate::report::Skipped;
use crate::runner::{self, Input, RunError, Source};

/// Why a manifest is skipped (it starts like the reason of other files that are not configs).
const NO_POMERIUM_OBJECT: &str = "not a Pomerium config: a Kubernetes manifest with no container running a Pomerium image \
     and no Pomerium config in a ConfigMap or Secret";

/// The file extensions a directory walk or a glob looks at (Pomerium's formats).
const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "toml"];

/// One file of the run, or why an argument gave none.
#[derive(Debug)]
pub struct Entry {
    /// The path as it will be reported (`-` for stdin).
    pub path: String,
    /// The file as read, or why it is refused.
    pub input: Result<Input, RunError>,
    /// Named on the command line (not found by walking a directory or expanding a glob).
    pub explicit: bool,
}

/// The files of a run, in argument order (a directory's files in path order).
#[derive(Debug, Default)]
pub struct Collected {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

/// Expands the FILE arguments (see the module documentation). Never fails as a whole: what goes
/// wrong for one argument is that argument's entry.
pub fn collect(args: &[PathBuf], input_format: Option<Format>, stdin: &mut dyn Read) -> Collected {
    let mut collected = Collected::default();
    for arg in args {
        if arg.as_os_str() == "-" || arg.is_file() || (!arg.is_dir() && !is_glob(arg)) {
            collected.entries.push(Entry {
                path: if arg.as_os_str() == "-" {
                    "-".into()
                } else {
                    arg.display().to_string()
                },
                input: Input::read(arg, stdin),
                explicit: true,
            });
            continue;
        }
        let found = if arg.is_dir() {
            walk(arg, None)
        } else {
            match glob_walk(arg) {
                Ok(found) => found,
                Err(error) => {
                    collected.entries.push(Entry {
                        path: arg.display().to_string(),
                        input: Err(error),
                        explicit: true,
                    });
                    continue;
                }
            }
        };
        let (taken, skipped) = pick(found, input_format);
        if taken.is_empty() {
            collected.entries.push(Entry {
                path: arg.display().to_string(),
                input: Err(RunError::NoPomeriumFile {
                    arg: arg.display().to_string(),
                    searched: skipped.len(),
                }),
                explicit: true,
            });
        }
        collected.entries.extend(taken);
        collected.skipped.extend(skipped);
    }
    collected
}

/// Whether an argument is a glob pattern rather than a path.
pub fn is_glob(arg: &Path) -> bool {
    arg.to_string_lossy()
        .chars()
        .any(|c| matches!(c, '*' | '?' | '[' | '{'))
}

/// The files under `root` with one of [`EXTENSIONS`] (and matching `glob`, when given), sorted.
fn walk(root: &Path, glob: Option<&GlobMatcher>) -> Vec<Result<PathBuf, Skipped>> {
    let mut found: Vec<Result<PathBuf, Skipped>> = WalkBuilder::new(root)
        // Honour .gitignore also when the tree is not (yet) a git repository.
        .require_git(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build()
        .filter_map(|entry| match entry {
            Ok(entry) => {
                let path = entry.path();
                let is_file = entry
                    .file_type()
                    .is_some_and(|t| t.is_file() || t.is_symlink());
                let wanted = is_file
                    && path.is_file()
                    && path
                        .extension()
                        .map(|e| e.to_string_lossy().to_ascii_lowercase())
                        .is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
                    && glob.is_none_or(|g| g.is_match(path));
                wanted.then(|| Ok(path.to_owned()))
            }
            Err(error) => Some(Err(Skipped {
                path: root.display().to_string(),
                reason: format!("cannot be walked: {error}"),
            })),
        })
        .collect();
    found.sort_by(|a, b| match (a, b) {
        (Ok(a), Ok(b)) => a.cmp(b),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(a), Err(b)) => a.path.cmp(&b.path),
    });
    found
}

/// Expands a glob: walks its literal directory prefix and keeps what the pattern matches.
fn glob_walk(arg: &Path) -> Result<Vec<Result<PathBuf, Skipped>>, RunError> {
    let pattern = arg.to_string_lossy();
    // Shell semantics: `*` and `?` stay within one path component, `**` crosses them.
    let matcher = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|error| RunError::BadGlob {
            arg: pattern.to_string(),
            reason: error.kind().to_string(),
        })?
        .compile_matcher();
    // The longest leading run of components without a glob character.
    let mut base = PathBuf::new();
    for component in arg.components() {
        if is_glob(Path::new(component.as_os_str())) {
            break;
        }
        base.push(component);
    }
    let root = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    // `./x` is reported as `x` by the walk started at `.` only if the pattern says so: match
    // both spellings.
    let strip_dot = !pattern.starts_with("./") && root == Path::new(".");
    Ok(walk(&root, None)
        .into_iter()
        .filter(|found| match found {
            Ok(path) => {
                let shown = if strip_dot {
                    path.strip_prefix(".").unwrap_or(path)
                } else {
                    path
                };
                matcher.is_match(shown)
            }
            Err(_) => true,
        })
        .map(|found| {
            found.map(|path| {
                if strip_dot {
                    path.strip_prefix(".").map(Path::to_owned).unwrap_or(path)
                } else {
                    path
                }
            })
        })
        .collect())
}

/// Reads and recognises the files a walk found (in parallel, keeping their order).
fn pick(
    found: Vec<Result<PathBuf, Skipped>>,
    input_format: Option<Format>,
) -> (Vec<Entry>, Vec<Skipped>) {
    let results: Vec<Result<Entry, Skipped>> = found
        .into_par_iter()
        .map(|found| {
            let path = found?;
            let shown = path.display().to_string();
            let input = Input::read(&path, &mut std::io::empty()).map_err(|e| Skipped {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
            let document = match runner::parse_input(&input, input_format) {
                Ok((_, document)) => document,
                // A manifest of several objects: taken when something in it runs Pomerium.
                Err(RunError::Parse {
                    source: crate::document::ParseError::MultipleDocuments { .. },
                    ..
                }) if let Some(stream) = crate::surface::manifest_stream(&input.text) => {
                    if crate::surface::components(
                        crate::surface::Surface::Kubernetes,
                        &stream,
                        false,
                    )
                    .is_empty()
                    {
                        return Err(Skipped {
                            path: shown,
                            reason: NO_POMERIUM_OBJECT.to_owned(),
                        });
                    }
                    return Ok(Entry {
                        path: shown,
                        input: Ok(input),
                        explicit: false,
                    });
                }
                Err(error) => {
                    return Err(Skipped {
                        path: shown,
                        reason: format!("does not parse: {}", strip_path(&error, &input.source)),
                    });
                }
            };
            match crate::surface::detect_surface(None, Some(&document)) {
                // A compose file is taken when a service runs Pomerium, and skipped with the
                // reason otherwise; it is never read as a config.
                Some((surface @ crate::surface::Surface::Compose, _)) => {
                    if crate::surface::components(surface, &document, false).is_empty() {
                        return Err(Skipped {
                            path: shown,
                            reason: "a docker-compose file with no Pomerium service".to_owned(),
                        });
                    }
                }
                Some((surface @ crate::surface::Surface::Kubernetes, _)) => {
                    if crate::surface::components(surface, &document, false).is_empty() {
                        return Err(Skipped {
                            path: shown,
                            reason: NO_POMERIUM_OBJECT.to_owned(),
                        });
                    }
                }
                // Helm values of Pomerium's charts always concern it.
                Some((crate::surface::Surface::Helm(_), _)) => {}
                _ => recognise(&document).map_err(|reason| Skipped {
                    path: shown.clone(),
                    reason,
                })?,
            }
            Ok(Entry {
                path: shown,
                input: Ok(input),
                explicit: false,
            })
        })
        .collect();
    let mut taken = Vec::new();
    let mut skipped = Vec::new();
    for result in results {
        match result {
            Ok(entry) => taken.push(entry),
            Err(skip) => skipped.push(skip),
        }
    }
    (taken, skipped)
}

/// An error's message without the leading `PATH:` (the skipped list names the file already).
fn strip_path(error: &RunError, source: &Source) -> String {
    let text = error.to_string();
    let path = source.display();
    text.strip_prefix(&path)
        .map(|rest| rest.trim_start_matches(':').trim_start().to_owned())
        .unwrap_or(text)
}

/// Top-level keys that Pomerium reads but other schemas use as well (docker-compose's
/// `services`, a route's `from`/`to` read at the top of a CI file, …): they do not make a file a
/// Pomerium config on their own.
const GENERIC_KEYS: &[&str] = &[
    "address",
    "data",
    "description",
    "from",
    "headers",
    "id",
    "name",
    "path",
    "services",
    "timeout",
    "to",
    "value",
];

/// Keys only the Enterprise Console reads (snake_case; dash-case spellings count the same).
const CONSOLE_KEYS: &[&str] = &[
    "audience",
    "bind_addr",
    "database_encryption_key",
    "database_url",
    "grpc_addr",
    "license_key",
];

/// Whether a parsed file looks like a Pomerium config: at least one top-level key that only
/// Pomerium (Core or Console) reads, and no more keys that Pomerium never reads than keys it
/// does. Keys starting with `x-` or `.` (YAML anchor holders) count for neither. `Err` says why
/// not.
pub fn recognise(document: &Document) -> Result<(), String> {
    let Some(root) = document.root().map(|r| document.resolve(r)) else {
        return Err("empty".into());
    };
    if !document.is_mapping(root) {
        return Err("not a mapping of options".into());
    }
    let mut pomerium = 0usize;
    let mut distinctive: Vec<String> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for entry in document.entries(root) {
        let key = entry.key;
        if key.starts_with("x-") || key.starts_with('.') || key == "<<" {
            continue;
        }
        let snake = key.replace('-', "_");
        let known = keys::lookup(&snake).is_some()
            || CONSOLE_KEYS.contains(&snake.as_str())
            || snake.starts_with("prometheus_");
        if known {
            pomerium += 1;
            if !GENERIC_KEYS.contains(&snake.as_str()) {
                distinctive.push(key.to_owned());
            }
        } else {
            foreign.push(key.to_owned());
        }
    }
    if distinctive.is_empty() {
        return Err(format!(
            "not a Pomerium config: no top-level key only Pomerium reads{}",
            describe_keys(" (keys: ", &foreign, ")")
        ));
    }
    if foreign.len() > pomerium {
        return Err(format!(
            "not a Pomerium config: more top-level keys Pomerium does not read{} than keys it \
             reads",
            describe_keys(" (", &foreign, ")")
        ));
    }
    Ok(())
}

fn describe_keys(open: &str, keys: &[String], close: &str) -> String {
    const SHOWN: usize = 4;
    if keys.is_empty() {
        return String::new();
    }
    let mut shown: Vec<String> = keys.iter().take(SHOWN).map(|k| format!("`{k}`")).collect();
    if keys.len() > SHOWN {
        shown.push(format!("{} more", keys.len() - SHOWN));
    }
    format!("{open}{}{close}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    fn recognised(text: &str) -> Result<(), String> {
        let doc = Document::parse(text.to_owned(), Format::Yaml).map_err(|e| e.to_string())?;
        recognise(&doc)
    }

    #[test]
    fn pomerium_configs_are_recognised_by_their_keys() {
        assert!(recognised("authenticate_service_url: https://a\nroutes: []\n").is_ok());
        assert!(recognised("database-url: x\nlicense-key: y\n").is_ok());
        assert!(recognised("x-defaults: &d {a: 1}\nidp_provider: google\n").is_ok());
    }

    #[test]
    fn other_yaml_is_not() {
        let compose = "version: '3'\nservices:\n  pomerium:\n    image: pomerium/pomerium\n";
        let err = recognised(compose).err().unwrap_or_default();
        assert!(
            err.contains("no top-level key only Pomerium reads"),
            "{err}"
        );
        assert!(err.contains("`version`"), "{err}");
        let workflow = "name: CI\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n";
        assert!(recognised(workflow).is_err());
        // One Pomerium-looking key among many foreign ones.
        let mixed = "log_level: info\nimage: x\nreplicas: 2\nresources: {}\n";
        let err = recognised(mixed).err().unwrap_or_default();
        assert!(err.contains("more top-level keys"), "{err}");
        assert!(recognised("").is_err());
        assert!(recognised("- a\n- b\n").is_err());
    }

    #[test]
    fn globs_are_told_from_paths() {
        assert!(is_glob(Path::new("deploy/*.yaml")));
        assert!(is_glob(Path::new("deploy/**/config.{yaml,toml}")));
        assert!(!is_glob(Path::new("deploy/config.yaml")));
    }
}

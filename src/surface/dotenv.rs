//! `.env` files: the variables a Pomerium container reads through a compose service's
//! `env_file:`.
//!
//! A `.env` file counts as Pomerium's only when a service that runs Pomerium names it in
//! `env_file:` (a path or a list of paths or of `{path: …}` entries, relative to the compose
//! file), in a compose file of the same run or in one beside it or in the directory above
//! (`*compose*.yml`/`.yaml`; other places are not searched), or when `--kind dotenv` says so. A compose project's own `.env` feeds `${…}` interpolation of the
//! compose file, not a container: it is skipped with a line saying so, never read as a config.
//!
//! The file's variables are migrated exactly as a compose service's `environment:` is
//! ([`super::compose::migrate_service`], with the file's root mapping as the environment): names
//! by each release's env binding, a removed option's variable commented out and reported as an
//! action (Pomerium ignores it without a word), values checked as in a config, `${…}` values
//! unknown. The version is `--from`, else the tag of the naming service's image, else inferred
//! from the variables. When a compose file names `.env` files, `plan` on it plans them too
//! ([`env_files_of_run`]); a named file that does not exist is a note ([`missing_notes`]).

use std::path::{Path, PathBuf};

use crate::document::{Document, Edit, Format, Location, NodeId, Value};
use crate::runner::{self, FileRun, Input, RunConfig, RunError, Stage};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

use super::compose;
use super::env_vars::{self, Container};
use super::image::Image;
use super::{Surface, SurfaceKind};

/// The step id of the findings this module reports itself.
const ENV_FILE_MISSING: &str = "env-file-missing";

/// One `env_file:` entry of a Pomerium service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFileRef {
    pub service: String,
    pub kind: FileKind,
    /// The service's image as written, and the version its tag names.
    pub image: Option<String>,
    pub tag: Option<Version>,
    /// The path as written.
    pub written: String,
    /// The path resolved against the compose file's directory.
    pub path: PathBuf,
    /// `required: false` in the long form: compose skips the file when it is missing.
    pub required: bool,
    /// Where the path is written in the compose file.
    pub at: Location,
    /// The compose file.
    pub compose: PathBuf,
}

/// The `env_file:` entries of the services that run Pomerium in a compose document, resolved
/// against the compose file's directory.
pub fn env_files(doc: &Document, compose: &Path) -> Vec<EnvFileRef> {
    let dir = compose.parent().unwrap_or(Path::new("."));
    let Some(services) = doc.root().and_then(|root| doc.get(root, "services")) else {
        return Vec::new();
    };
    let services = doc.resolve(services.value);
    let mut out = Vec::new();
    for service in compose::pomerium_services(doc, false) {
        let Some(node) = doc
            .get(services, &service.name)
            .map(|e| doc.resolve(e.value))
        else {
            continue;
        };
        let Some(env_file) = doc.get(node, "env_file") else {
            continue;
        };
        // The image's tag, or the release an image-tag marker above it says an earlier apply
        // migrated the service's variables to (see `super::image::marker_release`).
        let tag = service
            .image
            .as_ref()
            .and_then(|(_, text)| Image::parse(text).version())
            .map(|t| t.max(env_vars::image_migrated_to(doc, &service).unwrap_or(t)));
        let value = doc.resolve(env_file.value);
        let items: Vec<NodeId> = if doc.is_sequence(value) {
            doc.items(value).to_vec()
        } else {
            vec![value]
        };
        for item in items {
            let item = doc.resolve(item);
            let (path_node, required) = if doc.is_mapping(item) {
                let required = doc
                    .get(item, "required")
                    .and_then(|r| doc.scalar(r.value).cloned());
                (
                    doc.get(item, "path").map(|p| p.value),
                    !matches!(required, Some(Value::Bool(false))),
                )
            } else {
                (Some(item), true)
            };
            let Some(path_node) = path_node else {
                continue;
            };
            let Some(written) = doc.str(path_node) else {
                continue;
            };
            out.push(EnvFileRef {
                service: service.name.clone(),
                kind: service.kind,
                image: service.image.as_ref().map(|(_, text)| text.clone()),
                tag,
                written: written.to_owned(),
                path: dir.join(written),
                required,
                at: doc.location(path_node),
                compose: compose.to_owned(),
            });
        }
    }
    out
}

/// The compose files a `.env` file may be named by: `*compose*.yml`/`.yaml` in its directory,
/// then in the directory above; the first list is of those beside it.
fn compose_files_near(env: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let dir = env
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let in_dir = |dir: &Path| {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_compose_name(p))
            .collect();
        found.sort();
        found
    };
    let beside = in_dir(dir);
    let above = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.parent().map(in_dir))
        .unwrap_or_default();
    (beside, above)
}

/// Whether a file's name is a compose file's (`docker-compose.yml`, `compose.prod.yaml`, …).
pub fn is_compose_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    name.contains("compose") && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// A compose file's document, when the file is one.
fn read_compose(path: &Path) -> Option<Document> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc = Document::parse(text, Format::Yaml).ok()?;
    matches!(
        super::detect_surface(None, Some(&doc)),
        Some((Surface::Compose, _))
    )
    .then_some(doc)
}

/// The Pomerium service that names `env` in its `env_file:`, and the compose files beside
/// `env`.
fn naming_service(env: &Path) -> (Option<EnvFileRef>, Vec<PathBuf>) {
    let Ok(target) = env.canonicalize() else {
        return (None, Vec::new());
    };
    let (beside, above) = compose_files_near(env);
    let mut found: Option<EnvFileRef> = None;
    for compose_path in beside.iter().chain(&above) {
        let Some(doc) = read_compose(compose_path) else {
            continue;
        };
        for r in env_files(&doc, compose_path) {
            if r.path.canonicalize().ok().as_ref() == Some(&target) {
                found = better(found, r);
            }
        }
    }
    (found, beside)
}

/// Of two services that name one file, a Core one wins over a Console one; otherwise the first.
fn better(found: Option<EnvFileRef>, next: EnvFileRef) -> Option<EnvFileRef> {
    match found {
        Some(f) if !(f.kind == FileKind::Console && next.kind == FileKind::Core) => Some(f),
        _ => Some(next),
    }
}

/// What `detect` lists for a `.env` file: the Pomerium service of a compose file beside it (or
/// in the directory above) that names it, or, with `--kind dotenv` (`forced`), Core. Empty: the
/// file is skipped.
pub fn components(path: Option<&Path>, forced: bool) -> Vec<super::Component> {
    let at = Location { line: 1, column: 1 };
    match path.map(naming_service) {
        Some((Some(r), _)) => vec![super::Component {
            marked: None,
            name: format!(
                "{} ({})",
                r.service,
                r.compose
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ),
            kind: r.kind,
            image: r.image,
            at,
            version: r.tag,
        }],
        _ if forced => vec![super::Component {
            marked: None,
            name: "--kind dotenv".into(),
            kind: FileKind::Core,
            image: None,
            at,
            version: None,
        }],
        _ => Vec::new(),
    }
}

/// Migrates a `.env` file. `named_by` is the service of a compose file of the run that names
/// it, if any; else compose files beside it are looked at. A file no Pomerium service reads
/// (without `--kind dotenv`) is [`RunError::NotPomerium`].
pub fn migrate(
    input: Input,
    document: Document,
    config: &RunConfig<'_>,
    evidence: String,
    named_by: Option<EnvFileRef>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    if document.format() != Format::Dotenv {
        return Err(RunError::SurfaceNotSupported {
            path,
            surface: Surface::Dotenv.to_string(),
            evidence: format!("{evidence}, but read as {}", document.format()),
        });
    }
    let forced = config.surface == Some(SurfaceKind::Dotenv);
    let (near, composes) = match input.source.path() {
        Some(p) => naming_service(p),
        None => (None, Vec::new()),
    };
    let named = match (named_by, near) {
        (Some(r), Some(n)) => better(Some(r), n),
        (r, n) => r.or(n),
    };
    if named.is_none() && !forced {
        let looked = composes
            .iter()
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
            .collect::<Vec<_>>();
        let reason = if looked.is_empty() {
            "a .env file that no Pomerium service names in `env_file:` (no compose file beside \
             it); if Pomerium reads it, say so with --kind dotenv"
                .to_owned()
        } else {
            format!(
                "a .env file that no Pomerium service of {} names in `env_file:` (a compose \
                 project's `.env` feeds `${{…}}` interpolation, not a container); if Pomerium \
                 reads it, say so with --kind dotenv",
                looked
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(RunError::NotPomerium { path, reason });
    }
    let kind = named.as_ref().map_or(FileKind::Core, |r| r.kind);
    let tag = named.as_ref().and_then(|r| r.tag);
    let mut warnings = Vec::new();
    if let (Some(given), Some(tagged), Some(r)) = (config.from, tag, &named)
        && given != tagged
    {
        warnings.push(format!(
            "{path}: --from {given}, but service `{}` of {} that reads this file runs an image \
             tagged for {tagged}",
            r.service,
            r.compose.display()
        ));
    }
    let config = RunConfig {
        from: config.from.or(tag),
        ..config.clone()
    };
    let to_default = runner::default_target(config.steps);
    let Some(root) = document.root() else {
        return Err(RunError::NotPomerium {
            path,
            reason: "an empty .env file".into(),
        });
    };
    let whole = Location { line: 1, column: 1 };
    let container = Container {
        what: "file",
        name: path.clone(),
        kind,
        image: None,
        image_entry: None,
        env_at: whole,
        env_name: "variables",
        env_map: Some(root),
        lines: 1..=document.text().lines().count().max(1),
        owner: None,
    };
    let vars = compose::map_vars(&document, root);
    let done = env_vars::migrate_vars(&input, &document, &container, &vars, &config, to_default)?;
    warnings.extend(done.warnings);
    let mut findings = done.findings;
    findings.sort_by_key(|f| f.location.map(|l| (l.line, l.column)));
    let mut stages = vec![Stage {
        step: None,
        document,
    }];
    if !done.edits.is_empty() {
        let result = apply(&stages[0].document, &done.edits, &path)?;
        stages.push(Stage {
            step: None,
            document: result,
        });
    }
    Ok(FileRun {
        input,
        format: Format::Dotenv,
        kind,
        surface: Surface::Dotenv,
        from: done.from,
        to: done.to,
        inferred: None,
        warnings,
        stages,
        findings,
        created: Vec::new(),
        // `POLICY`/`ROUTES` in the file: their decoded lists.
        decoded: done.decoded,
        line_ops: Default::default(),
        input_shown: None,
    })
}

fn apply(doc: &Document, edits: &[Edit], path: &str) -> Result<Document, RunError> {
    doc.apply(edits).map_err(|source| RunError::Step {
        path: path.to_owned(),
        step: ".env variables".into(),
        source,
    })
}

/// Notes for the `env_file:` entries of a compose file that do not exist: compose refuses to
/// start the service (or skips the file with `required: false`), and there is nothing to plan.
pub fn missing_notes(doc: &Document, compose_path: Option<&Path>, to: Version) -> Vec<Finding> {
    let Some(compose_path) = compose_path else {
        return Vec::new();
    };
    env_files(doc, compose_path)
        .into_iter()
        .filter(|r| !r.path.exists())
        .map(|r| Finding {
            version: to,
            step: ENV_FILE_MISSING,
            severity: Severity::Note,
            location: Some(r.at),
            message: format!(
                "service `{}` reads `{}` with `env_file:`, which does not exist here{}; its \
                 variables were not planned",
                r.service,
                r.written,
                if r.required {
                    " (compose will not start the service without it)"
                } else {
                    " (`required: false`: compose skips it)"
                }
            ),
            link: "",
        })
        .collect()
}

/// The `env_file:` entries, of files that exist, of the Pomerium services of the compose
/// files among `inputs`: `plan docker-compose.yml` plans those files too, and each is
/// Pomerium's because its service names it.
pub fn env_files_of_run(inputs: &[&Path]) -> Vec<EnvFileRef> {
    let mut out = Vec::new();
    for input in inputs.iter().filter(|p| is_compose_name(p)) {
        let Some(doc) = read_compose(input) else {
            continue;
        };
        out.extend(
            env_files(&doc, input)
                .into_iter()
                .filter(|r| r.path.is_file()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compose(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn env_files_of_pomerium_services_in_every_form() {
        let doc = compose(concat!(
            "services:\n",
            "  pomerium:\n",
            "    image: pomerium/pomerium:v0.19.0\n",
            "    env_file: pomerium.env\n",
            "  console:\n",
            "    image: docker.cloudsmith.io/pomerium/enterprise/pomerium-console:v0.20.0\n",
            "    env_file:\n",
            "      - ./console.env\n",
            "      - path: extra.env\n",
            "        required: false\n",
            "  db:\n",
            "    image: postgres\n",
            "    env_file: db.env\n",
        ));
        let found = env_files(&doc, Path::new("deploy/docker-compose.yml"));
        let summary: Vec<String> = found
            .iter()
            .map(|r| {
                format!(
                    "{} {:?} {:?} {} {} {}",
                    r.service, r.kind, r.tag, r.written, r.required, r.at
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "pomerium Core Some(Version { major: 0, minor: 19 }) pomerium.env true 4:15",
                "console Console Some(Version { major: 0, minor: 20 }) ./console.env true 8:9",
                "console Console Some(Version { major: 0, minor: 20 }) extra.env false 9:15",
            ]
        );
        assert_eq!(found[0].path, Path::new("deploy/pomerium.env"));
    }

    #[test]
    fn compose_names_are_recognised() {
        for name in [
            "docker-compose.yml",
            "compose.yaml",
            "deploy/docker-compose.prod.YML",
        ] {
            assert!(is_compose_name(Path::new(name)), "{name}");
        }
        for name in ["config.yaml", "compose.env", "docker-compose"] {
            assert!(!is_compose_name(Path::new(name)), "{name}");
        }
    }
}

//! docker-compose files: the `environment:` of the services that run Pomerium.
//!
//! Only services whose `image:` is Pomerium's ([`super::image`]) are read: `DATABASE_URL` or
//! `DEBUG` in another service is not Pomerium's. With `--kind compose`, a service without an
//! `image:` (built locally) whose name contains `pomerium` counts as Core too.
//!
//! Each Pomerium service's variables are projected into a virtual config
//! ([`super::virtual_config`]) through the env binding of the service's release
//! ([`super::env`]), the chain runs on it, and what it did comes back as edits of the compose
//! file:
//! - a renamed option renames its variable, to the name the *target* binds
//!   (`CACHE_SERVICE_URL` → `DATABROKER_SERVICE_URL`; `HEADERS` stays `HEADERS`);
//! - a rewritten value is rewritten in place;
//! - a removed option's variable is commented out under the step's note, and reported as an
//!   action: Pomerium does not read it any more and ignores it without a word;
//! - the steps' and the target validation's findings are reported at the variable's line.
//!
//! Values that hold `$` (compose interpolation, `${GOOGLE_SA}`) or no value (taken from the
//! shell) are unknown: never checked, never rewritten; a removed or renamed variable is still
//! reported and edited by name. An empty value is unset (Pomerium ignores empty variables) and
//! is left alone. `POLICY` and `ROUTES` go to [`super::route_env`]. Variables Pomerium does not
//! read are neither touched nor reported.
//!
//! The starting version is `--from`, else the image tag (`pomerium/pomerium:v0.19.0` is 0.19),
//! else inferred from the variables' keys as for a config. After the migration, an image tag
//! older than the target is an action.

use crate::document::{Document, Edit, EntryId, Location, NodeId, Position, Value};
use crate::runner::{self, FileRun, Input, RunConfig, RunError, Stage};
use crate::step::{FileKind, Finding, Severity};
use crate::validate::marker;
use crate::version::Version;

use super::env;
use super::image::Image;
use super::route_env::{self, RouteListVar};
use super::virtual_config::{self, Fate, Origin, Piece, VirtualEntry};
use super::{Surface, SurfaceKind};

/// The step id of the findings this module reports itself.
const ENV_IGNORED: &str = "env-ignored";
const ENV_NOT_READ: &str = "env-not-read";
const ENV_RENAMED: &str = "env-renamed";
const IMAGE_TAG: &str = "image-tag";
const ENV_LIST_FORM: &str = "env-list-form";

/// A service that runs Pomerium (or, for [`super::dotenv`], a `.env` file one names: no image,
/// the file's root as its environment).
pub(crate) struct Service {
    pub(crate) name: String,
    pub(crate) kind: FileKind,
    /// The `image:` value node and its text.
    pub(crate) image: Option<(NodeId, String)>,
    /// The `environment` entry.
    pub(crate) environment: Option<(EntryId, NodeId, Location)>,
    /// Where the service's name is.
    pub(crate) at: Location,
}

/// One variable of a service's map-form `environment`.
struct Var {
    name: String,
    value: VarValue,
    /// Where its name is.
    at: Location,
    entry: EntryId,
    value_node: NodeId,
    /// Tool markers written above it: text after `# `, and where.
    markers: Vec<(String, Location)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum VarValue {
    Known(String),
    /// Interpolated (`$`) or taken from the shell (no value).
    Unknown(String),
    /// Empty: Pomerium treats it as unset.
    Unset,
}

/// Migrates a compose file. A file with no Pomerium service is [`RunError::NotPomerium`].
pub fn migrate(
    input: Input,
    document: Document,
    config: &RunConfig<'_>,
) -> Result<FileRun, RunError> {
    let path = input.source.display();
    let forced = config.surface == Some(SurfaceKind::Compose);
    let services = pomerium_services(&document, forced);
    if services.is_empty() {
        return Err(RunError::NotPomerium {
            path,
            reason: "a docker-compose file with no Pomerium service (no service runs a \
                     pomerium/pomerium or Enterprise Console image)"
                .into(),
        });
    }
    let to_default = runner::default_target(config.steps);
    let mut edits: Vec<Edit> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut decoded = Vec::new();
    let mut span: Option<(Version, Version)> = None;
    for service in &services {
        let done = migrate_service(&input, &document, service, config, to_default)?;
        edits.extend(done.edits);
        decoded.extend(done.decoded);
        findings.extend(done.findings);
        warnings.extend(done.warnings);
        span = Some(match span {
            None => (done.from, done.to),
            Some((f, t)) => (f.min(done.from), t.max(done.to)),
        });
    }
    let (from, to) = span.unwrap_or((to_default, to_default));
    let mut stages = vec![Stage {
        step: None,
        document,
    }];
    if !edits.is_empty() {
        let result = stages[0]
            .document
            .apply(&edits)
            .map_err(|source| RunError::Step {
                path: path.clone(),
                step: "docker-compose environment".into(),
                source,
            })?;
        stages.push(Stage {
            step: None,
            document: result,
        });
    }
    findings.extend(super::dotenv::missing_notes(
        &stages[0].document,
        input.source.path(),
        to,
    ));
    findings.sort_by_key(|f| f.location.map(|l| (l.line, l.column)));
    let kind = if services.iter().any(|s| s.kind == FileKind::Core) {
        FileKind::Core
    } else {
        FileKind::Console
    };
    Ok(FileRun {
        input,
        format: crate::document::Format::Yaml,
        kind,
        surface: Surface::Compose,
        from,
        to,
        inferred: None,
        warnings,
        stages,
        findings,
        created: Vec::new(),
        decoded,
    })
}

/// The services that run Pomerium, as `detect` lists them.
pub fn components(doc: &Document, forced: bool) -> Vec<super::Component> {
    pomerium_services(doc, forced)
        .into_iter()
        .map(|s| super::Component {
            version: s
                .image
                .as_ref()
                .and_then(|(_, text)| Image::parse(text).version()),
            at: s
                .image
                .as_ref()
                .map_or(s.at, |(node, _)| doc.location(*node)),
            image: s.image.map(|(_, text)| text),
            name: s.name,
            kind: s.kind,
        })
        .collect()
}

/// The services that run Pomerium, in file order.
pub(crate) fn pomerium_services(doc: &Document, forced: bool) -> Vec<Service> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let Some(services) = doc.get(root, "services") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in doc.entries(services.value) {
        let service = doc.resolve(s.value);
        if !doc.is_mapping(service) {
            continue;
        }
        let image = doc
            .get(service, "image")
            .and_then(|e| doc.str(e.value).map(|t| (e.value, t.to_owned())));
        let kind = match &image {
            Some((_, text)) => Image::parse(text).component(),
            None if forced && s.key.to_ascii_lowercase().contains("pomerium") => {
                Some(FileKind::Core)
            }
            None => None,
        };
        let Some(kind) = kind else {
            continue;
        };
        let environment = doc
            .get(service, "environment")
            .map(|e| (e.id, e.value, doc.location(e.key_node)));
        out.push(Service {
            name: s.key.to_owned(),
            kind,
            image,
            environment,
            at: doc.location(s.key_node),
        });
    }
    out
}

/// What one service contributes to the file's run.
pub(crate) struct ServiceDone {
    pub(crate) edits: Vec<Edit>,
    pub(crate) findings: Vec<Finding>,
    /// Decoded route lists (`POLICY`, `ROUTES`), for the report.
    pub(crate) decoded: Vec<super::decoded::DecodedView>,
    pub(crate) warnings: Vec<String>,
    pub(crate) from: Version,
    pub(crate) to: Version,
}

fn finding(
    to: Version,
    step: &'static str,
    severity: Severity,
    at: Location,
    message: String,
) -> Finding {
    Finding {
        version: to,
        step,
        severity,
        location: Some(at),
        message,
        link: "",
    }
}

pub(crate) fn migrate_service(
    input: &Input,
    doc: &Document,
    service: &Service,
    config: &RunConfig<'_>,
    to_default: Version,
) -> Result<ServiceDone, RunError> {
    let path = input.source.display();
    let tag_version = service
        .image
        .as_ref()
        .and_then(|(_, text)| Image::parse(text).version());
    let mut warnings = Vec::new();
    if let (Some(given), Some(tagged)) = (config.from, tag_version)
        && given != tagged
    {
        warnings.push(format!(
            "{path}: --from {given}, but the image of service `{}` is tagged for {tagged}",
            service.name
        ));
    }
    let mut done = ServiceDone {
        edits: Vec::new(),
        findings: Vec::new(),
        decoded: Vec::new(),
        warnings,
        from: config.from.or(tag_version).unwrap_or(to_default),
        to: config.to.unwrap_or(to_default),
    };
    let Some((_, env_node, env_at)) = service.environment else {
        image_tag_finding(
            doc,
            service,
            tag_version,
            config.to_release.as_deref(),
            &mut done,
        );
        return Ok(done);
    };
    let env_map = doc.resolve(env_node);
    if doc.is_sequence(env_map) {
        done.findings.push(finding(
            done.to,
            ENV_LIST_FORM,
            Severity::ActionRequired,
            env_at,
            format!(
                "the `environment` of service `{}` is a list (`- KEY=value`); this version of \
                 pomerium-migrate migrates the map form (`KEY: value`) only: write it as a map, \
                 or check its variables against the releases by hand",
                service.name
            ),
        ));
        image_tag_finding(
            doc,
            service,
            tag_version,
            config.to_release.as_deref(),
            &mut done,
        );
        return Ok(done);
    }
    let vars = map_vars(doc, env_map);
    let kind = service.kind;

    // The release the variables are read at: --from, the image tag, else their keys.
    let from = match config.from.or(tag_version) {
        Some(from) => from,
        None => infer_from(&vars, kind),
    };
    let (from, to) = runner::resolve_versions(from, config.to, config.steps)?;
    done.from = from;
    done.to = to;

    // Project the variables Pomerium `from` reads.
    let mut entries: Vec<VirtualEntry> = Vec::new();
    let mut projected: Vec<usize> = Vec::new();
    let mut seen_keys: Vec<&str> = Vec::new();
    for (i, var) in vars.iter().enumerate() {
        let Some(key) = env::key_for(kind, &var.name, from) else {
            continue;
        };
        let text = match &var.value {
            VarValue::Unset => continue,
            VarValue::Known(text) => text,
            VarValue::Unknown(text) => text,
        };
        if env::is_route_list(kind, key) {
            let outcome = route_env::migrate_route_list(
                &RouteListVar {
                    name: &var.name,
                    value: text,
                    kind,
                    from,
                    to,
                    location: var.at,
                },
                &input.source,
                config,
            )?;
            done.decoded.extend(outcome.view);
            if let Some(new_value) = outcome.new_value {
                done.edits.push(Edit::SetScalar {
                    node: var.value_node,
                    value: Value::String(new_value),
                });
            }
            done.findings.extend(outcome.findings);
            continue;
        }
        if seen_keys.contains(&key) {
            continue;
        }
        seen_keys.push(key);
        entries.push(VirtualEntry {
            path: key.split('.').map(str::to_owned).collect(),
            value: match &var.value {
                VarValue::Known(text) => virtual_config::yaml_scalar(text),
                _ => virtual_config::yaml_quote(text),
            },
            comments: var.markers.iter().map(|(m, _)| m.clone()).collect(),
        });
        projected.push(i);
    }
    // Markers left in the environment block with no variable below them (a variable the tool
    // commented out under an action marker): projected at the end, so they stay reported.
    let orphans = orphan_markers(doc, service, &vars);
    let projection = virtual_config::project(&entries);
    let mut text = projection.text.clone();
    let mut origins: Vec<Origin> = Vec::new();
    let mut origin_var: Vec<Option<usize>> = Vec::new();
    for (n, &i) in projected.iter().enumerate() {
        origins.push(Origin {
            virtual_line: projection.lines[n],
            at: vars[i].at,
        });
        origin_var.push(Some(i));
        for (line, (_, at)) in projection.comment_lines[n].iter().zip(&vars[i].markers) {
            origins.push(Origin {
                virtual_line: *line,
                at: *at,
            });
            origin_var.push(None);
        }
    }
    let first = projection.text.lines().count() + 1;
    for (line, (marker, at)) in (first..).zip(&orphans) {
        text.push_str(&format!("# {marker}\n"));
        origins.push(Origin {
            virtual_line: line,
            at: *at,
        });
        origin_var.push(None);
    }
    if entries.is_empty() && orphans.is_empty() {
        image_tag_finding(
            doc,
            service,
            tag_version,
            config.to_release.as_deref(),
            &mut done,
        );
        return Ok(done);
    }

    let run = virtual_config::run_virtual(&input.source, text, kind, Some(from), config)?;
    let pieces: Vec<Piece> = projection
        .lines
        .iter()
        .map(|&virtual_line| Piece { virtual_line })
        .collect();
    let fates = virtual_config::fates(&run, &pieces);

    // Findings of the chain, at the variables' lines.
    let mut quiet = vec![false; vars.len()];
    for (n, fate) in fates.iter().enumerate() {
        let i = projected[n];
        quiet[i] = matches!(vars[i].value, VarValue::Unknown(_))
            && matches!(fate, Fate::Kept { .. })
            && !fate.renamed();
    }
    for (mut f, origin) in virtual_config::relocate_findings(&run, &origins, Some(env_at)) {
        if let Some(i) = origin.and_then(|o| origin_var[o]) {
            if quiet[i] {
                continue;
            }
            f.message = format!("`{}`: {}", vars[i].name, f.message);
        }
        done.findings.push(f);
    }

    // Values the chain moved to new keys (`client_ca` → `downstream_mtls.ca`): the new key's
    // variable is added, and the old variable is then no loss.
    let added = virtual_config::added(&run, &pieces);
    let mut moved = vec![false; fates.len()];
    for new in &added {
        let key = new.path.join(".");
        let Some(text) = new.value.scalar_text() else {
            continue;
        };
        let source = fates.iter().enumerate().position(|(n, f)| {
            !moved[n]
                && matches!(f, Fate::Removed { .. })
                && projected_text(&vars[projected[n]].value) == Some(text.as_str())
        });
        if let Some(n) = source {
            moved[n] = true;
        }
        let from_var = source.map(|n| &vars[projected[n]]);
        let at = from_var.map_or(env_at, |v| v.at);
        match env::env_for(kind, &key, to) {
            Some(name) if vars.iter().all(|v| v.name != name) => {
                done.edits.push(Edit::Insert {
                    map: env_map,
                    position: Position::End,
                    key: name.clone(),
                    value: Value::String(text),
                });
                done.findings.push(finding(
                    to,
                    ENV_RENAMED,
                    Severity::Changed,
                    at,
                    match from_var {
                        Some(var) => format!(
                            "`{}` is now `{name}`: Pomerium {to} reads `{key}` from it",
                            var.name
                        ),
                        None => format!("added `{name}`: Pomerium {to} reads `{key}` from it"),
                    },
                ));
            }
            Some(name) => done.findings.push(finding(
                to,
                ENV_NOT_READ,
                Severity::ActionRequired,
                at,
                format!(
                    "`{name}` is set already: check that it holds what the migration moved to \
                     `{key}`"
                ),
            )),
            None => done.findings.push(finding(
                to,
                ENV_NOT_READ,
                Severity::ActionRequired,
                at,
                format!(
                    "Pomerium {to} reads `{key}` from a config file only (no environment \
                     variable sets it): set it there"
                ),
            )),
        }
    }

    // What the chain did, as edits of the compose file.
    for (n, fate) in fates.into_iter().enumerate() {
        let var = &vars[projected[n]];
        apply_fate(doc, var, fate, kind, to, moved[n], &mut done);
    }
    image_tag_finding(
        doc,
        service,
        tag_version,
        config.to_release.as_deref(),
        &mut done,
    );
    Ok(done)
}

/// The edits and findings for one variable's fate.
fn apply_fate(
    doc: &Document,
    var: &Var,
    fate: Fate,
    kind: FileKind,
    to: Version,
    moved: bool,
    done: &mut ServiceDone,
) {
    match fate {
        Fate::Kept {
            path,
            value,
            value_changed,
            markers,
            ..
        } => {
            let key = path.join(".");
            match env::env_for(kind, &key, to) {
                Some(name) if name != var.name => {
                    done.edits.push(Edit::RenameKey {
                        entry: var.entry,
                        new_key: name.clone(),
                    });
                    done.findings.push(finding(
                        to,
                        ENV_RENAMED,
                        Severity::Changed,
                        var.at,
                        format!(
                            "renamed `{}` to `{name}`: Pomerium {to} reads `{key}` from `{name}`",
                            var.name
                        ),
                    ));
                }
                Some(_) => {}
                None => done.findings.push(finding(
                    to,
                    ENV_NOT_READ,
                    Severity::ActionRequired,
                    var.at,
                    format!(
                        "Pomerium {to} reads `{key}` from a config file only: no environment \
                         variable sets it, and `{}` is ignored without a word; move the value \
                         into the config file",
                        var.name
                    ),
                )),
            }
            if value_changed
                && matches!(var.value, VarValue::Known(_))
                && let Some(text) = value.scalar_text()
            {
                done.edits.push(Edit::SetScalar {
                    node: var.value_node,
                    value: Value::String(text),
                });
            }
            for text in markers {
                if doc.can_comment_out(var.entry) {
                    done.edits.push(Edit::Annotate {
                        entry: var.entry,
                        text,
                    });
                }
            }
        }
        Fate::Removed { was, note } => {
            let key = was.join(".");
            let marked = note
                .as_deref()
                .is_some_and(|n| n.starts_with(&format!("{} action", marker::TOOL)));
            let commented = doc.can_comment_out(var.entry);
            let since = note.as_deref().and_then(note_version).unwrap_or(to);
            let note = note.unwrap_or_else(|| {
                format!("{} v{to}: `{}` is no longer read", marker::TOOL, var.name)
            });
            done.edits.push(if commented {
                Edit::CommentOut {
                    entry: var.entry,
                    note,
                }
            } else {
                Edit::Delete { entry: var.entry }
            });
            if moved {
                return;
            }
            let what = if commented {
                "commented out"
            } else {
                "removed"
            };
            let trace = if marked && commented {
                "; the action marker above it stays until it is done"
            } else {
                "; `check` will not report it again"
            };
            done.findings.push(finding(
                since,
                ENV_IGNORED,
                Severity::ActionRequired,
                var.at,
                format!(
                    "from {since} on, Pomerium does not read `{}` and ignores it without a word \
                     (a config file with `{key}` would not start): {what}{trace}",
                    var.name
                ),
            ));
        }
    }
}

/// The text a variable was projected with.
fn projected_text(value: &VarValue) -> Option<&str> {
    match value {
        VarValue::Known(text) | VarValue::Unknown(text) => Some(text),
        VarValue::Unset => None,
    }
}

/// The release a comment-out note or marker names (`pomerium-migrate v0.25: …`,
/// `pomerium-migrate action v0.24/…`).
fn note_version(note: &str) -> Option<Version> {
    let rest = note.strip_prefix(marker::TOOL)?.trim_start();
    let rest = rest.strip_prefix("action ").unwrap_or(rest);
    let id = rest.split([':', '/', ' ']).next()?;
    id.parse().ok()
}

/// The variables of a map-form `environment`, in order.
fn map_vars(doc: &Document, env_map: NodeId) -> Vec<Var> {
    let lines: Vec<&str> = doc.text().lines().collect();
    doc.entries(env_map)
        .into_iter()
        .filter(|e| e.merged_into.is_none())
        .filter_map(|e| {
            let node = doc.resolve(e.value);
            let value = match doc.scalar(node)? {
                Value::Null => VarValue::Unknown(format!("${{{}}}", e.key)),
                Value::String(s) if s.is_empty() => VarValue::Unset,
                v => {
                    let text = v.scalar_text()?;
                    if text.contains('$') {
                        VarValue::Unknown(text)
                    } else {
                        VarValue::Known(text)
                    }
                }
            };
            let at = doc.location(e.key_node);
            Some(Var {
                name: e.key.to_owned(),
                value,
                at,
                entry: e.id,
                value_node: e.value,
                markers: markers_above(&lines, at.line),
            })
        })
        .collect()
}

/// Tool markers in the comment lines right above 1-based `line`.
fn markers_above(lines: &[&str], line: usize) -> Vec<(String, Location)> {
    let mut out = Vec::new();
    let mut at = line.saturating_sub(1);
    while at > 0 {
        let Some(raw) = lines.get(at - 1) else {
            break;
        };
        let text = raw.trim_start();
        let Some(comment) = text.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim_start();
        if comment.starts_with(&format!("{} action", marker::TOOL))
            || comment.starts_with(&format!("{} accepted", marker::TOOL))
        {
            out.push((
                comment.to_owned(),
                Location {
                    line: at,
                    column: raw.len() - text.len() + 1,
                },
            ));
        }
        at -= 1;
    }
    out.reverse();
    out
}

/// Markers of the service's environment block that sit above no variable.
fn orphan_markers(doc: &Document, service: &Service, vars: &[Var]) -> Vec<(String, Location)> {
    let Some((_, _, env_at)) = service.environment else {
        return Vec::new();
    };
    let next_service = doc
        .root()
        .and_then(|r| doc.get(r, "services"))
        .map(|s| {
            doc.entries(s.value)
                .iter()
                .map(|e| doc.location(e.key_node).line)
                .filter(|l| *l > service.at.line)
                .min()
        })
        .unwrap_or_default();
    let used: Vec<usize> = vars
        .iter()
        .flat_map(|v| v.markers.iter().map(|(_, at)| at.line))
        .collect();
    marker::scan(doc)
        .into_iter()
        .filter(|m| m.state == marker::State::Open)
        .filter(|m| m.location.line >= env_at.line)
        .filter(|m| next_service.is_none_or(|n| m.location.line < n))
        .filter(|m| !used.contains(&m.location.line))
        .map(|m| {
            let text = format!("{} action {}: {}", marker::TOOL, m.step, m.text);
            (text, m.location)
        })
        .collect()
}

/// Without `--from`, the lowest release the variables' keys allow (as for a config).
fn infer_from(vars: &[Var], kind: FileKind) -> Version {
    let newest = crate::migrations::NEWEST;
    let entries: Vec<VirtualEntry> = vars
        .iter()
        .filter(|v| v.value != VarValue::Unset)
        .filter_map(|v| {
            // The newest release that reads the name says which key it is.
            let key = (crate::migrations::OLDEST.minor..=newest.minor)
                .rev()
                .find_map(|m| env::key_for(kind, &v.name, Version::new(newest.major, m)))?;
            Some(VirtualEntry {
                path: key.split('.').map(str::to_owned).collect(),
                value: virtual_config::yaml_quote("x"),
                comments: Vec::new(),
            })
        })
        .collect();
    let text = virtual_config::project(&entries).text;
    match Document::parse(text, crate::document::Format::Yaml) {
        Ok(doc) => crate::detect::detect_as(&doc, kind).start_version(),
        Err(_) => crate::migrations::OLDEST,
    }
}

/// After the migration, an image older than the target is an action; with `--to` naming a
/// patch release (`v0.33.1`), the tag is rewritten to it instead.
fn image_tag_finding(
    doc: &Document,
    service: &Service,
    tagged: Option<Version>,
    release: Option<&str>,
    done: &mut ServiceDone,
) {
    let (Some((node, text)), Some(tagged)) = (&service.image, tagged) else {
        return;
    };
    let to = done.to;
    let at = doc.location(*node);
    if let Some(new) = release.and_then(|r| retag(text, r))
        && (tagged < to || new != *text)
    {
        done.edits.push(Edit::SetScalar {
            node: *node,
            value: Value::String(new.clone()),
        });
        done.findings.push(finding(
            to,
            IMAGE_TAG,
            Severity::Changed,
            at,
            format!("service `{}`: image `{text}` is now `{new}`", service.name),
        ));
        return;
    }
    if tagged >= to {
        return;
    }
    done.findings.push(finding(
        to,
        IMAGE_TAG,
        Severity::ActionRequired,
        at,
        format!(
            "service `{}` runs `{text}`, Pomerium {tagged}, and its variables are now for {to}: \
             change the image tag to a {to} release when you deploy them (or give the release \
             with --to, e.g. --to v{to}.0, and apply rewrites the tag)",
            service.name
        ),
    ));
}

/// The image reference with its tag set to `release` (`0.33.1`), keeping a leading `v` or not
/// as the old tag had it and any `-suffix` after the version; `None` for an image pinned by a
/// digest or without a tag.
fn retag(image: &str, release: &str) -> Option<String> {
    if image.contains('@') {
        return None;
    }
    let parsed = Image::parse(image);
    let (tag, at) = (parsed.tag?, parsed.tag_at?);
    let (version, suffix) = match tag.find('-') {
        Some(i) => (&tag[..i], &tag[i..]),
        None => (tag, ""),
    };
    let v = if version.starts_with(['v', 'V']) {
        "v"
    } else {
        ""
    };
    Some(format!("{}{v}{release}{suffix}", &image[..at]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_above_a_line_are_read_with_their_place() {
        let lines = [
            "environment:",
            "  # pomerium-migrate action v0.24/redis: gone",
            "  # plain comment",
            "  DATABROKER_STORAGE_TYPE: redis",
        ];
        let found = markers_above(&lines, 4);
        assert_eq!(
            found,
            [(
                "pomerium-migrate action v0.24/redis: gone".to_owned(),
                Location { line: 2, column: 3 }
            )]
        );
        assert!(markers_above(&lines, 2).is_empty());
    }

    #[test]
    fn tags_are_rewritten_in_their_own_spelling() {
        let r = |image| retag(image, "0.33.1");
        assert_eq!(
            r("pomerium/pomerium:v0.19.0").as_deref(),
            Some("pomerium/pomerium:v0.33.1")
        );
        assert_eq!(
            r("pomerium/pomerium:0.19.0").as_deref(),
            Some("pomerium/pomerium:0.33.1")
        );
        assert_eq!(
            r("docker.io/pomerium/pomerium:v0.19.0-nonroot").as_deref(),
            Some("docker.io/pomerium/pomerium:v0.33.1-nonroot")
        );
        assert_eq!(r("pomerium/pomerium:v0.19.0@sha256:abc"), None);
        assert_eq!(r("pomerium/pomerium"), None);
    }

    #[test]
    fn notes_name_their_release() {
        let v = |minor| Some(Version::new(0, minor));
        assert_eq!(note_version("pomerium-migrate v0.25: removed"), v(25));
        assert_eq!(
            note_version("pomerium-migrate action v0.24/redis: x"),
            v(24)
        );
        assert_eq!(note_version("something else"), None);
    }
}

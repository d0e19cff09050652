//! Environment variables of a container, wherever they are written (docker-compose
//! `environment:` in map or list form, Kubernetes `env:` entries): one engine for every
//! environment surface.
//!
//! A container's variables are projected into a virtual config ([`super::virtual_config`])
//! through the env binding of its release ([`super::env`]), the chain runs on it, and what it did
//! comes back as edits of the surface file:
//! - a renamed option renames its variable, to the name the *target* binds
//!   (`CACHE_SERVICE_URL` → `DATABROKER_SERVICE_URL`; `HEADERS` stays `HEADERS`);
//! - a value a step moves into a block gets the variable of its new key
//!   (`CLIENT_CA_FILE` → `DOWNSTREAM_MTLS_CA_FILE`);
//! - a rewritten value is rewritten in place;
//! - a removed option's variable is commented out under the step's note (deleted where no
//!   comment can stand), and reported as an action: Pomerium does not read it any more and
//!   ignores it without a word;
//! - the steps' and the target validation's findings are reported at the variable's line, and
//!   action markers written above a variable (or left where one was commented out) are read
//!   back into the virtual config, so `check` keeps them open as for a config file.
//!
//! Values that hold `$` (interpolation), no value (taken from the shell) or a `valueFrom` are
//! unknown: never checked, never rewritten; a removed or renamed variable is still reported and
//! edited by name. An empty value is unset (Pomerium ignores empty variables) and is left alone.
//! `POLICY` and `ROUTES` go to [`super::route_env`]. Variables Pomerium does not read are neither
//! touched nor reported.
//!
//! The starting version is `--from`, else the image tag (`pomerium/pomerium:v0.19.0` is 0.19),
//! else inferred from the variables' keys as for a config. After the migration, an image tag
//! older than the target is an action, or with `--to` naming a patch release, rewritten.

use crate::document::{Document, Edit, EntryId, Location, NodeId, Position, Value};
use crate::runner::{self, Input, RunConfig, RunError};
use crate::step::{FileKind, Finding, Severity};
use crate::validate::marker;
use crate::version::Version;

use super::image::Image;
use super::route_env::{self, RouteListVar};
use super::virtual_config::{self, Fate, Origin, Piece, VirtualEntry};
use super::{env, finding};

/// The step ids of the findings this module reports itself.
const ENV_IGNORED: &str = "env-ignored";
const ENV_NOT_READ: &str = "env-not-read";
const ENV_RENAMED: &str = "env-renamed";
use super::image::IMAGE_TAG;

/// A container (compose service, pod-template container) that runs Pomerium.
#[derive(Clone, Debug)]
pub(crate) struct Container {
    /// `service` or `container`, for messages.
    pub what: &'static str,
    pub name: String,
    pub kind: FileKind,
    /// The `image:` value node and its text.
    pub image: Option<(NodeId, String)>,
    /// The `image:` entry, where the image-tag action marker goes.
    pub image_entry: Option<EntryId>,
    /// Where its variables are (the `environment`/`env` key); findings without a variable go
    /// here.
    pub env_at: Location,
    /// `environment` or `env`, for messages.
    pub env_name: &'static str,
    /// The map-form environment, where a new variable can be added.
    pub env_map: Option<NodeId>,
    /// The 1-based lines of the environment block (markers there belong to it).
    pub lines: std::ops::RangeInclusive<usize>,
    /// What holds the container (`Deployment `pomerium``), for messages.
    pub owner: Option<String>,
}

impl Container {
    /// `service `pomerium``, `container `pomerium` of Deployment `proxy``.
    pub fn describe(&self) -> String {
        match &self.owner {
            Some(owner) => format!("{} `{}` of {owner}", self.what, self.name),
            None => format!("{} `{}`", self.what, self.name),
        }
    }
}

/// One variable.
#[derive(Clone, Debug)]
pub(crate) struct Var {
    pub name: String,
    pub value: VarValue,
    /// Where its name is.
    pub at: Location,
    pub handle: Handle,
    /// Tool markers written above it: text after `# `, and where.
    pub markers: Vec<(String, Location)>,
    /// The value text after `=` of a list item (`None` for `- NAME` alone, and for other
    /// shapes).
    pub written: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VarValue {
    Known(String),
    /// Interpolated (`$`), taken from the shell (no value) or from a `valueFrom`.
    Unknown(String),
    /// Empty: Pomerium treats it as unset.
    Unset,
}

/// How a variable is written, and so how it is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handle {
    /// `NAME: value` in a mapping (compose map form).
    MapEntry { entry: EntryId, value: NodeId },
    /// `- NAME=value`, one scalar item (compose list form).
    ListItem { item: NodeId },
    /// `- name: NAME` / `value: …` (Kubernetes); `value` is `None` for a `valueFrom`.
    EnvEntry {
        item: NodeId,
        name: NodeId,
        value: Option<NodeId>,
    },
}

impl Handle {
    /// Renames the variable and/or sets its value (each `None` keeps it).
    fn rewrite(
        &self,
        name: &str,
        written: Option<&str>,
        new_name: Option<&str>,
        new_value: Option<&str>,
    ) -> Vec<Edit> {
        let mut edits = Vec::new();
        match *self {
            Handle::MapEntry { entry, value } => {
                if let Some(new_name) = new_name {
                    edits.push(Edit::RenameKey {
                        entry,
                        new_key: new_name.to_owned(),
                    });
                }
                if let Some(v) = new_value {
                    edits.push(Edit::SetScalar {
                        node: value,
                        value: Value::String(v.to_owned()),
                    });
                }
            }
            Handle::ListItem { item } => {
                if new_name.is_some() || new_value.is_some() {
                    // Both in one edit of the item's text; what is not given stays as written.
                    let name = new_name.unwrap_or(name);
                    let text = match new_value.or(written) {
                        Some(value) => format!("{name}={value}"),
                        None => name.to_owned(),
                    };
                    edits.push(Edit::SetScalar {
                        node: item,
                        value: Value::String(text),
                    });
                }
            }
            Handle::EnvEntry {
                name: name_node,
                value,
                ..
            } => {
                if let Some(new_name) = new_name {
                    edits.push(Edit::SetScalar {
                        node: name_node,
                        value: Value::String(new_name.to_owned()),
                    });
                }
                if let (Some(v), Some(node)) = (new_value, value) {
                    edits.push(Edit::SetScalar {
                        node,
                        value: Value::String(v.to_owned()),
                    });
                }
            }
        }
        edits
    }

    /// Sets the value (a route list re-encoded).
    fn set(&self, name: &str, value: &str) -> Edit {
        match *self {
            Handle::MapEntry { value: node, .. }
            | Handle::EnvEntry {
                value: Some(node), ..
            } => Edit::SetScalar {
                node,
                value: Value::String(value.to_owned()),
            },
            Handle::EnvEntry { name: node, .. } => Edit::SetScalar {
                node,
                value: Value::String(name.to_owned()),
            },
            Handle::ListItem { item } => Edit::SetScalar {
                node: item,
                value: Value::String(format!("{name}={value}")),
            },
        }
    }

    fn can_comment_out(&self, doc: &Document) -> bool {
        match *self {
            Handle::MapEntry { entry, .. } => doc.can_comment_out(entry),
            Handle::ListItem { item } | Handle::EnvEntry { item, .. } => {
                doc.can_comment_out_item(item)
            }
        }
    }

    /// The edit that removes the variable: commented out under `note` where a comment can
    /// stand, deleted elsewhere.
    fn remove(&self, comment: bool, note: String) -> Option<Edit> {
        Some(match (*self, comment) {
            (Handle::MapEntry { entry, .. }, true) => Edit::CommentOut { entry, note },
            (Handle::MapEntry { entry, .. }, false) => Edit::Delete { entry },
            (Handle::ListItem { item } | Handle::EnvEntry { item, .. }, true) => {
                Edit::CommentOutItem { item, note }
            }
            (Handle::ListItem { item } | Handle::EnvEntry { item, .. }, false) => {
                Edit::DeleteItem { item }
            }
        })
    }

    fn annotate(&self, doc: &Document, text: String) -> Option<Edit> {
        match *self {
            Handle::MapEntry { entry, .. } => doc
                .can_comment_out(entry)
                .then_some(Edit::Annotate { entry, text }),
            Handle::ListItem { item } | Handle::EnvEntry { item, .. } => doc
                .can_comment_out_item(item)
                .then_some(Edit::AnnotateItem { item, text }),
        }
    }
}

/// What one container contributes to the file's run.
pub(crate) struct Done {
    pub edits: Vec<Edit>,
    pub findings: Vec<Finding>,
    /// Decoded route lists (`POLICY`, `ROUTES`), for the report.
    pub decoded: Vec<super::decoded::DecodedView>,
    pub warnings: Vec<String>,
    pub from: Version,
    pub to: Version,
}

/// A variable's value as written: `$` (interpolation) makes it unknown, empty unset.
pub(crate) fn classify(text: &str) -> VarValue {
    if text.is_empty() {
        VarValue::Unset
    } else if text.contains('$') {
        VarValue::Unknown(text.to_owned())
    } else {
        VarValue::Known(text.to_owned())
    }
}

/// Migrates the variables of one container through a virtual config (module docs).
pub(crate) fn migrate_vars(
    input: &Input,
    doc: &Document,
    container: &Container,
    vars: &[Var],
    config: &RunConfig<'_>,
    to_default: Version,
) -> Result<Done, RunError> {
    let path = input.source.display();
    let tag_version = container
        .image
        .as_ref()
        .and_then(|(_, text)| Image::parse(text).version());
    // An earlier apply that left the tag older marked the image with the release it migrated
    // the variables to: that is where they start now.
    let migrated_to = image_migrated_to(doc, container);
    let evidence = tag_version.max(migrated_to);
    let mut warnings = Vec::new();
    if let (Some(given), Some(tagged)) = (config.from, tag_version)
        && given != tagged
        && migrated_to.is_none_or(|m| m != given)
    {
        warnings.push(format!(
            "{path}: --from {given}, but the image of {} is tagged for {tagged}",
            container.describe()
        ));
    }
    let mut done = Done {
        edits: Vec::new(),
        findings: Vec::new(),
        decoded: Vec::new(),
        warnings,
        from: config.from.or(evidence).unwrap_or(to_default),
        to: config.to.unwrap_or(to_default),
    };
    let env_at = container.env_at;
    let kind = container.kind;

    // The release the variables are read at: --from, the image's marker or tag, else their
    // keys.
    let from = match config.from.or(evidence) {
        Some(from) => from,
        None => infer_from(vars, kind),
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
                done.edits.push(var.handle.set(&var.name, &new_value));
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
    let projected_vars: Vec<Var> = projected.iter().map(|&i| vars[i].clone()).collect();
    let orphans = orphan_markers(doc, container, &projected_vars);
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
            container,
            (tag_version, migrated_to),
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

    // Values the chain moved to new keys (`client_ca` → `downstream_mtls.ca`): the variable is
    // renamed in place to the new key's; a key a step added is added as a variable.
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
            Some(name)
                if vars.iter().all(|v| v.name != name)
                    && (from_var.is_some() || container.env_map.is_some()) =>
            {
                match (from_var, container.env_map) {
                    (Some(var), _) => done.edits.extend(var.handle.rewrite(
                        &var.name,
                        var.written.as_deref(),
                        Some(&name),
                        None,
                    )),
                    (None, Some(map)) => done.edits.push(Edit::Insert {
                        map,
                        position: Position::End,
                        key: name.clone(),
                        value: Value::String(text),
                    }),
                    (None, None) => {}
                }
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
            Some(name) if vars.iter().any(|v| v.name == name) => done.findings.push(finding(
                to,
                ENV_NOT_READ,
                Severity::ActionRequired,
                at,
                format!(
                    "`{name}` is set already: check that it holds what the migration moved to \
                     `{key}`"
                ),
            )),
            Some(name) => done.findings.push(finding(
                to,
                ENV_NOT_READ,
                Severity::ActionRequired,
                at,
                format!(
                    "Pomerium {to} reads `{key}` from `{name}`: add `{name}` with the value \
                     {} to the {} of {}",
                    from_var.map_or_else(
                        || "the migration gives it".to_owned(),
                        |v| format!("of `{}`", v.name)
                    ),
                    container.env_name,
                    container.describe()
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
        container,
        (tag_version, migrated_to),
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
    done: &mut Done,
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
            let mut renamed: Option<String> = None;
            match env::env_for(kind, &key, to) {
                Some(name) if name != var.name => {
                    renamed = Some(name.clone());
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
            let new_value = (value_changed && matches!(var.value, VarValue::Known(_)))
                .then(|| value.scalar_text())
                .flatten();
            done.edits.extend(var.handle.rewrite(
                &var.name,
                var.written.as_deref(),
                renamed.as_deref(),
                new_value.as_deref(),
            ));
            for text in markers {
                if let Some(edit) = var.handle.annotate(doc, text) {
                    done.edits.push(edit);
                }
            }
        }
        // Renamed in place to the variable of the key its value moved to.
        Fate::Removed { .. } if moved => {}
        Fate::Removed { was, note } => {
            let key = was.join(".");
            let marked = note
                .as_deref()
                .is_some_and(|n| n.starts_with(&format!("{} action", marker::TOOL)));
            let commented = var.handle.can_comment_out(doc);
            let since = note.as_deref().and_then(note_version).unwrap_or(to);
            let note = note.unwrap_or_else(|| {
                format!("{} v{to}: `{}` is no longer read", marker::TOOL, var.name)
            });
            let removal = var.handle.remove(commented, note);
            let removed = removal.is_some();
            done.edits.extend(removal);
            let (what, trace) = match (removed, commented) {
                (false, _) => ("remove it", ""),
                (true, true) if marked => (
                    "commented out",
                    "; the action marker above it stays until it is done",
                ),
                (true, true) => ("commented out", "; `check` will not report it again"),
                (true, false) => ("removed", "; `check` will not report it again"),
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

/// Tool markers in the comment lines right above 1-based `line`.
pub(crate) fn markers_above(lines: &[&str], line: usize) -> Vec<(String, Location)> {
    let mut out = Vec::new();
    let mut at = line.saturating_sub(1);
    while at > 0 {
        let Some(raw) = lines.get(at - 1) else {
            break;
        };
        let text = raw.trim_start();
        let Some(comment) = text.strip_prefix('#').map(str::trim_start) else {
            break;
        };
        // Only the markers right above: another comment (a variable commented out above this
        // one, with its own marker) ends them.
        if !(comment.starts_with(&format!("{} action ", marker::TOOL))
            || comment.starts_with(&format!("{} accepted ", marker::TOOL)))
        {
            break;
        }
        out.push((
            comment.to_owned(),
            Location {
                line: at,
                column: raw.len() - text.len() + 1,
            },
        ));
        at -= 1;
    }
    out.reverse();
    out
}

/// Open markers in the container's environment block that sit above no variable (a variable
/// the tool commented out under an action marker).
fn orphan_markers(doc: &Document, container: &Container, vars: &[Var]) -> Vec<(String, Location)> {
    let used: Vec<usize> = vars
        .iter()
        .flat_map(|v| v.markers.iter().map(|(_, at)| at.line))
        .collect();
    marker::scan(doc)
        .into_iter()
        .filter(|m| m.state == marker::State::Open)
        .filter(|m| container.lines.contains(&m.location.line))
        .filter(|m| !used.contains(&m.location.line))
        .map(|m| {
            let text = format!("{} action {}: {}", marker::TOOL, m.step, m.text);
            (text, m.location)
        })
        .collect()
}

/// The 1-based lines of the block under the key on `line` at `column`: the lines after it that
/// are blank, comments, deeper, or sequence items at its own column (YAML lets a list sit at its
/// key's indentation).
pub(crate) fn block_lines(
    text: &str,
    line: usize,
    column: usize,
) -> std::ops::RangeInclusive<usize> {
    let mut last = line;
    for (i, l) in text.lines().enumerate().skip(line) {
        let trimmed = l.trim_start();
        let indent = l.len() - trimmed.len() + 1;
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || indent > column
            || (indent == column && trimmed.starts_with('-'))
        {
            last = i + 1;
        } else {
            break;
        }
    }
    line..=last
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

/// The release an image-tag action marker above the container's `image:` names (see
/// [`super::image::marker_release`]).
pub(crate) fn image_migrated_to(doc: &Document, container: &Container) -> Option<Version> {
    let entry = container.image_entry?;
    let lines: Vec<&str> = doc.text().lines().collect();
    super::image::marked_release(&lines, doc.entry_location(entry).line, IMAGE_TAG)
}

/// After the migration, an image older than the target is an action; with `--to` naming a
/// patch release (`v0.33.1`), the tag is rewritten to it instead. An action leaves a marker
/// above the `image:` entry naming the release the variables now are for, so that later runs
/// start there rather than at the older tag (0.23's `$` escaping must not run twice); where no
/// comment can stand (JSON), the message says to give `--from` on later runs.
fn image_tag_finding(
    doc: &Document,
    container: &Container,
    (tagged, migrated_to): (Option<Version>, Option<Version>),
    release: Option<&str>,
    done: &mut Done,
) {
    let (Some((node, text)), Some(tagged)) = (&container.image, tagged) else {
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
            format!("{}: image `{text}` is now `{new}`", container.describe()),
        ));
        return;
    }
    if tagged >= to {
        return;
    }
    let entry = container.image_entry.filter(|e| doc.can_comment_out(*e));
    let later = if entry.is_some() {
        format!(
            "; the marker above the image tells later runs the variables are migrated to {to} \
             (delete it once the tag is changed)"
        )
    } else {
        format!(
            "; no comment can stand here, so give --from {to} on later runs until the tag is \
             changed (the tag alone would have them migrate the variables again)"
        )
    };
    let message = format!(
        "{} runs `{text}`, Pomerium {tagged}, and its variables are now for {to}: \
         change the image tag to a {to} release when you deploy them (or give the release \
         with --to, e.g. --to v{to}.0, and apply rewrites the tag){later}",
        container.describe()
    );
    if let Some(entry) = entry
        && migrated_to.is_none_or(|m| m < to)
    {
        done.edits.push(Edit::Annotate {
            entry,
            text: format!("{} action v{to}/{IMAGE_TAG}: {message}", marker::TOOL),
        });
    }
    done.findings.push(finding(
        to,
        IMAGE_TAG,
        Severity::ActionRequired,
        at,
        message,
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
            "  DATABROKER_STORAGE_TYPE: redis",
            "  # pomerium-migrate action v0.29/opentelemetry: replaced",
            "  # TRACING_PROVIDER: jaeger",
            "  OTEL_TRACES_SAMPLER_ARG: x",
        ];
        let found = markers_above(&lines, 3);
        assert_eq!(
            found,
            [(
                "pomerium-migrate action v0.24/redis: gone".to_owned(),
                Location { line: 2, column: 3 }
            )]
        );
        assert!(markers_above(&lines, 2).is_empty());
        // The marker of a variable commented out above is not this one's.
        assert!(markers_above(&lines, 6).is_empty());
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

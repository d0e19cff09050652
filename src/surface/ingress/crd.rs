//! The Ingress Controller's `Pomerium` custom resource (`apiVersion: ingress.pomerium.io/v1`,
//! `kind: Pomerium`): the `spec` fields that controller releases removed or deprecated.
//!
//! **Why a table and not release steps.** The resource's fields are the controller's schema,
//! not Pomerium options, and their life follows the controller's releases: `storage.redis` is a
//! mapping of Secret references that left the schema at v0.25.0 (a release after Pomerium's
//! own Redis backend, which the v0.24 step reports on `databroker_storage_type`), and the
//! directory-sync fields stayed valid with a warning from v0.20.0, where Pomerium Core refuses
//! `idp_service_account` at start-up. Projecting them onto the Core options they once fed and
//! running the v0.20, v0.24, v0.26 and v0.31 steps would report what Core does, not what the
//! controller does. So the facts live in `crd-fields.tsv`, each with its controller tag, file and
//! commit; the messages follow the matching Core steps (`v0.26/cookie-secure`,
//! `v0.31/authenticate-callback-path`), and the release each change belongs to is the Pomerium
//! release its controller tag embeds ([`super::controller::pomerium_of`]).
//!
//! **What a run does**, for every change whose release is at most `--to` (whatever `--from`
//! is: a field the target's schema lacks is wrong at any starting release):
//!
//! - `removed`: the field is commented out under a note (deleted where no comment can stand, or
//!   with `--removed delete`), reported as changed; when the user must act (`action` column), an
//!   action, and the note is written as an action marker so later runs keep reporting it;
//! - `deprecated`: a note; nothing changes. A deprecation followed by a removal within the run
//!   reports only the removal.

use std::sync::LazyLock;

use super::controller::{TableError, Tag, pomerium_of};
use crate::document::{Document, Edit, EntryRef, NodeId};
use crate::step::{Finding, RemovedMode, Severity};
use crate::validate::marker::TOOL;
use crate::version::Version;

const FIELDS_TSV: &str = include_str!("crd-fields.tsv");

/// The controller's reference of the resource.
pub const LINK: &str = "https://www.pomerium.com/docs/deploy/k8s/reference";

/// What a controller release did to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Removed,
    Deprecated,
}

/// When a change needs the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionWhen {
    Always,
    Never,
    /// Unless the field holds this value (the behaviour the release keeps).
    Unless(&'static str),
}

/// One row of `crd-fields.tsv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Names the change in reports and markers.
    pub id: &'static str,
    /// The path under `spec`, dotted (`cookie.secure`).
    pub field: &'static str,
    pub change: Change,
    /// The controller release that made the change.
    pub tag: Tag,
    /// The Pomerium release that controller release embeds.
    pub version: Version,
    pub action: ActionWhen,
    pub source: &'static str,
    /// What the change means.
    pub advice: &'static str,
    /// What the user does when the change needs them (`None`: never).
    pub todo: Option<&'static str>,
}

impl FieldChange {
    /// `v0.25/crd-storage-redis`, as reports and markers name it.
    pub fn qualified_id(&self) -> String {
        format!("v{}/{}", self.version, self.id)
    }
}

/// Parses `crd-fields.tsv`:
/// `id<TAB>field<TAB>change<TAB>tag<TAB>action<TAB>source<TAB>advice<TAB>todo`.
pub fn parse_fields(text: &'static str) -> Result<Vec<FieldChange>, TableError> {
    const TABLE: &str = "crd-fields.tsv";
    let mut out: Vec<FieldChange> = Vec::new();
    for (line_no, line) in crate::keys::data_lines(text) {
        let err = |reason: String| TableError {
            table: TABLE,
            line: line_no,
            reason,
        };
        let parts: Vec<&'static str> = line.split('\t').collect();
        let [id, field, change, tag, action, source, advice, todo] = parts[..] else {
            return Err(err(format!("expected 8 fields, found {}", parts.len())));
        };
        if parts.iter().any(|p| p.trim().is_empty()) || out.iter().any(|f| f.id == id) {
            return Err(err(format!("bad entry `{id}`")));
        }
        let change = match change {
            "removed" => Change::Removed,
            "deprecated" => Change::Deprecated,
            other => return Err(err(format!("unknown change `{other}`"))),
        };
        let tag = Tag::parse(tag).ok_or_else(|| err(format!("`{tag}` is not a release tag")))?;
        let action = match action {
            "always" => ActionWhen::Always,
            "never" => ActionWhen::Never,
            other => match other.strip_prefix("unless:") {
                Some(value) => ActionWhen::Unless(value),
                None => return Err(err(format!("unknown action `{other}`"))),
            },
        };
        let todo = (todo != "-").then_some(todo);
        if (action == ActionWhen::Never) != todo.is_none() {
            return Err(err(format!(
                "`{id}`: an action needs its todo, and only then"
            )));
        }
        out.push(FieldChange {
            id,
            field,
            change,
            tag,
            version: pomerium_of(tag),
            action,
            source,
            advice,
            todo,
        });
    }
    Ok(out)
}

static FIELDS: LazyLock<Vec<FieldChange>> =
    LazyLock::new(|| parse_fields(FIELDS_TSV).unwrap_or_default());

/// Every change of the table, in its order.
pub fn field_changes() -> &'static [FieldChange] {
    &FIELDS
}

/// Whether a mapping is a `Pomerium` resource of the controller.
pub fn is_pomerium_object(doc: &Document, object: NodeId) -> bool {
    let text = |key: &str| doc.get(object, key).and_then(|e| doc.str(e.value));
    text("kind") == Some("Pomerium")
        && text("apiVersion").is_some_and(|v| v.starts_with("ingress.pomerium.io/"))
}

/// The entries a dotted field path leads through under `spec`, outermost first (`None` when the
/// field is not there).
fn field_entries<'a>(doc: &'a Document, spec: NodeId, field: &str) -> Option<Vec<EntryRef<'a>>> {
    let mut map = spec;
    let mut out = Vec::new();
    for segment in field.split('.') {
        let entry = doc.get(map, segment)?;
        map = doc.resolve(entry.value);
        out.push(entry);
    }
    Some(out)
}

/// The entry to remove for a removed field: the field, or the outermost mapping below `spec`
/// that holds nothing else (`storage` when it holds only `redis`: the controller refuses a
/// `storage` with no backend in it, where no `storage` means in-memory storage).
fn removal_target<'a>(doc: &Document, path: &'a [EntryRef<'a>]) -> Option<&'a EntryRef<'a>> {
    let mut target = path.last()?;
    for outer in path.iter().rev().skip(1) {
        if doc.entries(doc.resolve(outer.value)).len() != 1 {
            break;
        }
        target = outer;
    }
    Some(target)
}

/// What one `Pomerium` object needs: edits of the document it is in, and findings located in
/// that document.
#[derive(Debug, Default)]
pub struct Plan {
    pub edits: Vec<Edit>,
    pub findings: Vec<Finding>,
}

/// The changes of the table for one `Pomerium` object, for a run to Pomerium `to`. `name`
/// names the object in messages (`Pomerium global`).
pub fn plan(doc: &Document, object: NodeId, name: &str, to: Version, removed: RemovedMode) -> Plan {
    let mut plan = Plan::default();
    let Some(spec) = doc.get(object, "spec").map(|e| doc.resolve(e.value)) else {
        return plan;
    };
    for change in field_changes().iter().filter(|c| c.version <= to) {
        let Some(path) = field_entries(doc, spec, change.field) else {
            continue;
        };
        let Some(entry) = path.last() else {
            continue;
        };
        let superseded = field_changes().iter().any(|later| {
            later.field == change.field
                && later.change == Change::Removed
                && later.version <= to
                && later.id != change.id
        });
        if change.change == Change::Deprecated && superseded {
            continue;
        }
        let at = Some(doc.entry_location(entry.id));
        let finding = |severity, message: String| Finding {
            version: change.version,
            step: change.id,
            severity,
            location: at,
            message,
            link: LINK,
        };
        let field = format!("`spec.{}` of {name}", change.field);
        let controller = format!("ingress-controller {}", change.tag);
        match change.change {
            Change::Deprecated => plan.findings.push(finding(
                Severity::Note,
                format!(
                    "{field} is deprecated since {controller} (Pomerium {}): {}",
                    change.version, change.advice
                ),
            )),
            Change::Removed => {
                let value = doc.value(entry.value);
                let value = value.scalar_text();
                let action = match change.action {
                    ActionWhen::Always => true,
                    ActionWhen::Never => false,
                    ActionWhen::Unless(keep) => value.as_deref().map(str::trim) != Some(keep),
                };
                let Some(target) = removal_target(doc, &path) else {
                    continue;
                };
                let comment = removed == RemovedMode::Comment && doc.can_comment_out(target.id);
                let why = format!("removed from the Pomerium resource in {controller}");
                if comment {
                    let note = if action {
                        format!(
                            "{TOOL} action {}: {why}; {}",
                            change.qualified_id(),
                            change.todo.unwrap_or(change.advice)
                        )
                    } else {
                        format!("{TOOL} v{}: {why}", change.version)
                    };
                    plan.edits.push(Edit::CommentOut {
                        entry: target.id,
                        note,
                    });
                } else {
                    plan.edits.push(Edit::Delete { entry: target.id });
                }
                let mut done = if comment { "commented out" } else { "deleted" }.to_owned();
                if target.id != entry.id {
                    let depth = path
                        .iter()
                        .position(|e| e.id == target.id)
                        .unwrap_or_default();
                    let outer: Vec<&str> = path[..=depth].iter().map(|e| e.key).collect();
                    done = format!(
                        "{done} with `spec.{}`, which held nothing else",
                        outer.join(".")
                    );
                }
                plan.findings.push(finding(
                    Severity::Changed,
                    format!(
                        "{field} {done}: the resource has no such field from {controller} \
                         (Pomerium {}); {}",
                        change.version,
                        if action {
                            "see the action"
                        } else {
                            change.advice
                        }
                    ),
                ));
                if action {
                    let mut message = format!("{field}: ");
                    if let (Some(value), ActionWhen::Unless(_)) = (&value, change.action) {
                        message.push_str(&format!("it was `{value}`; "));
                    }
                    message.push_str(change.todo.unwrap_or(change.advice));
                    if !comment {
                        message.push_str(
                            " [no marker could be left where the field was: this action is \
                             reported by this run only]",
                        );
                    }
                    plan.findings
                        .push(finding(Severity::ActionRequired, message));
                }
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Format;

    fn v(minor: u32) -> Version {
        Version::new(0, minor)
    }

    #[test]
    fn the_table_parses_with_the_release_each_tag_embeds() {
        let fields = parse_fields(FIELDS_TSV);
        assert!(fields.as_ref().is_ok_and(|f| f.len() == 6), "{fields:?}");
        let version = |id: &str| {
            field_changes()
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.version)
        };
        assert_eq!(version("crd-storage-redis"), Some(v(25)));
        assert_eq!(version("crd-cookie-secure"), Some(v(26)));
        assert_eq!(version("crd-callback-path"), Some(v(31)));
        assert_eq!(version("crd-service-account"), Some(v(20)));
        assert_eq!(version("crd-refresh-directory"), Some(v(20)));
        assert!(parse_fields("a\tb\tremoved\tv0.1.0\tnever\ts\tx\t-\n").is_ok());
        assert!(parse_fields("a\tb\tgone\tv0.1.0\tnever\ts\tx\t-\n").is_err());
        assert!(parse_fields("a\tb\tremoved\tv0.1.0\tmaybe\ts\tx\t-\n").is_err());
        assert!(parse_fields("a\tb\tremoved\tv0.1\tnever\ts\tx\t-\n").is_err());
        assert!(parse_fields("a\tb\tremoved\tv0.1.0\tnever\ts\tx\n").is_err());
        // An action needs something to do, and a change without one has none.
        assert!(parse_fields("a\tb\tremoved\tv0.1.0\talways\ts\tx\t-\n").is_err());
        assert!(parse_fields("a\tb\tremoved\tv0.1.0\tnever\ts\tx\ty\n").is_err());
    }

    fn doc(text: &str) -> Document {
        match Document::parse(text.to_owned(), Format::Yaml) {
            Ok(d) => d,
            Err(e) => panic!("test input does not parse: {e}"),
        }
    }

    fn run(text: &str, to: u32) -> (String, Vec<(Severity, String)>) {
        let d = doc(text);
        let Some(root) = d.root() else {
            panic!("no root")
        };
        assert!(is_pomerium_object(&d, root));
        let plan = plan(&d, root, "Pomerium global", v(to), RemovedMode::Comment);
        let out = match d.apply(&plan.edits) {
            Ok(out) => out.text().to_owned(),
            Err(e) => panic!("{e}"),
        };
        let findings = plan
            .findings
            .into_iter()
            .map(|f| (f.severity, format!("{} {}", f.step, f.message)))
            .collect();
        (out, findings)
    }

    const CRD: &str = "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nmetadata:\n  name: \
                       global\nspec:\n  authenticate:\n    url: https://authenticate.example.com\n    \
                       callbackPath: /oauth2/callback\n  cookie:\n    secure: false\n    name: _p\n  \
                       identityProvider:\n    provider: google\n    serviceAccountFromSecret: sa\n  \
                       storage:\n    redis:\n      secret: pomerium/redis\n";

    #[test]
    fn removed_fields_are_commented_out_from_their_release_on() {
        // Before 0.20 nothing applies.
        let (out, findings) = run(CRD, 19);
        assert_eq!(out, CRD);
        assert!(findings.is_empty(), "{findings:?}");
        // 0.20..0.24: notes only.
        let (out, findings) = run(CRD, 24);
        assert_eq!(out, CRD);
        let ids: Vec<&str> = findings.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(findings.len(), 2, "{ids:?}");
        assert!(findings.iter().all(|(s, _)| *s == Severity::Note));
        // 0.33: Redis replaced its deprecation, cookie.secure=false and the default callback path.
        let (out, findings) = run(CRD, 33);
        assert!(
            out.contains(
                "  # pomerium-migrate action v0.25/crd-storage-redis: removed from the Pomerium \
                 resource in ingress-controller v0.25.0; store"
            ),
            "{out}"
        );
        // `storage` held only `redis`: it goes as a whole (a `storage` with no backend is
        // refused by the controller, no `storage` means in-memory).
        assert!(
            out.contains("  # storage:\n  #   redis:\n  #     secret: pomerium/redis\n"),
            "{out}"
        );
        assert!(findings.iter().any(|(_, m)| {
            m.contains("commented out with `spec.storage`, which held nothing else")
        }));
        assert!(out.contains("    # pomerium-migrate action v0.26/crd-cookie-secure:"));
        assert!(out.contains(
            "    # pomerium-migrate v0.31: removed from the Pomerium resource in \
             ingress-controller v0.31.0\n    # callbackPath: /oauth2/callback\n"
        ));
        let severities: Vec<(Severity, &str)> = findings
            .iter()
            .map(|(s, m)| (*s, m.split(' ').next().unwrap_or_default()))
            .collect();
        assert_eq!(
            severities,
            [
                (Severity::Changed, "crd-storage-redis"),
                (Severity::ActionRequired, "crd-storage-redis"),
                (Severity::Changed, "crd-cookie-secure"),
                (Severity::ActionRequired, "crd-cookie-secure"),
                (Severity::Changed, "crd-callback-path"),
                (Severity::Note, "crd-service-account"),
            ]
        );
        // Applying again changes nothing more, and the deprecation note stays.
        let (again, findings) = run(&out, 33);
        assert_eq!(again, out);
        assert_eq!(findings.len(), 1, "{findings:?}");
    }

    #[test]
    fn a_removed_field_goes_alone_when_its_mapping_holds_more() {
        let text = "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nspec:\n  storage:\n    \
                    redis:\n      secret: a/r\n    postgres:\n      secret: a/p\n";
        let (out, _) = run(text, 25);
        assert_eq!(
            out,
            "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nspec:\n  storage:\n    # \
             pomerium-migrate action v0.25/crd-storage-redis: removed from the Pomerium resource \
             in ingress-controller v0.25.0; store the databroker in PostgreSQL with \
             `storage.postgres` (a Secret with a `connection` key), or leave `storage` out to keep \
             it in memory; what Redis holds is not carried over\n    # redis:\n    #   secret: \
             a/r\n    postgres:\n      secret: a/p\n"
        );
    }

    #[test]
    fn flow_mappings_and_delete_mode_delete_the_field() {
        let text = "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nspec:\n  cookie: {secure: \
                    true, name: _p}\n";
        let (out, findings) = run(text, 26);
        assert_eq!(
            out,
            "apiVersion: ingress.pomerium.io/v1\nkind: Pomerium\nspec:\n  cookie: {name: _p}\n"
        );
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].1.contains("deleted"), "{findings:?}");
        let d = doc(CRD);
        let Some(root) = d.root() else {
            panic!("no root")
        };
        let plan = plan(&d, root, "Pomerium global", v(26), RemovedMode::Delete);
        assert!(
            plan.edits.iter().all(|e| matches!(e, Edit::Delete { .. })),
            "{:?}",
            plan.edits
        );
        let actions: Vec<&Finding> = plan
            .findings
            .iter()
            .filter(|f| f.severity == Severity::ActionRequired)
            .collect();
        assert!(actions.iter().all(|f| f.message.contains("no marker")));
    }

    #[test]
    fn other_objects_are_not_pomerium_resources() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\n",
            "apiVersion: example.com/v1\nkind: Pomerium\n",
            "kind: Pomerium\n",
        ] {
            let d = doc(text);
            let root = d.root();
            assert!(root.is_some_and(|r| !is_pomerium_object(&d, r)), "{text}");
        }
    }
}

//! Pomerium configs embedded in Kubernetes objects: a ConfigMap or Secret entry that holds a
//! whole `config.yaml`.
//!
//! Operators (and Pomerium's own Helm charts: pomerium/pomerium-helm `charts/pomerium/templates/
//! secret.yaml` renders `stringData: config.yaml: |`, `charts/pomerium-console/templates/
//! secret.yaml:8-9` the same) keep the config in a ConfigMap's `data` or a Secret's
//! `stringData`, usually as a literal block scalar, or base64-encoded in a Secret's `data`
//! (Kubernetes decodes `data` values as standard base64). The Pomerium container mounts the
//! object as files and reads the entry as its config file.
//!
//! Such an entry is migrated in place with the ordinary chain: the entry's text is run as the
//! config it is (its own kind, version inference and format; no file is created beside it,
//! [`crate::step::StepOptions::embedded_in`]), and the migrated text replaces the scalar through
//! [`Edit::SetScalar`], which keeps a block scalar's style and indentation. A `data` value is
//! decoded and encoded again the way it was written ([`super::encoded`]). Findings land on the
//! manifest's lines: inside a block scalar on the line and column the config line has in the
//! manifest; for a value written on one line (base64, a quoted string) on the value, naming the
//! line of the embedded config.
//!
//! Which entries are configs: the entry's name is `*.yaml`, `*.yml` or `*.json`, and its content
//! is a Pomerium Core or Console config by the same key weighing as a config file ("Kind" in
//! `docs/ARCHITECTURE.md`) with at least two keys, or one key when the name is `config.*` (an
//! application's `settings.yaml` with one `address` key is not taken for Pomerium's).

use crate::document::{Document, Edit, Format, Location, NodeId, Value};
use crate::runner::{FileRun, RunConfig, RunError, Source};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

use super::encoded::{self, Encoding};

/// The id findings about an embedded config itself (not about its options) carry.
pub const STEP_ID: &str = "embedded-config";

/// How the embedded text is written in the manifest, for placing findings and writing it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A literal block scalar (`|`, `|-`, `|+`, `|2`): line N of the config is manifest line
    /// `header_line + N`, its columns shifted by `indent`.
    Block { header_line: usize, indent: usize },
    /// A scalar written otherwise (quoted, plain, folded): every finding at the value.
    Inline,
    /// Base64 in `data` or `binaryData`: decoded, every finding at the value.
    Base64(Encoding),
}

/// One config found inside a manifest.
#[derive(Clone, Debug)]
pub struct Embedded {
    /// How the entry is named to the user: ``Secret `pomerium`, `stringData.config.yaml` ``.
    pub host: String,
    /// The entry's name (`config.yaml`).
    pub name: String,
    /// The entry's key, where findings about the entry as a whole go.
    pub key_at: Location,
    /// The scalar holding the config.
    pub value: NodeId,
    /// Where the scalar starts.
    pub value_at: Location,
    pub format: Format,
    pub kind: FileKind,
    /// The config's text (decoded); a secret may be in it, never printed as is.
    pub text: String,
    pub layout: Layout,
}

impl Embedded {
    /// A location in the embedded config as a location in the manifest.
    pub fn locate(&self, inner: Option<Location>) -> Location {
        match (&self.layout, inner) {
            (
                Layout::Block {
                    header_line,
                    indent,
                },
                Some(at),
            ) => Location {
                line: header_line + at.line,
                column: at.column + indent,
            },
            (_, Some(_)) => self.value_at,
            (_, None) => self.key_at,
        }
    }

    /// The message of a finding moved out of the config, naming the config's line where the
    /// manifest cannot show it (a value on one line).
    fn message(&self, inner: Option<Location>, message: &str) -> String {
        match (&self.layout, inner) {
            (Layout::Block { .. }, _) | (_, None) => message.to_owned(),
            (_, Some(at)) => format!(
                "in the decoded `{}`, line {}: {message}",
                self.name, at.line
            ),
        }
    }
}

/// An entry named like a config that could not be read as one, said in words (never its
/// content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub at: Location,
    pub message: String,
}

/// What a manifest holds.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub configs: Vec<Embedded>,
    pub unreadable: Vec<Unreadable>,
}

/// The Kubernetes objects of a document: its root mapping, each document of a stream (a
/// sequence root, [`Document::parse_stream`]'s shape), and the `items` of a `kind: List`.
pub fn objects(doc: &Document) -> Vec<NodeId> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let root = doc.resolve(root);
    let tops: Vec<NodeId> = if doc.is_sequence(root) {
        doc.items(root).iter().map(|i| doc.resolve(*i)).collect()
    } else {
        vec![root]
    };
    let mut out = Vec::new();
    for top in tops {
        if !doc.is_mapping(top) {
            continue;
        }
        if object_kind(doc, top) == Some("List")
            && let Some(items) = doc.get(top, "items")
        {
            out.extend(
                doc.items(doc.resolve(items.value))
                    .iter()
                    .map(|i| doc.resolve(*i))
                    .filter(|i| doc.is_mapping(*i)),
            );
        } else {
            out.push(top);
        }
    }
    out
}

/// An object's `kind`, when it has `apiVersion` and a string `kind`.
pub fn object_kind(doc: &Document, object: NodeId) -> Option<&str> {
    doc.get(object, "apiVersion")?;
    doc.str(doc.get(object, "kind")?.value)
}

/// An object's `metadata.name`.
pub fn object_name(doc: &Document, object: NodeId) -> Option<&str> {
    let metadata = doc.get(object, "metadata")?;
    doc.str(doc.get(metadata.value, "name")?.value)
}

/// The entries of ConfigMaps and Secrets that may hold text: `(field, base64)` per kind.
fn data_fields(kind: &str) -> &'static [(&'static str, bool)] {
    match kind {
        "ConfigMap" => &[("data", false), ("binaryData", true)],
        "Secret" => &[("stringData", false), ("data", true)],
        _ => &[],
    }
}

/// The format an entry's name gives, `None` for a name that is no config file's.
fn format_of_name(name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Some(Format::Yaml)
    } else if lower.ends_with(".json") {
        Some(Format::Json)
    } else {
        None
    }
}

/// Whether the name is a config file's by its stem (`config.yaml`, `pomerium.yml`): one key of
/// evidence is then enough.
fn config_name(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.eq_ignore_ascii_case("config") || stem.to_ascii_lowercase().contains("pomerium")
}

/// Finds the Pomerium configs embedded in ConfigMaps and Secrets.
pub fn find(doc: &Document) -> Found {
    let mut found = Found::default();
    for object in objects(doc) {
        let Some(kind) = object_kind(doc, object) else {
            continue;
        };
        let object_label = match object_name(doc, object) {
            Some(name) => format!("{kind} `{name}`"),
            None => kind.to_owned(),
        };
        for (field, base64) in data_fields(kind) {
            let Some(data) = doc.get(object, field) else {
                continue;
            };
            for entry in doc.entries(data.value) {
                let Some(format) = format_of_name(entry.key) else {
                    continue;
                };
                let value = doc.resolve(entry.value);
                let Some(written) = doc.str(value) else {
                    continue;
                };
                let host = format!("{object_label}, `{field}.{}`", entry.key);
                let key_at = doc.location(entry.key_node);
                let value_at = doc.location(value);
                let named = config_name(entry.key);
                let decoded = if *base64 {
                    match encoded::decode(written) {
                        Ok((bytes, encoding)) => match String::from_utf8(bytes) {
                            Ok(text) => Some((text, Layout::Base64(encoding))),
                            Err(_) => None,
                        },
                        Err(e) => {
                            if named {
                                found.unreadable.push(Unreadable {
                                    at: value_at,
                                    message: format!(
                                        "{host} is not base64 ({e}): its config cannot be read"
                                    ),
                                });
                            }
                            None
                        }
                    }
                } else {
                    Some((written.to_owned(), layout_of(doc, value)))
                };
                let Some((text, layout)) = decoded else {
                    continue;
                };
                match read_config(&text, format, named) {
                    Ok(Some(kind)) => found.configs.push(Embedded {
                        host,
                        name: entry.key.to_owned(),
                        key_at,
                        value,
                        value_at,
                        format,
                        kind,
                        text,
                        layout,
                    }),
                    Ok(None) => {}
                    Err(reason) if named => found.unreadable.push(Unreadable {
                        at: key_at,
                        message: format!("{host} does not read as a config: {reason}"),
                    }),
                    Err(_) => {}
                }
            }
        }
    }
    found
}

/// The kind of a config text, `None` when it is no Pomerium config; `Err` says why it does not
/// parse.
fn read_config(text: &str, format: Format, named: bool) -> Result<Option<FileKind>, String> {
    let doc = Document::parse(text.to_owned(), format).map_err(|e| e.to_string())?;
    let Some(root) = doc.root() else {
        return Ok(None);
    };
    if !doc.is_mapping(doc.resolve(root)) {
        return Ok(None);
    }
    let Ok(detection) = crate::detect::detect(&doc) else {
        return Ok(None);
    };
    let evidence = detection.kind_evidence.of(detection.kind).len();
    Ok((evidence >= 2 || (named && evidence >= 1)).then_some(detection.kind))
}

/// How a string scalar is written: a literal block scalar's header line and indentation, or
/// [`Layout::Inline`].
fn layout_of(doc: &Document, value: NodeId) -> Layout {
    let text = doc.text();
    let span = doc.span(value);
    let Some(written) = text.get(span.clone()) else {
        return Layout::Inline;
    };
    if !written.starts_with('|') {
        return Layout::Inline;
    }
    let header_end = written.find('\n').unwrap_or(written.len());
    let header = &written[..header_end];
    let explicit = header.chars().skip(1).take(2).any(|c| c.is_ascii_digit());
    let content = written.get(header_end + 1..).unwrap_or_default();
    let widths = content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len());
    // Without an indentation indicator the first non-blank line sets it; with one, the least
    // indented line is at it (a config always has a top-level key).
    let indent = if explicit {
        widths.min()
    } else {
        widths.into_iter().next()
    };
    match indent {
        Some(indent) => Layout::Block {
            header_line: doc.location(value).line,
            indent,
        },
        None => Layout::Inline,
    }
}

/// One embedded config after the chain: its run (with the decoded texts, for a report that
/// shows them) and what it changes in the manifest.
#[derive(Debug)]
pub struct Migrated {
    pub config: Embedded,
    pub run: FileRun,
    /// The manifest edit writing the migrated text back; `None` when nothing changed.
    pub edit: Option<Edit>,
    /// The run's findings, located in the manifest.
    pub findings: Vec<Finding>,
}

/// What migrating a manifest's embedded configs gives.
#[derive(Debug, Default)]
pub struct Outcome {
    pub migrated: Vec<Migrated>,
    /// Findings about entries that could not be read or run, located in the manifest.
    pub findings: Vec<Finding>,
}

impl Outcome {
    pub fn edits(&self) -> Vec<Edit> {
        self.migrated
            .iter()
            .filter_map(|m| m.edit.clone())
            .collect()
    }

    /// Every finding, in manifest order.
    pub fn all_findings(&self) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .migrated
            .iter()
            .flat_map(|m| m.findings.iter().cloned())
            .chain(self.findings.iter().cloned())
            .collect();
        out.sort_by_key(|f| f.location);
        out
    }
}

/// Runs the chain on every config embedded in `doc`. `manifest` names the manifest (for
/// messages); `from` is the version evidence the manifest has (an image tag), else `--from`,
/// else each config's own keys decide. `report_version` is the version findings about the
/// entries themselves carry.
pub fn migrate(
    doc: &Document,
    manifest: &Source,
    from: Option<Version>,
    report_version: Version,
    config: &RunConfig<'_>,
) -> Result<Outcome, RunError> {
    let found = find(doc);
    let mut outcome = Outcome::default();
    for problem in found.unreadable {
        outcome.findings.push(finding(
            report_version,
            Severity::ActionRequired,
            problem.at,
            problem.message,
        ));
    }
    for embedded in found.configs {
        outcome
            .migrated
            .push(migrate_one(embedded, manifest, from, config)?);
    }
    Ok(outcome)
}

fn finding(version: Version, severity: Severity, at: Location, message: String) -> Finding {
    super::finding(version, STEP_ID, severity, at, message)
}

/// Runs one embedded config. What the chain refuses stops the manifest's run as it would stop
/// a config file's, with the same exit code: an input it cannot read (exit 2: a key written
/// twice, a `$` whose escaping depends on a release the keys cannot tell) names the entry
/// after the manifest's path and the line in the embedded config; a refusal for safety is exit
/// 3.
fn migrate_one(
    embedded: Embedded,
    manifest: &Source,
    from: Option<Version>,
    config: &RunConfig<'_>,
) -> Result<Migrated, RunError> {
    let run = super::decoded::run_text(
        manifest,
        &embedded.host,
        embedded.text.clone(),
        embedded.format,
        embedded.kind,
        from,
        config,
    )?;
    let findings = run
        .findings
        .iter()
        .map(|f| Finding {
            location: Some(embedded.locate(f.location)),
            message: embedded.message(f.location, &f.message),
            ..f.clone()
        })
        .collect();
    let edit = run.changed().then(|| {
        let text = run.result().text();
        let value = match &embedded.layout {
            Layout::Base64(encoding) => encoded::encode(text.as_bytes(), encoding),
            Layout::Block { .. } | Layout::Inline => text.to_owned(),
        };
        Edit::SetScalar {
            node: embedded.value,
            value: Value::String(value),
        }
    });
    Ok(Migrated {
        config: embedded,
        run,
        edit,
        findings,
    })
}

/// The containers of the manifest's workloads (and Pods) that run a Pomerium Core image.
pub fn pomerium_containers(doc: &Document) -> Vec<NodeId> {
    let mut out = Vec::new();
    for object in objects(doc) {
        let Some(spec) = doc.get(object, "spec").map(|e| e.value) else {
            continue;
        };
        // A Pod has `spec.containers`; workloads have `spec.template.spec.containers`.
        let pod = doc
            .get(spec, "template")
            .and_then(|t| doc.get(t.value, "spec"))
            .map_or(spec, |s| s.value);
        for field in ["containers", "initContainers"] {
            let Some(list) = doc.get(pod, field) else {
                continue;
            };
            for item in doc.items(doc.resolve(list.value)) {
                let image = doc
                    .get(*item, "image")
                    .and_then(|e| doc.str(e.value))
                    .map(super::image::Image::parse);
                if image.is_some_and(|i| i.component() == Some(FileKind::Core)) {
                    out.push(doc.resolve(*item));
                }
            }
        }
    }
    out
}

/// The release the manifest's Pomerium containers run, from their image tags (the oldest when
/// several differ): exact `--from` evidence for the configs it holds. A container whose image
/// an earlier `apply` left older than its target carries an image-tag action marker naming
/// that target ([`super::image::marker_release`]): it counts as that release.
pub fn image_version(doc: &Document) -> Option<Version> {
    let lines: Vec<&str> = doc.text().lines().collect();
    pomerium_containers(doc)
        .into_iter()
        .filter_map(|c| {
            let entry = doc.get(c, "image")?;
            let tagged = super::image::Image::parse(doc.str(entry.value)?).version()?;
            let line = doc.entry_location(entry.id).line;
            let marked = super::image::marked_release(&lines, line, super::image::IMAGE_TAG);
            Some(tagged.max(marked.unwrap_or(tagged)))
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Document {
        Document::parse(text.to_owned(), Format::Yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) const CONFIG_MAP: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: pomerium-config
data:
  other.yaml: |
    address: :80
  config.yaml: |
    # Pomerium
    authenticate_service_url: https://authenticate.example.com
    idp_service_account: abc
    routes:
      - from: https://a.example.com
        to: http://a
  notes.txt: hello
";

    #[test]
    fn configs_in_config_maps_are_found_with_their_layout() {
        let doc = yaml(CONFIG_MAP);
        let found = find(&doc);
        assert!(found.unreadable.is_empty(), "{:?}", found.unreadable);
        let [config] = &found.configs[..] else {
            panic!("{:?}", found.configs);
        };
        assert_eq!(
            config.host,
            "ConfigMap `pomerium-config`, `data.config.yaml`"
        );
        assert_eq!(config.kind, FileKind::Core);
        assert_eq!(
            config.layout,
            Layout::Block {
                header_line: 8,
                indent: 4
            }
        );
        assert!(
            config
                .text
                .starts_with("# Pomerium\nauthenticate_service_url")
        );
        // Line 3 column 1 of the config (`idp_service_account`) is line 11 column 5.
        assert_eq!(
            config.locate(Some(Location { line: 3, column: 1 })),
            Location {
                line: 11,
                column: 5
            }
        );
    }

    #[test]
    fn secret_data_is_decoded_and_unreadable_configs_are_named() {
        let config = "idp_provider: google\nidp_service_account: x\n";
        let b64 = encoded::encode(
            config.as_bytes(),
            &Encoding {
                alphabet: encoded::Alphabet::Standard,
                padded: true,
                wrap: None,
                crlf: false,
                final_newline: false,
            },
        );
        let text = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\ndata:\n  config.yaml: {b64}\n  \
             config.json: not*base64\n  tls.crt: {b64}\n"
        );
        let found = find(&yaml(&text));
        let [config] = &found.configs[..] else {
            panic!("{:?}", found.configs);
        };
        assert!(matches!(config.layout, Layout::Base64(e) if e.is_standard()));
        assert_eq!(
            config.text,
            "idp_provider: google\nidp_service_account: x\n"
        );
        assert_eq!(config.value_at.line, 6);
        let [bad] = &found.unreadable[..] else {
            panic!("{:?}", found.unreadable);
        };
        assert_eq!(bad.at.line, 7);
        assert!(
            bad.message.contains("`data.config.json` is not base64"),
            "{}",
            bad.message
        );
    }

    #[test]
    fn configs_in_a_multi_document_stream_are_found_on_their_lines() {
        let text = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: pomerium\n---\n{CONFIG_MAP}"
        );
        let doc = Document::parse_stream(text).unwrap_or_else(|e| panic!("{e}"));
        let found = find(&doc);
        let [config] = &found.configs[..] else {
            panic!("{:?}", found.configs);
        };
        assert_eq!(
            config.locate(Some(Location { line: 3, column: 1 })),
            Location {
                line: 16,
                column: 5
            }
        );
    }

    #[test]
    fn streams_and_lists_hold_objects_and_other_objects_hold_no_config() {
        // A sequence root stands for a stream of documents.
        let doc = yaml(
            "- apiVersion: v1\n  kind: List\n  items:\n    - apiVersion: v1\n      kind: \
             ConfigMap\n      data:\n        config.yaml: |\n          idp_provider: x\n- \
             apiVersion: apps/v1\n  kind: Deployment\n  data:\n    config.yaml: |\n      \
             idp_provider: x\n",
        );
        assert_eq!(objects(&doc).len(), 2);
        let found = find(&doc);
        assert_eq!(found.configs.len(), 1);
        assert_eq!(found.configs[0].host, "ConfigMap, `data.config.yaml`");
        // One key of evidence is not enough for a name that is not a config's.
        let doc = yaml("apiVersion: v1\nkind: ConfigMap\ndata:\n  app.yaml: |\n    address: :80\n");
        assert!(find(&doc).configs.is_empty());
    }
}

#[cfg(test)]
mod run_tests {
    use super::*;
    use crate::step::StepOptions;

    fn config(from: u32, to: u32) -> RunConfig<'static> {
        RunConfig {
            from: Some(Version::new(0, from)),
            to: Some(Version::new(0, to)),
            to_release: None,
            kind: None,
            surface: None,
            input_format: None,
            options: StepOptions::default(),
            output: None,
            steps: crate::migrations::STEPS,
            verify_each_step: false,
        }
    }

    #[test]
    fn a_config_map_config_is_migrated_in_place() -> Result<(), Box<dyn std::error::Error>> {
        let text = super::tests::CONFIG_MAP;
        let doc = Document::parse(text.to_owned(), Format::Yaml)?;
        let source = Source::File("k8s.yaml".into());
        let outcome = migrate(&doc, &source, None, Version::new(0, 20), &config(19, 20))?;
        let edits = outcome.edits();
        assert_eq!(edits.len(), 1);
        let result = doc.apply(&edits)?;
        // The entry now holds the migrated config; the rest of the manifest is as it was.
        let data = result.top("data").map(|e| e.value);
        let value = data
            .and_then(|d| result.get(d, "config.yaml"))
            .and_then(|e| result.str(e.value).map(str::to_owned))
            .unwrap_or_default();
        assert_eq!(value, outcome.migrated[0].run.result().text());
        assert!(value.contains("# idp_service_account: abc"), "{value}");
        assert!(
            result
                .text()
                .starts_with("apiVersion: v1\nkind: ConfigMap\n")
        );
        assert!(result.text().ends_with("  notes.txt: hello\n"));
        // The step's findings point at `idp_service_account` in the manifest: line 11, col 5.
        let findings = outcome.all_findings();
        assert!(!findings.is_empty());
        for f in &findings {
            assert_eq!(f.step, "remove-directory-sync");
            assert_eq!(
                f.location,
                Some(Location {
                    line: 11,
                    column: 5
                })
            );
        }
        Ok(())
    }
}

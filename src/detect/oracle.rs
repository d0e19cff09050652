//! The way keys were read and weighed before they were read once into [`super::Sites`]: kept
//! as the oracle the tests compare the shared reading with.

#![allow(dead_code)]

use super::{
    CHECKED_BLOCKS, CONSOLE_KEYS, Detection, ESCAPING_RELEASE, Evidence, FREE_FORM, KeySite,
    KindEvidence, KindUndecided, Level, REDIS, SUBSTITUTION, UnknownKey, suggest,
};
use crate::document::{Document, NodeId};
use crate::keys::{self, KeyHistory};
use crate::step::FileKind;
use crate::version::Version;

fn evidence_of(site: &KeySite, version: Option<Version>) -> Evidence {
    Evidence {
        key: site.key.clone(),
        path: site.path.clone(),
        location: site.location,
        version,
        value: None,
    }
}

/// Every key of `doc` at the levels described in the module documentation, in file order.
pub fn key_sites(doc: &Document) -> Vec<KeySite> {
    let mut out = Vec::new();
    if let Some(root) = doc.root() {
        walk(doc, root, &Level::Global, "", &mut out, 0);
    }
    out
}

/// Aliases can nest deeply in hostile input; real configs are a few levels deep.
const MAX_DEPTH: usize = 24;

fn walk(
    doc: &Document,
    map: NodeId,
    level: &Level,
    path: &str,
    out: &mut Vec<KeySite>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for entry in doc.entries(map) {
        let key = entry.key;
        // Built by hand: `format!` is measurably slower for the ~10 keys of every route.
        let mut here = String::with_capacity(path.len() + 1 + key.len());
        if !path.is_empty() {
            here.push_str(path);
            here.push('.');
        }
        here.push_str(key);
        out.push(KeySite {
            key: key.to_owned(),
            path: here.clone(),
            location: doc.location(entry.key_node),
            level: level.clone(),
        });
        let routes = *level == Level::Global && (key == "routes" || key == "policy");
        // A route's `policy` is PPL, not a list of routes.
        let opaque = FREE_FORM.contains(&key) || (*level == Level::Route && key == "policy");
        if !routes && (opaque || keys::lookup(key).is_none()) {
            continue;
        }
        let child_level = if routes {
            Level::Route
        } else {
            Level::Nested(key.to_owned())
        };
        let value = doc.resolve(entry.value);
        if doc.is_mapping(value) && !routes {
            walk(doc, value, &child_level, &here, out, depth + 1);
        } else if doc.is_sequence(value) {
            for (i, item) in doc.items(value).iter().enumerate() {
                let item = doc.resolve(*item);
                if doc.is_mapping(item) {
                    walk(doc, item, &child_level, &indexed(&here, i), out, depth + 1);
                }
            }
        }
    }
}

/// `path[i]`.
fn indexed(path: &str, i: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(path.len() + 8);
    out.push_str(path);
    // Writing to a String cannot fail.
    let _ = write!(out, "[{i}]");
    out
}

/// Weighs the top-level keys of `sites` (see [`KindEvidence`]).
pub fn kind_evidence(sites: &[KeySite]) -> KindEvidence {
    let mut evidence = KindEvidence::default();
    for site in sites.iter().filter(|s| s.level == Level::Global) {
        let key = site.key.as_str();
        if key.starts_with("x-") || key.starts_with('.') {
            continue;
        }
        let console = keys::is_console_key(key);
        if key.contains('-') {
            if console {
                evidence.console.push(evidence_of(site, None));
            }
            continue;
        }
        match (keys::lookup(key).is_some(), console) {
            (true, false) => evidence.core.push(evidence_of(site, None)),
            (false, true) => evidence.console.push(evidence_of(site, None)),
            _ => {}
        }
    }
    // In file order (a TOML file's tables come after its other keys in the tree).
    evidence.core.sort_by_key(|e| e.location);
    evidence.console.sort_by_key(|e| e.location);
    evidence
}

/// Detects kind and version range; the kind is decided from the keys (`--kind auto`, see
/// [`KindEvidence`]).
pub fn detect(doc: &Document) -> Result<Detection, KindUndecided> {
    let sites = key_sites(doc);
    let evidence = kind_evidence(&sites);
    match evidence.decide() {
        Some(kind) => Ok(detection(doc, kind, evidence, &sites)),
        None => Err(KindUndecided { evidence }),
    }
}

/// Detects the version range of a file whose kind the user gave (`--kind core|console`); the
/// kind evidence is still weighed, so that evidence against the given kind can be reported.
pub fn detect_as(doc: &Document, kind: FileKind) -> Detection {
    let sites = key_sites(doc);
    detection(doc, kind, kind_evidence(&sites), &sites)
}

/// Something in the file that bounds the version: a key's first and last release, or a value
/// only some releases accept.
struct Bound {
    evidence: Evidence,
    min: Option<Version>,
    max: Option<Version>,
}

/// Every bound the keys and values of `doc` put on the version, for a file of `kind`, in file
/// order (keys, then values).
fn bounds(doc: &Document, kind: FileKind, sites: &[KeySite]) -> Vec<Bound> {
    let bound = |site: &KeySite, min: Option<Version>, max: Option<Version>| Bound {
        evidence: evidence_of(site, None),
        min,
        max,
    };
    let mut out: Vec<Bound> = match kind {
        FileKind::Core => sites
            .iter()
            .filter_map(|s| keys::lookup(&s.key).map(|k| (s, core_bounds(k))))
            .map(|(s, (lo, hi))| bound(s, lo, hi))
            .collect(),
        FileKind::Console => sites
            .iter()
            .filter(|s| s.level == Level::Global)
            .filter_map(|s| {
                let snake = s.key.replace('-', "_");
                CONSOLE_KEYS
                    .iter()
                    .find(|(k, _, _)| *k == snake)
                    .map(|(_, lo, hi)| bound(s, *lo, *hi))
            })
            .collect(),
    };
    if kind == FileKind::Core {
        out.extend(value_bounds(doc));
    }
    out
}

/// Bounds from values of a Core config: a `${pomerium.…}` substitution in a route's
/// `set_request_headers` value means 0.23 or newer (the substitution did not exist before;
/// Pomerium v0.23.0, `config/policy.go` and the upgrade guide), `databroker_storage_type: redis`
/// means 0.23 or older (0.24 removed Redis storage; the upgrade guide, v0.24.0).
fn value_bounds(doc: &Document) -> Vec<Bound> {
    let mut out = Vec::new();
    let value_evidence = |path: String, key: &str, node: NodeId, what: &'static str| Evidence {
        key: key.to_owned(),
        path,
        location: doc.location(node),
        version: None,
        value: Some(what),
    };
    for header in request_header_values(doc) {
        if doc
            .str(header.node)
            .is_some_and(|v| v.contains("${pomerium."))
        {
            let key = header.entry.map(|e| e.key.to_owned()).unwrap_or_default();
            out.push(Bound {
                evidence: value_evidence(header.path, &key, header.node, SUBSTITUTION),
                min: Some(ESCAPING_RELEASE),
                max: None,
            });
        }
    }
    for storage in doc.select_str("databroker_storage_type") {
        if doc
            .str(storage.node)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("redis"))
        {
            out.push(Bound {
                evidence: value_evidence(
                    storage.path,
                    "databroker_storage_type",
                    storage.node,
                    REDIS,
                ),
                min: None,
                max: Some(Version::new(0, 23)),
            });
        }
    }
    out
}

/// The values of every route's `set_request_headers` (under `routes` and the older `policy`).
pub(crate) fn request_header_values(doc: &Document) -> Vec<crate::document::Selected<'_>> {
    let mut out = doc.select_str("routes[*].set_request_headers.*");
    out.extend(doc.select_str("policy[*].set_request_headers.*"));
    out
}

fn detection(
    doc: &Document,
    kind: FileKind,
    kind_evidence: KindEvidence,
    sites: &[KeySite],
) -> Detection {
    let bounds = bounds(doc, kind, sites);
    let min_version = bounds
        .iter()
        .filter_map(|b| b.min)
        .max()
        .unwrap_or(keys::OLDEST);
    let max_version = bounds
        .iter()
        .filter_map(|b| b.max)
        .min()
        .unwrap_or(keys::NEWEST);
    let with_version = |b: &Bound, v: Option<Version>| Evidence {
        version: v,
        ..b.evidence.clone()
    };
    let min_evidence = bounds
        .iter()
        .filter(|b| b.min == Some(min_version))
        .map(|b| with_version(b, b.min))
        .collect();
    let max_evidence = bounds
        .iter()
        .filter(|b| b.max == Some(max_version))
        .map(|b| with_version(b, b.max))
        .collect();
    Detection {
        kind,
        kind_evidence,
        min_version,
        max_version,
        min_evidence,
        max_evidence,
        contradictory: min_version > max_version,
    }
}

/// What in `doc` does not fit release `from` for a file of `kind`: keys (and values) first read
/// after it, or last read before it. Each carries the bound it breaks (`version`).
pub fn misfits(doc: &Document, kind: FileKind, from: Version) -> Vec<Evidence> {
    let sites = key_sites(doc);
    bounds(doc, kind, &sites)
        .into_iter()
        .filter_map(|b| {
            let version = match (b.min, b.max) {
                (Some(min), _) if from < min => min,
                (_, Some(max)) if max < from => max,
                _ => return None,
            };
            Some(Evidence {
                version: Some(version),
                ..b.evidence
            })
        })
        .collect()
}

/// The bounds a Core key puts on the version: `first_seen` unless it is the oldest release (the
/// table cannot say how old such a key is), `last_seen` unless the key is still read.
fn core_bounds(k: &KeyHistory) -> (Option<Version>, Option<Version>) {
    (
        (k.first_seen > keys::OLDEST).then_some(k.first_seen),
        k.last_seen,
    )
}

/// Keys of a Core config that release `version` does not read, at the top level, in routes and
/// in Pomerium's own nested blocks ([`CHECKED_BLOCKS`]). Console configs are not checked: the
/// table describes Core only.
pub fn unknown_keys(doc: &Document, kind: FileKind, version: Version) -> Vec<UnknownKey> {
    if kind != FileKind::Core {
        return Vec::new();
    }
    unknown_keys_of(&key_sites(doc), version)
}

/// [`unknown_keys`] of a Core config whose [`key_sites`] are known already.
pub fn unknown_keys_of(sites: &[KeySite], version: Version) -> Vec<UnknownKey> {
    let mut out = Vec::new();
    for site in sites {
        let checked = match &site.level {
            Level::Global | Level::Route => true,
            Level::Nested(parent) => CHECKED_BLOCKS.contains(&parent.as_str()),
        };
        // `<<` never reaches here (merges are resolved); keys are never empty in practice.
        if !checked || site.key.is_empty() {
            continue;
        }
        let history = keys::lookup(&site.key).copied();
        if history.is_some_and(|h| h.known_in(version)) {
            continue;
        }
        out.push(UnknownKey {
            // A key with a history is what it is (removed, or newer): never a typo.
            suggestion: if history.is_none() {
                suggest(&site.key, version)
            } else {
                None
            },
            history,
            key: site.key.clone(),
            path: site.path.clone(),
            location: site.location,
            version,
        });
    }
    out
}

/// Configs for the property tests: known, removed, unknown and oddly spelled keys (`a.b`, `*`,
/// dash-case), repeated keys, routes under `routes` and `policy`, nested blocks, merge keys and
/// aliases, secrets by key and by value, environment lists.
pub(crate) mod configs {
    use proptest::prelude::*;

    const SCALARS: &[&str] = &[
        "x",
        "redis",
        "postgres",
        "postgres://user:pw@db/x",
        "${pomerium.id_token}",
        "a $b",
        "100%%",
        "certs/app-key.pem",
        "-----BEGIN PRIVATE KEY-----",
        "s3cr3t-value",
        "SHARED_SECRET=abcdef",
        "true",
        "12",
    ];
    const TOP: &[&str] = &[
        "shared_secret",
        "shared-secret",
        "cookie_secret",
        "idp_service_account",
        "cache_service_url",
        "databroker_storage_type",
        "databroker_storage_connection_string",
        "signing_key",
        "license_key",
        "license-key",
        "database_url",
        "audience",
        "debug",
        "validation_mode",
        "x-defaults",
        "a.b",
        "c[0]",
        "d]",
        "*",
        "tls_skip_verfy",
        "idp_servce_account",
        "log_level",
        "policy_file",
        "authenticate_service_url",
        "Signing-Key",
    ];
    const BLOCKS: &[&str] = &[
        "downstream_mtls",
        "certificates",
        "runtime_flags",
        "my_block",
        "env",
        "environment",
    ];
    const NESTED: &[&str] = &[
        "enforcement",
        "ca",
        "key",
        "cert",
        "client_secret",
        "name",
        "value",
        "unknown_nested",
        "max_verify_depth",
        "mcp",
    ];
    const ROUTE: &[&str] = &[
        "from",
        "to",
        "allowed_users",
        "allowed_groups",
        "set_authorization_header",
        "lb_policy",
        "owner",
        "tls_skip_verfy",
        "description",
        "mcp",
        "load_balancing_policy",
        "health_checks",
        "a.b",
        "key",
        "client_secret",
        "policy",
    ];
    const ROUTE_BLOCKS: &[&str] = &[
        "set_request_headers",
        "rewrite_response_headers",
        "upstream_oauth2",
        "my_route_block",
    ];
    const HEADERS: &[&str] = &["X-A", "X-B", "header", "prefix", "Authorization"];

    fn quoted(text: &str) -> String {
        format!("{text:?}")
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop::sample::select(SCALARS).prop_map(quoted)
    }

    /// `indent`-indented `key: value` lines of a small mapping from `keys`.
    fn mapping(keys: &'static [&'static str], indent: usize) -> impl Strategy<Value = String> {
        prop::collection::vec((prop::sample::select(keys), scalar()), 0..4).prop_map(
            move |entries| {
                let pad = " ".repeat(indent);
                let mut out = String::new();
                for (k, v) in entries {
                    out.push_str(&format!("{pad}{}: {v}\n", quoted(k)));
                }
                if out.is_empty() {
                    out = format!("{pad}{}: {}\n", quoted(keys[0]), quoted("x"));
                }
                out
            },
        )
    }

    /// A value below a key at `indent`: a scalar, a mapping, a list of mappings or of scalars.
    fn value(keys: &'static [&'static str], indent: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            scalar().prop_map(|s| format!(" {s}\n")),
            mapping(keys, indent + 2).prop_map(|m| format!("\n{m}")),
            prop::collection::vec(mapping(keys, indent + 4), 1..3).prop_map(move |items| {
                let pad = " ".repeat(indent + 2);
                let mut out = "\n".to_owned();
                for item in items {
                    out.push_str(&format!("{pad}- {}", item.trim_start()));
                }
                out
            }),
            prop::collection::vec(scalar(), 1..3).prop_map(move |items| {
                let pad = " ".repeat(indent + 2);
                let mut out = "\n".to_owned();
                for item in items {
                    out.push_str(&format!("{pad}- {item}\n"));
                }
                out
            }),
        ]
    }

    fn route() -> impl Strategy<Value = String> {
        let entry = prop_oneof![
            3 => (prop::sample::select(ROUTE), scalar())
                .prop_map(|(k, v)| format!("    {}: {v}\n", quoted(k))),
            1 => (prop::sample::select(ROUTE_BLOCKS), value(HEADERS, 4))
                .prop_map(|(k, v)| format!("    {}:{v}", quoted(k))),
            1 => (prop::sample::select(BLOCKS), value(NESTED, 4))
                .prop_map(|(k, v)| format!("    {}:{v}", quoted(k))),
            1 => Just("    <<: *defaults\n".to_owned()),
        ];
        prop::collection::vec(entry, 1..6).prop_map(|entries| {
            let mut out = String::new();
            for (i, e) in entries.iter().enumerate() {
                if i == 0 {
                    out.push_str("  - ");
                    out.push_str(e.trim_start());
                } else {
                    out.push_str(e);
                }
            }
            out
        })
    }

    /// A YAML config.
    pub(crate) fn config() -> impl Strategy<Value = String> {
        let top = prop_oneof![
            3 => (prop::sample::select(TOP), scalar())
                .prop_map(|(k, v)| format!("{}: {v}\n", quoted(k))),
            2 => (prop::sample::select(BLOCKS), value(NESTED, 0))
                .prop_map(|(k, v)| format!("{}:{v}", quoted(k))),
            2 => (
                prop::sample::select(&["routes", "policy"][..]),
                prop::collection::vec(route(), 0..4),
                any::<bool>(),
            )
                .prop_map(|(k, routes, alias)| {
                    let mut out = format!("{k}:\n");
                    for (i, r) in routes.iter().enumerate() {
                        if i == 0 && alias {
                            out.push_str(&r.replacen("  - ", "  - &first\n    ", 1));
                        } else {
                            out.push_str(r);
                        }
                    }
                    if alias && !routes.is_empty() {
                        out.push_str("  - *first\n");
                    }
                    out
                }),
        ];
        prop::collection::vec(top, 0..7).prop_map(|entries| {
            let mut out = "x-anchors: &defaults\n  lb_policy: x\n  client_secret: \
                           \"merged-secret\"\n  set_authorization_header: id_token\n"
                .to_owned();
            for e in entries {
                out.push_str(&e);
            }
            out
        })
    }
}

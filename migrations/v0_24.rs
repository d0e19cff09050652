//! Pomerium 0.24: `set_authorization_header` removed, base64 `certificates` removed, Redis
//! storage removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::common;
use crate::document::{Document, EntryId, EntryRef, NodeId, Value};
use crate::step::{CreatedFile, Disk, Scope, Severity, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0240";

crate::step! {
    /// # `set_authorization_header` is replaced by `set_request_headers` (Core)
    ///
    /// **What changed in Pomerium.** Up to 0.23 a route could send the user's token upstream
    /// with `set_authorization_header`: `id_token` or `access_token` set
    /// `Authorization: Bearer <token>`, `pass_through` (the default) left the header alone. The
    /// value was matched in any letter case: Pomerium upper-cased it before looking it up, so
    /// `ID_TOKEN` meant `id_token`. Pomerium 0.24 removed the option (and refuses to start with
    /// it); the same header is now written with a substitution in `set_request_headers`
    /// (available since 0.23).
    ///
    /// **Evidence.** v0.23.0 `pkg/grpc/config/config.go` (`strings.ToUpper` on the value) and
    /// `config/policy.go` (`GetSetAuthorizationHeader`); v0.24.0 `config/options_check.go`
    /// (`routes.set_authorization_header` refused); the 0.24 upgrade guide.
    ///
    /// **What the step does.** For each route (under `routes` or the older `policy` list), with
    /// the value in any letter case:
    ///
    /// - `id_token` → adds `Authorization: Bearer ${pomerium.id_token}` to the route's
    ///   `set_request_headers`; `access_token` → `Authorization: Bearer
    ///   ${pomerium.access_token}`. The entry joins the existing map (block or flow style) or a
    ///   new `set_request_headers` map is created where `set_authorization_header` stood.
    /// - `pass_through` → nothing to add; the option is just removed.
    /// - If `set_request_headers` already sets `Authorization` (in any letter case), that header
    ///   is kept and an action asks you to check it.
    /// - Any other value → action; the option is left for you to resolve.
    ///
    /// The old key is commented out (or deleted with `--removed delete`). Run from 0.22, the
    /// v0.23 step (`$` → `$$`) runs before this one, so the new `${…}` is not escaped.
    ///
    /// With merge keys (`<<: *defaults`) the change is made where the option is written; when
    /// that is an anchored mapping shared by several routes, the finding says so. If the
    /// change would also reach a route that does not want the header, nothing is changed and an
    /// action names the lines involved.
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     to: http://app:8080
    ///     set_authorization_header: id_token
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     to: http://app:8080
    ///     # pomerium-migrate v0.24: replaced by set_request_headers Authorization
    ///     # set_authorization_header: id_token
    ///     set_request_headers:
    ///       Authorization: Bearer ${pomerium.id_token}
    /// ```
    pub(crate) static SET_AUTHORIZATION_HEADER = Step {
        version: Version::new(0, 24),
        id: "set-authorization-header",
        title: "Replace set_authorization_header by a set_request_headers Authorization entry",
        scope: Scope::Core,
        handles: &["set_authorization_header"],
        link: LINK,
        run: set_authorization_header,
    };
}

const SAH: &str = "set_authorization_header";
const SRH: &str = "set_request_headers";
const REMOVED_NOTE: &str = "replaced by set_request_headers Authorization";
/// The note above a removed `pass_through`, which nothing replaces.
const PASS_THROUGH_NOTE: &str = "removed; passing Authorization through is the default";

/// The header a `set_authorization_header` value stands for, in any letter case: Pomerium
/// upper-cased the value before looking it up (v0.23.0 `pkg/grpc/config/config.go`).
fn bearer(value: &str) -> Option<&'static str> {
    match value.to_ascii_lowercase().as_str() {
        "id_token" => Some("Bearer ${pomerium.id_token}"),
        "access_token" => Some("Bearer ${pomerium.access_token}"),
        _ => None,
    }
}

/// What one route's `set_authorization_header` turns into.
enum Plan {
    /// `pass_through`: only remove the option.
    Remove,
    /// Add the header to the `set_request_headers` mapping `map` (written where the option is).
    AddTo { map: NodeId },
    /// `set_request_headers:` is written but empty: give it a mapping.
    Fill { node: NodeId },
    /// Create `set_request_headers` after the option, holding `headers` (the headers the route
    /// already had through a merge, if any, and the new one).
    Create {
        map: NodeId,
        after: EntryId,
        headers: Value,
    },
}

fn set_authorization_header(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let routes = common::routes(doc);
    let mut removed: BTreeSet<EntryId> = BTreeSet::new();
    let mut findings = common::RouteFindings::default();
    for route in &routes {
        let (name, route) = (route.name(), route.node);
        let Some(option) = doc.get(route, SAH) else {
            continue;
        };
        let at = common::at(doc, &option);
        let value = doc
            .scalar(option.value)
            .and_then(Value::scalar_text)
            .unwrap_or_default();
        let value = value.trim();
        // `ID_TOKEN` and `Pass_Through` mean `id_token` and `pass_through` (see `bearer`).
        let mode = value.to_ascii_lowercase();
        let plan = match plan_route(doc, &routes, route, &option, &mode, value) {
            Ok(plan) => plan,
            Err(message) => {
                findings.add(
                    Severity::ActionRequired,
                    at,
                    format!("{{routes}}: {message}"),
                    name,
                );
                continue;
            }
        };
        let note = if matches!(plan, Plan::Remove) {
            PASS_THROUGH_NOTE
        } else {
            REMOVED_NOTE
        };
        let message = carry_out(cx, plan, &option, value);
        if removed.insert(option.id) {
            cx.remove(option.id, note);
        }
        findings.add(Severity::Changed, at, message, name);
    }
    findings.emit(cx);
}

/// Queues the edits of one route's plan (all but removing the option) and returns the finding's
/// message, with `{routes}` where the route names go.
fn carry_out(cx: &mut StepContext<'_>, plan: Plan, option: &EntryRef<'_>, value: &str) -> String {
    let doc = cx.doc;
    let shared = common::shared_note(doc, option.id.map);
    let header = bearer(value).unwrap_or_default();
    match plan {
        Plan::Remove => format!(
            "`{SAH}: {value}` of {{routes}} removed{shared}: passing the incoming \
             Authorization header through is the default"
        ),
        Plan::AddTo { map } => {
            cx.insert(map, None, "Authorization", Value::String(header.to_owned()));
            format!(
                "`{SAH}: {value}` of {{routes}} became `Authorization: {header}` in its \
                 `{SRH}`{}",
                common::shared_note(doc, map)
            )
        }
        Plan::Fill { node } => {
            cx.replace(node, with_authorization(Value::Mapping(Vec::new()), value));
            format!(
                "`{SAH}: {value}` of {{routes}} became `Authorization: {header}` in its empty \
                 `{SRH}`{}",
                common::shared_note(doc, node)
            )
        }
        Plan::Create {
            map,
            after,
            headers,
        } => {
            let copied = headers
                .as_mapping()
                .map_or(0, |h| h.len().saturating_sub(1));
            let after = common::replacing_position(cx, after, &[]);
            cx.insert(map, Some(after), SRH, headers);
            let copy_note = if copied > 0 {
                format!(
                    " (with the {copied} header(s) the route had through a merge key, which \
                     this map now overrides)"
                )
            } else {
                String::new()
            };
            format!(
                "`{SAH}: {value}` of {{routes}} became `{SRH}` with `Authorization: \
                 {header}`{copy_note}{shared}"
            )
        }
    }
}

/// Decides what to do for one route, or explains why nothing can be done safely.
fn plan_route(
    doc: &Document,
    routes: &[common::Route],
    route: NodeId,
    option: &EntryRef<'_>,
    mode: &str,
    value: &str,
) -> Result<Plan, String> {
    if mode == "pass_through" {
        return plan_pass_through(doc, route, option);
    }
    if bearer(mode).is_none() {
        return Err(format!(
            "`{SAH}` has the unknown value `{value}` (expected `pass_through`, `id_token` or \
             `access_token`); it is left as it is: replace it with a `{SRH}` entry by hand"
        ));
    }
    let headers = doc.get(route, SRH);
    if let Some(headers) = &headers {
        check_headers(doc, headers, value)?;
    }
    let plan = choose_plan(doc, route, option, headers.as_ref(), value)?;
    check_other_routes(doc, routes, route, option, &plan, value)?;
    Ok(plan)
}

/// `pass_through` is only removed; but removing a route's own `pass_through` would let a merged
/// value show through.
fn plan_pass_through(doc: &Document, route: NodeId, option: &EntryRef<'_>) -> Result<Plan, String> {
    if let Some(merged) = common::merged_maps(doc, route)
        .into_iter()
        .find_map(|map| doc.get(map, SAH))
        .filter(|m| m.id != option.id)
    {
        return Err(format!(
            "`{SAH}: pass_through` overrides the `{SAH}` merged from line {}; it is left \
             as it is so that the merged value does not take effect: add `Authorization` \
             to `{SRH}` of the routes that need it, then remove both by hand",
            doc.entry_location(merged.id).line
        ));
    }
    Ok(Plan::Remove)
}

/// The route's `set_request_headers` must be a mapping (or empty) without an `Authorization`.
fn check_headers(doc: &Document, headers: &EntryRef<'_>, value: &str) -> Result<(), String> {
    let map = doc.resolve(headers.value);
    if let Some(existing) = doc
        .entries(map)
        .into_iter()
        .find(|e| e.key.eq_ignore_ascii_case("Authorization"))
    {
        return Err(format!(
            "`{SRH}` already sets `{}` (line {}); it is kept and `{SAH}: {value}` is not \
             converted: check which header the upstream should get, then remove `{SAH}`",
            existing.key,
            doc.entry_location(existing.id).line
        ));
    }
    if !doc.is_mapping(map) && doc.scalar(map) != Some(&Value::Null) {
        return Err(format!(
            "`{SRH}` (line {}) is not a mapping: add `Authorization: {}` to it by hand",
            doc.entry_location(headers.id).line,
            bearer(value).unwrap_or_default()
        ));
    }
    Ok(())
}

/// Where the header goes: into the headers written in the route or beside the option, into a
/// copy of merged headers, or into a new map.
fn choose_plan(
    doc: &Document,
    route: NodeId,
    option: &EntryRef<'_>,
    headers: Option<&EntryRef<'_>>,
    value: &str,
) -> Result<Plan, String> {
    let written_in = option.id.map;
    Ok(match headers {
        // The headers are written in the route itself, or beside the option: edit them there.
        Some(h) if h.id.map == route || h.id.map == written_in => {
            let map = doc.resolve(h.value);
            if doc.is_mapping(map) {
                Plan::AddTo { map }
            } else {
                Plan::Fill { node: h.value }
            }
        }
        // The headers come through a merge but the option is the route's own: give the route
        // its own map (a copy of the merged headers plus the new one), leaving the shared
        // mapping alone.
        Some(h) if written_in == route => Plan::Create {
            map: route,
            after: option.id,
            headers: with_authorization(doc.value(doc.resolve(h.value)), value),
        },
        Some(h) => {
            return Err(format!(
                "`{SAH}` (line {}) and `{SRH}` (line {}) come from different merged mappings; \
                 add `Authorization: {}` to the route's `{SRH}` by hand",
                doc.entry_location(option.id).line,
                doc.entry_location(h.id).line,
                bearer(value).unwrap_or_default()
            ));
        }
        None => Plan::Create {
            map: written_in,
            after: option.id,
            headers: with_authorization(Value::Mapping(Vec::new()), value),
        },
    })
}

/// An edit of a shared mapping reaches every route that merges it: each of them must want the
/// same header (or override the headers with its own).
fn check_other_routes(
    doc: &Document,
    routes: &[common::Route],
    route: NodeId,
    option: &EntryRef<'_>,
    plan: &Plan,
    value: &str,
) -> Result<(), String> {
    let written_in = option.id.map;
    let edited_map = match plan {
        Plan::AddTo { map } => Some(*map),
        Plan::Fill { node } => Some(*node),
        Plan::Create { map, .. } if *map != route => Some(*map),
        _ => None,
    };
    let Some(edited) = edited_map.filter(|edited| !doc.shared_by(*edited).is_empty()) else {
        return Ok(());
    };
    for other in routes {
        let (other_name, other) = (&other.name(), other.node);
        if other == route || !reaches(doc, other, edited, written_in, plan) {
            continue;
        }
        let wants_same = doc.get(other, SAH).is_some_and(|o| {
            o.id == option.id
                || (o.id.map == other
                    && doc
                        .scalar(o.value)
                        .and_then(Value::scalar_text)
                        .is_some_and(|v| bearer(v.trim()).is_some()))
        });
        if !wants_same {
            return Err(format!(
                "`{SAH}` is written in an anchored mapping (line {}) that {} also merges \
                 without wanting the same header; nothing is changed: add `Authorization: \
                 {}` to `{SRH}` of the routes that need it by hand",
                doc.entry_location(option.id).line,
                other_name,
                bearer(value).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Whether `other` would see the edited headers: it reads `set_request_headers` from the
/// edited node, or (when a new map is created in a shared mapping) it merges that mapping and
/// has no headers of its own.
fn reaches(doc: &Document, other: NodeId, edited: NodeId, written_in: NodeId, plan: &Plan) -> bool {
    match doc.get(other, SRH) {
        Some(h) => {
            matches!(plan, Plan::AddTo { .. } | Plan::Fill { .. })
                && (doc.resolve(h.value) == edited || h.value == edited)
        }
        None => matches!(plan, Plan::Create { .. }) && common::merges(doc, other, written_in),
    }
}

/// `headers` (a mapping) with the Authorization header for `value` appended.
fn with_authorization(headers: Value, value: &str) -> Value {
    let mut entries = match headers {
        Value::Mapping(entries) => entries,
        _ => Vec::new(),
    };
    entries.push((
        Value::String("Authorization".into()),
        Value::String(bearer(value).unwrap_or_default().to_owned()),
    ));
    Value::Mapping(entries)
}

crate::step! {
    /// # `certificates` take file paths only (Core)
    ///
    /// **What changed in Pomerium.** Up to 0.23, the `cert` and `key` of each item of the
    /// `certificates` list could hold the PEM data itself, base64-encoded (Pomerium tried base64
    /// first, then a file path). From 0.24 (the Enterprise guide lists it under 0.25) only file
    /// paths are accepted. The singular `certificate` / `certificate_key` options still accept
    /// base64 and are not touched.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.24.0, "Base64-encoded `certificates` Key" (and
    /// 0.25.0): support was removed, give a file path.
    ///
    /// **What the step does.** For each `cert` or `key` value that decodes (standard base64,
    /// whitespace allowed) to PEM, the step asks for a file under `--certs-dir` (default: `certs/`
    /// beside the config as it is written, i.e. the `-o` path of `apply`; `./certs` when the config
    /// goes to stdout) and points the config at it — relative to the config's directory when the
    /// file is inside it. Files are named after the certificate's subject (common name, else its
    /// first DNS name): `example.com.pem` and `example.com-key.pem`, else `certificates-N.pem` and
    /// `certificates-N-key.pem` for the N-th item. Key files get mode 0600, certificates 0644. An
    /// existing file with the same content is reused; one with other content is never overwritten
    /// (a `-2`, `-3`… name is chosen). The files are written by `apply` before the config, and
    /// removed again if writing the config fails; `plan` lists them by path, mode and size. Values
    /// that are already paths stay as they are; a value that looks like base64 but does not decode
    /// to PEM is left with an action.
    ///
    /// A config embedded in a Kubernetes ConfigMap or Secret (`StepOptions::embedded_in`) has no
    /// directory beside it: there the step writes no file and changes nothing, and reports an
    /// action instead that proposes a Secret holding the PEM data (`kubectl create secret tls`),
    /// a volume and volumeMount of it in the Pomerium container, and the mounted paths to set.
    ///
    /// The new files must be deployed with the config: Pomerium reads them where it runs, and
    /// resolves a relative path such as `certs/app.example.com.pem` from its working directory
    /// (in the official container image, the directory that holds the config). The findings
    /// say so.
    ///
    /// Before:
    ///
    /// ```yaml
    /// certificates:
    ///   - cert: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t…
    ///     key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t…
    /// ```
    ///
    /// After (and the files `certs/app.example.com.pem`, `certs/app.example.com-key.pem`):
    ///
    /// ```yaml
    /// certificates:
    ///   - cert: certs/app.example.com.pem
    ///     key: certs/app.example.com-key.pem
    /// ```
    pub(crate) static CERTIFICATES_TO_FILES = Step {
        version: Version::new(0, 24),
        id: "certificates-to-files",
        title: "Write base64 certificates to files and name the files",
        scope: Scope::Core,
        handles: &["certificates"],
        link: LINK,
        run: certificates_to_files,
    };
}

/// A `cert` or `key` value that is PEM data in base64.
struct Embedded {
    node: NodeId,
    field: &'static str,
    pem: Vec<u8>,
}

/// How a `certificates` value reads.
enum Content {
    /// A file path: nothing to do.
    Path,
    /// Base64 of PEM data.
    Pem(Vec<u8>),
    /// Looks like base64 but is not base64 of PEM.
    Undecodable,
}

fn classify(text: &str) -> Content {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD.decode(&compact);
    if let Ok(bytes) = &decoded
        && is_pem(bytes)
    {
        return Content::Pem(bytes.clone());
    }
    // Valid base64 of something else was meant as base64 too, unless it reads like a short
    // relative path (`cert` happens to be valid base64).
    if decoded.is_ok() && compact.len() >= 24 && !compact.contains('.') {
        return Content::Undecodable;
    }
    // PEM in base64 is long and uses only the base64 alphabet; a path has a `.` or is short.
    let base64_like = compact.len() >= 100
        && !compact.contains('.')
        && compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
    if base64_like || text.trim_start().starts_with("-----BEGIN") {
        Content::Undecodable
    } else {
        Content::Path
    }
}

/// Whether a `certificates` value holds the data itself (base64 or PEM) rather than a file
/// path; Pomerium 0.24 and later read these values as paths only.
pub(crate) fn certificate_is_data(text: &str) -> bool {
    !matches!(classify(text), Content::Path)
}

fn is_pem(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start();
    text.starts_with("-----BEGIN ") && text.contains("-----END ")
}

fn certificates_to_files(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(list) = doc.top("certificates") else {
        return;
    };
    let (config_dir, certs_dir) = directories(cx);
    let mut planned = Planned::default();
    let items = doc.items(doc.resolve(list.value)).to_vec();
    for (index, item) in items.iter().enumerate() {
        let (embedded, subject_name) = embedded_values(cx, index, doc.resolve(*item));
        if embedded.is_empty() {
            continue;
        }
        let base = subject_name.unwrap_or_else(|| format!("certificates-{}", index + 1));
        if let Some(host) = &cx.options.embedded_in {
            let message = propose_secret(index, host, &base, &embedded);
            cx.action(Some(doc.location(embedded[0].node)), message);
            continue;
        }
        let Some(choice) = planned.choose(&cx.options.disk, &certs_dir, &base, &embedded) else {
            cx.action(
                Some(doc.location(embedded[0].node)),
                format!(
                    "no free file name for `certificates[{index}]` under {}: write its PEM \
                     data to files by hand",
                    certs_dir.display()
                ),
            );
            continue;
        };
        for (file, path, reused) in choice {
            point_at_file(cx, index, file, &config_dir, path, reused);
        }
    }
}

/// The action for a `certificates` item of a config embedded in a Kubernetes object, where no
/// file can be written: the PEM data goes into a Secret mounted into the Pomerium container,
/// and the item names the mounted files. Nothing is changed: until the Secret exists, the
/// paths would name nothing.
fn propose_secret(index: usize, host: &str, base: &str, embedded: &[Embedded]) -> String {
    // A Secret name is a DNS subdomain and a volume name a DNS label: lower case, no `_`.
    let secret: String = format!("pomerium-tls-{base}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let volume = secret.replace('.', "-");
    let dir = format!("/etc/pomerium/tls/{base}");
    let has = |field: &str| embedded.iter().any(|e| e.field == field);
    let create = if has("cert") && has("key") {
        format!("kubectl create secret tls {secret} --cert={base}.pem --key={base}-key.pem")
    } else if has("key") {
        format!("kubectl create secret generic {secret} --from-file=tls.key={base}-key.pem")
    } else {
        format!("kubectl create secret generic {secret} --from-file=tls.crt={base}.pem")
    };
    let set: Vec<String> = embedded
        .iter()
        .map(|e| {
            let file = if e.field == "key" {
                "tls.key"
            } else {
                "tls.crt"
            };
            format!("`{}: {dir}/{file}`", e.field)
        })
        .collect();
    let fields: Vec<&str> = embedded.iter().map(|e| e.field).collect();
    format!(
        "`certificates[{index}]` holds base64-encoded PEM data ({}) in {host}; Pomerium 0.24 \
         reads only file paths, and no file can be written beside a config embedded in a \
         Kubernetes object. Put the data in a Secret (`{create}`, from the decoded PEM), mount \
         it into the Pomerium container (a volume `{volume}` with `secret.secretName: {secret}`, \
         and a volumeMount of it at `{dir}`, read-only), then set {}",
        fields.join(" and "),
        set.join(" and ")
    )
}

/// The config's directory (`.` for stdin) and where new files go (`--certs-dir`, else `certs/`
/// beside the config).
fn directories(cx: &StepContext<'_>) -> (PathBuf, PathBuf) {
    let config_dir = cx
        .config_path
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let config_dir = if config_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        config_dir
    };
    let certs_dir = cx
        .options
        .certs_dir
        .clone()
        .unwrap_or_else(|| config_dir.join("certs"));
    (config_dir, certs_dir)
}

/// The `cert` and `key` values of item `index` that hold base64 PEM data, and the file name its
/// certificate's subject suggests. Values that are neither paths nor PEM get an action.
fn embedded_values(
    cx: &mut StepContext<'_>,
    index: usize,
    item: NodeId,
) -> (Vec<Embedded>, Option<String>) {
    let doc = cx.doc;
    let mut embedded = Vec::new();
    let mut subject_name = None;
    for field in ["cert", "key"] {
        let Some(entry) = doc.get(item, field) else {
            continue;
        };
        let node = doc.resolve(entry.value);
        let Some(text) = doc.str(node) else {
            continue;
        };
        match classify(text) {
            Content::Path => {}
            Content::Undecodable => cx.action(
                Some(doc.location(node)),
                format!(
                    "`certificates[{index}].{field}` is neither a file path nor \
                     base64-encoded PEM; Pomerium 0.24 accepts only file paths: write the \
                     {} to a file and name that file here",
                    if field == "key" { "key" } else { "certificate" }
                ),
            ),
            Content::Pem(pem) => {
                if field == "cert" {
                    subject_name = certificate_name(&pem);
                }
                embedded.push(Embedded { node, field, pem });
            }
        }
    }
    (embedded, subject_name)
}

/// Points a `cert` or `key` value at `path`, asking for the file unless it already holds the
/// same data (`reused`), and reports it.
fn point_at_file(
    cx: &mut StepContext<'_>,
    index: usize,
    file: &Embedded,
    config_dir: &Path,
    path: PathBuf,
    reused: bool,
) {
    let shown = config_reference(config_dir, &path);
    let what = if file.field == "key" {
        "key"
    } else {
        "certificate"
    };
    let mode = if file.field == "key" { 0o600 } else { 0o644 };
    cx.set_scalar(file.node, Value::String(shown.clone()));
    let deploy = deploy_advice(&shown);
    let message = if reused {
        format!(
            "`certificates[{index}].{}`: the base64 {what} now names `{shown}`, which \
             already holds the same data; {deploy}",
            file.field
        )
    } else {
        cx.create_file(CreatedFile {
            path,
            mode,
            contents: file.pem.clone(),
        });
        format!(
            "`certificates[{index}].{}`: the base64 {what} moved to the new file \
             `{shown}` (mode {mode:04o}, {} bytes); {deploy}",
            file.field,
            file.pem.len()
        )
    };
    cx.changed(Some(cx.doc.location(file.node)), message);
}

/// Files chosen so far in this run, so two items never get the same name.
#[derive(Default)]
struct Planned {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Planned {
    /// Picks `base.pem` / `base-key.pem`, else `base-2…`, for an item's embedded values:
    /// each path must be free or already hold the same bytes (on disk or planned).
    fn choose<'e>(
        &mut self,
        disk: &Disk,
        dir: &Path,
        base: &str,
        embedded: &'e [Embedded],
    ) -> Option<Vec<(&'e Embedded, PathBuf, bool)>> {
        for attempt in 1..=1000 {
            let stem = if attempt == 1 {
                base.to_owned()
            } else {
                format!("{base}-{attempt}")
            };
            let mut choice = Vec::new();
            for file in embedded {
                let name = if file.field == "key" {
                    format!("{stem}-key.pem")
                } else {
                    format!("{stem}.pem")
                };
                let path = dir.join(name);
                match self.holds(disk, &path, &file.pem) {
                    Some(same) => choice.push((file, path, same)),
                    None => break,
                }
            }
            if choice.len() == embedded.len() {
                for (file, path, reused) in &choice {
                    if !reused {
                        self.files.push((path.clone(), file.pem.clone()));
                    }
                }
                return Some(choice);
            }
        }
        None
    }

    /// `Some(true)`: the path already holds these bytes; `Some(false)`: free; `None`: taken.
    fn holds(&self, disk: &Disk, path: &Path, bytes: &[u8]) -> Option<bool> {
        if let Some((_, planned)) = self.files.iter().find(|(p, _)| p == path) {
            return (planned == bytes).then_some(true);
        }
        // Unreadable counts as taken rather than risk replacing it.
        disk.holds(path, bytes)
    }
}

/// The file name a certificate's subject suggests: its common name, else its first DNS name.
fn certificate_name(pem: &[u8]) -> Option<String> {
    let pem = x509_parser::pem::Pem::iter_from_buffer(pem)
        .filter_map(Result::ok)
        .find(|p| p.label == "CERTIFICATE")?;
    let cert = pem.parse_x509().ok()?;
    let common_name = cert
        .subject()
        .iter_common_name()
        .find_map(|cn| cn.as_str().ok().map(str::to_owned));
    let dns_name = || {
        cert.subject_alternative_name()
            .ok()
            .flatten()?
            .value
            .general_names
            .iter()
            .find_map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                _ => None,
            })
    };
    common_name
        .and_then(|cn| file_stem(&cn))
        .or_else(|| dns_name().and_then(|dns| file_stem(&dns)))
}

/// A subject name as a safe file name stem (`*.example.com` → `wildcard.example.com`).
fn file_stem(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name
        .strip_prefix("*.")
        .map_or_else(|| name.to_owned(), |rest| format!("wildcard.{rest}"));
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.').to_owned();
    (!stem.is_empty() && stem.bytes().any(|b| b.is_ascii_alphanumeric())).then_some(stem)
}

/// What to do with a file the config now names: Pomerium reads it where it runs, so it must be
/// deployed with the config (relative paths resolve from Pomerium's working directory).
fn deploy_advice(shown: &str) -> String {
    if Path::new(shown).is_absolute() {
        "deploy it with the config, at this path on every Pomerium host".to_owned()
    } else {
        "deploy it with the config: Pomerium resolves this relative path from its working \
         directory (the config's directory in the official container image)"
            .to_owned()
    }
}

/// How the config names a created file: relative to the config's directory when inside it,
/// otherwise absolute (Pomerium resolves relative paths from its working directory).
fn config_reference(config_dir: &Path, file: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (dir, file_abs) = (absolute(config_dir), absolute(file));
    let shown = match file_abs.strip_prefix(&dir) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => file_abs,
    };
    shown.to_string_lossy().replace('\\', "/")
}

crate::step! {
    /// # Redis databroker storage was removed (Core)
    ///
    /// **What changed in Pomerium.** Pomerium 0.24 removed Redis as databroker storage; the choices
    /// are `memory` and `postgres`. A config with `databroker_storage_type: redis` does not start.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Core 0.24.0, "Redis Storage": Redis, deprecated since
    /// 0.18, is removed.
    ///
    /// **What the step does.** The step reports an action on that line: create a Postgres database,
    /// set `databroker_storage_type: postgres` and a `postgres://` connection string in
    /// `databroker_storage_connection_string`. It changes nothing itself: the tool cannot create
    /// the database, and the connection string is a secret it never writes.
    ///
    /// Before: `databroker_storage_type: redis`.
    ///
    /// After: unchanged, with an action on `databroker_storage_type: redis`.
    pub(crate) static REDIS_STORAGE_REMOVED = Step {
        version: Version::new(0, 24),
        id: "redis-storage-removed",
        title: "Report Redis databroker storage (removed; use Postgres)",
        scope: Scope::Core,
        handles: &["databroker_storage_type"],
        link: LINK,
        run: redis_storage_removed,
    };
}

fn redis_storage_removed(cx: &mut StepContext<'_>) {
    if let Some(at) = common::redis_storage(cx.doc) {
        cx.action(
            Some(at),
            "Redis databroker storage was removed in 0.24: create a Postgres database, then set \
             `databroker_storage_type: postgres` and its `postgres://` URL in \
             `databroker_storage_connection_string`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_values() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let encoded = base64::engine::general_purpose::STANDARD.encode(pem);
        let wrapped: String = encoded
            .as_bytes()
            .chunks(20)
            .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
            .collect();
        assert!(matches!(classify(&wrapped), Content::Pem(p) if p == pem.as_bytes()));
        assert!(matches!(classify("/etc/certs/app.pem"), Content::Path));
        assert!(matches!(classify("certs/app"), Content::Path));
        assert!(matches!(classify(&"QUJD".repeat(40)), Content::Undecodable));
        assert!(matches!(classify(pem), Content::Undecodable));
        let not_pem = base64::engine::general_purpose::STANDARD.encode("plain text, not PEM data");
        assert!(matches!(classify(&not_pem), Content::Undecodable));
        assert!(matches!(classify("cert"), Content::Path));
    }

    #[test]
    fn stems_are_safe_file_names() {
        assert_eq!(
            file_stem("*.example.com"),
            Some("wildcard.example.com".into())
        );
        assert_eq!(file_stem("../../etc/passwd"), Some("_.._etc_passwd".into()));
        assert_eq!(file_stem("My Site"), Some("My_Site".into()));
        assert_eq!(file_stem("..."), None);
        assert_eq!(file_stem(""), None);
    }

    #[test]
    fn deploying_explains_relative_paths() {
        assert!(deploy_advice("certs/a.pem").contains("relative path from its working directory"));
        assert!(deploy_advice("/etc/ssl/a.pem").contains("at this path"));
    }

    #[test]
    fn references_are_relative_inside_the_config_directory() {
        let dir = Path::new("/srv/pomerium");
        assert_eq!(
            config_reference(dir, Path::new("/srv/pomerium/certs/a.pem")),
            "certs/a.pem"
        );
        assert_eq!(
            config_reference(dir, Path::new("/etc/ssl/a.pem")),
            "/etc/ssl/a.pem"
        );
    }
}

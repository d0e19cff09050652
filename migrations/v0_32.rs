//! Pomerium 0.32.

use std::borrow::Cow;

use super::common;
use crate::document::{EntryRef, Value};
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0320";

crate::step! {
    /// # `pomerium_debug` is no longer read
    ///
    /// **What changed in Pomerium.** `pomerium_debug` stopped doing anything in 0.25 (see
    /// `v0.25/remove-pomerium-debug`), but Pomerium kept the option until 0.31. Commit 85c033193
    /// (pomerium#6027, in v0.32.0) removed it from `config/options.go`. It is not in the removed
    /// list of `config/options_check.go`, so 0.32 still starts with it: it only logs "unknown
    /// config option" at start-up.
    ///
    /// **Evidence.** v0.31.0 and v0.32.0 `config/options.go` (the `pomerium_debug` field is gone);
    /// v0.32.0 `config/options_check.go` (not a refused key); commit 85c033193.
    ///
    /// **What the step does.** A file that starts at 0.25 or later still has the key if nobody
    /// removed it: the step comments it out, as v0.25 does for older files, so the warning goes
    /// away. Pretty-print JSON logs with a tool such as `jq` instead.
    ///
    /// Before:
    ///
    /// ```yaml
    /// pomerium_debug: true
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.32: no longer read (use jq to pretty-print logs)
    /// # pomerium_debug: true
    /// ```
    pub(crate) static POMERIUM_DEBUG = Step {
        version: Version::new(0, 32),
        id: "pomerium-debug",
        title: "Comment out pomerium_debug (no longer read; only a start-up warning)",
        scope: Scope::Core,
        handles: &["pomerium_debug"],
        link: LINK,
        run: pomerium_debug,
    };
}

fn pomerium_debug(cx: &mut StepContext<'_>) {
    if let Some(root) = cx.doc.root() {
        common::retire_key(
            cx,
            root,
            "pomerium_debug",
            &common::Retirement::verb_first(
                None,
                "no longer read (use jq to pretty-print logs)",
                "Pomerium 0.32 no longer reads it and logs \"unknown config option\" at start-up \
             (it had no effect since 0.25)",
            ),
        );
    }
}

/// Envoy load-balancer tuning objects that 0.32 no longer reads.
const LB_CONFIGS: &[&str] = &[
    "least_request_lb_config",
    "ring_hash_lb_config",
    "maglev_lb_config",
    "round_robin_lb_config",
    "original_dst_lb_config",
];

/// Fields of Envoy's `Cluster` message (go-control-plane v1.35.0, the version v0.31.0 used) that
/// Pomerium 0.31 read from a route and 0.32 no longer reads, apart from the ones handled
/// separately: `lb_policy` (renamed), `common_lb_config` (its panic threshold moves),
/// [`LB_CONFIGS`], the fields Pomerium still reads (`name`, `health_checks`,
/// `outlier_detection`, `load_balancing_policy`) and [`OVERWRITTEN`].
const DROPPED: &[&str] = &[
    "alt_stat_name",
    "eds_cluster_config",
    "connect_timeout",
    "per_connection_buffer_limit_bytes",
    "max_requests_per_connection",
    "upstream_http_protocol_options",
    "common_http_protocol_options",
    "http_protocol_options",
    "http2_protocol_options",
    "dns_refresh_rate",
    "dns_jitter",
    "dns_failure_refresh_rate",
    "respect_dns_ttl",
    "dns_lookup_family",
    "dns_resolvers",
    "use_tcp_for_dns_lookups",
    "dns_resolution_config",
    "typed_dns_resolver_config",
    "wait_for_warm_on_init",
    "cleanup_interval",
    "upstream_bind_config",
    "lb_subset_config",
    "metadata",
    "protocol_selection",
    "upstream_connection_options",
    "close_connections_on_host_health_failure",
    "ignore_health_on_host_removal",
    "filters",
    "lrs_server",
    "lrs_report_endpoint_metrics",
    "track_timeout_budgets",
    "upstream_config",
    "track_cluster_stats",
    "preconnect_policy",
    "connection_pool_per_downstream_connection",
];

/// `Cluster` fields that Pomerium 0.31 overwrote with its own values whatever the route said
/// (v0.31.0 `config/envoyconfig/clusters.go`, `buildPolicyCluster` and `buildCluster`): a route
/// that sets them loses nothing in 0.32.
const OVERWRITTEN: &[&str] = &[
    "type",
    "cluster_type",
    "load_assignment",
    "transport_socket",
    "transport_socket_matches",
    "typed_extension_protocol_options",
    "circuit_breakers",
];

/// The values 0.32 accepts for `load_balancing_policy` (compared in lower case).
const LB_POLICIES: &[&str] = &[
    "unspecified",
    "round_robin",
    "maglev",
    "random",
    "ring_hash",
    "least_request",
];

crate::step! {
    /// # Routes no longer take raw Envoy cluster options
    ///
    /// **What changed in Pomerium.** Up to 0.31, Pomerium read every route a second time as an
    /// Envoy `Cluster` message
    /// (v0.31.0 `config/custom.go`, `parseEnvoyClusterOpts`), so any `Cluster` field written in
    /// a route took effect, and v0.31.0 `config/options_check.go` kept those fields from being
    /// reported as unknown. Pomerium 0.32 removed this pass-through (commit 53780aa9a,
    /// pomerium#6021) and kept four of the fields as Pomerium options of its own
    /// (v0.32.0 `config/policy.go`):
    ///
    /// - `load_balancing_policy`, formerly Envoy's `lb_policy`; the value is matched in any
    ///   letter case and must be one of `round_robin`, `least_request`, `ring_hash`, `random`,
    ///   `maglev`;
    /// - `healthy_panic_threshold`, a whole percentage, formerly
    ///   `common_lb_config.healthy_panic_threshold.value`;
    /// - `health_checks` and `outlier_detection`, which keep their shape.
    ///
    /// Every other `Cluster` field is no longer read: 0.32 logs "unknown config option" and
    /// starts, and the route runs with Pomerium's and Envoy's defaults for it. Among them are the
    /// per-policy tuning objects (`least_request_lb_config`, `ring_hash_lb_config`, …),
    /// `connect_timeout` (Pomerium's default is 10 seconds) and `alt_stat_name`. A few fields
    /// (`load_assignment`, `transport_socket`, `circuit_breakers`, the cluster `type`, …) never
    /// had an effect, since 0.31 overwrote them with its own values (v0.31.0
    /// `config/envoyconfig/clusters.go`).
    ///
    /// **Evidence.** v0.31.0 `config/custom.go` and `config/options_check.go`; v0.31.0
    /// `config/envoyconfig/clusters.go`; commit 53780aa9a (v0.32.0 `config/custom.go`
    /// `decodeProtoHookFunc`, `config/policy.go`, `config/envoyconfig/clusters.go`); the field
    /// list of Envoy's `Cluster` from go-control-plane v1.35.0 (`envoy/config/cluster/v3`).
    ///
    /// **What the step does.** In every route:
    ///
    /// - it renames `lb_policy` to `load_balancing_policy` (if both are set, the new one wins,
    ///   with an action when they differ); an action when the value is not one 0.32 accepts.
    ///   The camelCase spellings protobuf's reader took (`lbPolicy`, `healthChecks`,
    ///   `outlierDetection`) get their snake_case names, the only ones 0.32 reads;
    /// - it writes `common_lb_config.healthy_panic_threshold.value` as `healthy_panic_threshold`
    ///   and comments out `common_lb_config`; an action when the value is not a whole number or
    ///   when `common_lb_config` sets anything else;
    /// - it comments out every other `Cluster` field (in snake_case or camelCase), with an
    ///   action for each that 0.31 applied: the route loses that setting;
    /// - it comments out a literal `_envoy_opts` key (Pomerium overwrote it with its own data,
    ///   so it never had an effect).
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     to: [http://app-1:8080, http://app-2:8080]
    ///     lb_policy: LEAST_REQUEST
    ///     connect_timeout: 2s
    ///     common_lb_config:
    ///       healthy_panic_threshold:
    ///         value: 40
    /// ```
    ///
    /// After (with an action for `connect_timeout`):
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     to: [http://app-1:8080, http://app-2:8080]
    ///     load_balancing_policy: LEAST_REQUEST
    ///     # pomerium-migrate v0.32: no longer read (an Envoy cluster field)
    ///     # connect_timeout: 2s
    ///     # pomerium-migrate v0.32: replaced by healthy_panic_threshold
    ///     # common_lb_config:
    ///     #   healthy_panic_threshold:
    ///     #     value: 40
    ///     healthy_panic_threshold: 40
    /// ```
    ///
    /// (`healthy_panic_threshold` goes at the end of the route.)
    pub(crate) static ENVOY_CLUSTER_OPTIONS = Step {
        version: Version::new(0, 32),
        id: "envoy-cluster-options",
        title: "Rename lb_policy and comment out the raw Envoy cluster options of routes",
        scope: Scope::Core,
        handles: &[
            "_envoy_opts",
            "lb_policy",
            "common_lb_config",
            "least_request_lb_config",
            "ring_hash_lb_config",
            "maglev_lb_config",
            "round_robin_lb_config",
            "original_dst_lb_config",
            "alt_stat_name",
            "connect_timeout",
        ],
        link: LINK,
        run: envoy_cluster_options,
    };
}

/// Keys 0.32 reads under another name. Protobuf's JSON reader took the camelCase names too; 0.32
/// reads only the snake_case ones.
const RENAMES: &[(&str, &str, &str)] = &[
    (
        "lb_policy",
        "load_balancing_policy",
        "0.32 made the Envoy load-balancing policy a Pomerium option",
    ),
    (
        "lbPolicy",
        "load_balancing_policy",
        "0.32 made the Envoy load-balancing policy a Pomerium option",
    ),
    (
        "healthChecks",
        "health_checks",
        "0.32 reads the health checks under their snake_case name only",
    ),
    (
        "outlierDetection",
        "outlier_detection",
        "0.32 reads outlier detection under its snake_case name only",
    ),
];

/// A key as a snake_case field name: protobuf's JSON reader took `connectTimeout` as well as
/// `connect_timeout`.
fn field_name(key: &str) -> Cow<'_, str> {
    // Nearly every key is snake_case already: it is its own field name, with no copy.
    if !key.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(key);
    }
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn envoy_cluster_options(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    for route in common::routes(doc) {
        let name = route.name();
        let owner = Some(name.as_str());
        for (old, new, why) in RENAMES {
            common::rename_key(cx, route.node, owner, old, new, why);
        }
        check_lb_policy(cx, &route);
        move_panic_threshold(cx, &route);
        for entry in doc.entries(route.node) {
            let field = field_name(entry.key);
            let key = entry.key;
            if LB_CONFIGS.contains(&field.as_ref()) {
                retire_key(cx, &route, &entry, "no longer read (Envoy defaults apply)");
                cx.action(
                    Some(doc.entry_location(entry.id)),
                    format!(
                        "`{key}` of {} is no longer configurable from 0.32; the load-balancing \
                         policy now runs with Envoy's defaults: check that they suit this route",
                        route.name()
                    ),
                );
            } else if DROPPED.contains(&field.as_ref()) {
                retire_key(
                    cx,
                    &route,
                    &entry,
                    "no longer read (an Envoy cluster field)",
                );
                cx.action(
                    Some(doc.entry_location(entry.id)),
                    format!(
                        "`{key}` of {} is an Envoy cluster field that 0.31 applied to the \
                         route and 0.32 no longer reads (it only logs \"unknown config \
                         option\"); Pomerium has no option for it, so the route now runs with \
                         the default: check that the route works without it",
                        route.name()
                    ),
                );
            } else if OVERWRITTEN.contains(&field.as_ref()) {
                let verb = common::Removal::of(cx.remove(entry.id, "never had an effect"));
                cx.changed(
                    Some(doc.entry_location(entry.id)),
                    format!(
                        "{} `{key}` of {}: Pomerium 0.31 replaced this Envoy cluster field with \
                         its own value, and 0.32 no longer reads it{}",
                        verb.verb(),
                        route.name(),
                        common::shared_note(doc, entry.id.map)
                    ),
                );
            }
        }
        common::retire_key(
            cx,
            route.node,
            "_envoy_opts",
            &common::Retirement::verb_first(
                owner,
                "never read from the file",
                "Pomerium computed this key itself and ignored a written value",
            ),
        );
    }
}

/// Comments out a route's Envoy field with the usual "commented out `key` of ROUTE" finding.
fn retire_key(cx: &mut StepContext<'_>, route: &common::Route, entry: &EntryRef<'_>, note: &str) {
    let doc = cx.doc;
    let verb = common::Removal::of(cx.remove(entry.id, note));
    cx.changed(
        Some(doc.entry_location(entry.id)),
        format!(
            "{} `{}` of {}: Pomerium 0.32 no longer passes Envoy cluster options through{}",
            verb.verb(),
            entry.key,
            route.name(),
            common::shared_note(doc, entry.id.map)
        ),
    );
}

/// An action when the route's load-balancing policy (under either name) is not one 0.32 knows.
fn check_lb_policy(cx: &mut StepContext<'_>, route: &common::Route) {
    let doc = cx.doc;
    let Some(entry) = doc
        .get(route.node, "load_balancing_policy")
        .or_else(|| doc.get(route.node, "lb_policy"))
        .or_else(|| doc.get(route.node, "lbPolicy"))
    else {
        return;
    };
    let known = doc
        .str(doc.resolve(entry.value))
        .is_some_and(|v| LB_POLICIES.contains(&v.trim().to_ascii_lowercase().as_str()));
    if !known {
        cx.action(
            Some(doc.location(entry.value)),
            format!(
                "the load-balancing policy of {} is not one that 0.32 accepts (`round_robin`, \
                 `least_request`, `ring_hash`, `random` or `maglev`, in any letter case); 0.32 \
                 rejects it as an unknown load balancing policy: choose one of them",
                route.name()
            ),
        );
    }
}

/// `common_lb_config.healthy_panic_threshold.value` → `healthy_panic_threshold`.
fn move_panic_threshold(cx: &mut StepContext<'_>, route: &common::Route) {
    let doc = cx.doc;
    let Some(common_lb) = doc
        .entries(route.node)
        .into_iter()
        .find(|e| field_name(e.key) == "common_lb_config")
    else {
        return;
    };
    let block = doc.resolve(common_lb.value);
    let mut threshold = None;
    let mut others = Vec::new();
    for entry in doc.entries(block) {
        if field_name(entry.key) == "healthy_panic_threshold" {
            threshold = Some(entry);
        } else {
            others.push(format!("`{}`", entry.key));
        }
    }
    let at = Some(doc.entry_location(common_lb.id));
    let name = &route.name();
    // The threshold is an Envoy `Percent` message, `{value: 40}`; a bare number is taken too.
    let value = threshold.as_ref().map(|t| {
        let node = doc.resolve(t.value);
        match doc.entries(node).into_iter().find(|e| e.key == "value") {
            Some(v) => doc.value(v.value),
            None => doc.value(node),
        }
    });
    let whole = match &value {
        Some(Value::Int(n)) => i32::try_from(*n).ok().filter(|n| (0..=100).contains(n)),
        Some(Value::Float(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && (0.0..=100.0).contains(f))
            .map(|f| f as i32),
        _ => None,
    };
    let existing = doc.get(route.node, "healthy_panic_threshold");
    let note = if whole.is_some() {
        "replaced by healthy_panic_threshold"
    } else {
        "no longer read (an Envoy cluster field)"
    };
    let verb = common::Removal::of(cx.remove(common_lb.id, note));
    let shared = common::shared_note(doc, common_lb.id.map);
    match (whole, existing) {
        (Some(n), None) => {
            // At the end of the route: in TOML, `common_lb_config` is often a sub-table, and a
            // plain value cannot follow one.
            cx.insert(
                common_lb.id.map,
                None,
                "healthy_panic_threshold",
                Value::Int(i64::from(n)),
            );
            cx.changed(
                at,
                format!(
                    "{} `{}` of {name} and wrote its panic threshold as \
                     `healthy_panic_threshold: {n}`: 0.32 made it a Pomerium option{shared}",
                    verb.verb(),
                    common_lb.key
                ),
            );
        }
        (Some(n), Some(existing)) => {
            let same = doc.value(existing.value) == Value::Int(i64::from(n));
            let message = format!(
                "{} `{}` of {name}: `healthy_panic_threshold` (line {}) already sets the \
                 threshold{shared}",
                verb.verb(),
                common_lb.key,
                doc.entry_location(existing.id).line
            );
            if same {
                cx.changed(at, message);
            } else {
                cx.action(
                    at,
                    format!(
                        "{message}, to another value than `common_lb_config` did: check that \
                         `healthy_panic_threshold` holds the value you want"
                    ),
                );
            }
        }
        (None, _) => {
            cx.changed(
                at,
                format!(
                    "{} `{}` of {name}: Pomerium 0.32 no longer passes Envoy cluster options \
                     through{shared}",
                    verb.verb(),
                    common_lb.key
                ),
            );
            if threshold.is_some() {
                cx.action(
                    at,
                    format!(
                        "the healthy panic threshold in `{}` of {name} is not a whole percentage \
                         from 0 to 100, which is all that 0.32's `healthy_panic_threshold` takes: \
                         set `healthy_panic_threshold` on the route by hand",
                        common_lb.key
                    ),
                );
            }
        }
    }
    if !others.is_empty() {
        cx.action(
            at,
            format!(
                "`{}` of {name} also set {}, which 0.32 no longer reads (only the panic \
                 threshold has a Pomerium option): check that the route works with Envoy's \
                 defaults",
                common_lb.key,
                common::join_names(&others)
            ),
        );
    }
}

crate::step! {
    /// # Console: upgrade the Console before Core
    ///
    /// **What changed in Pomerium.** For 0.32, upgrade the Enterprise Console first and Core after
    /// it: a 0.32 Core expects a Console that already speaks 0.32.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise v0.32.0, "Upgrade Enterprise
    /// Console before Core".
    ///
    /// **What the step does.** It changes nothing and adds a note to the console file's report.
    ///
    /// Before: any Console config.
    ///
    /// After: the file stays the same.
    pub(crate) static CONSOLE_FIRST = Step {
        version: Version::new(0, 32),
        id: "console-first",
        title: "Note that the Console must be upgraded to 0.32 before Core",
        scope: Scope::Console,
        handles: &[],
        link: LINK,
        run: console_first,
    };
}

fn console_first(cx: &mut StepContext<'_>) {
    cx.note(
        None,
        "upgrade the Enterprise Console to 0.32 before upgrading Core to 0.32",
    );
}

crate::step! {
    /// # The default autocert directory moved (Core)
    ///
    /// **What changed in Pomerium.** With `autocert: true` Pomerium obtains certificates from
    /// an ACME CA and keeps them (and the ACME account) in `autocert_dir`. Without that option
    /// the directory was Pomerium's data directory itself (`$XDG_DATA_HOME/pomerium`, else
    /// `~/.local/share/pomerium`, else `/tmp/pomerium/data`). From 0.32 it is the subdirectory
    /// `autocert` of the data directory, the last fallback is `/var/tmp/pomerium/data`, and on
    /// macOS the data directory is `~/Library/Application Support/pomerium`. Pomerium does not
    /// move existing certificates: it requests new ones at the first start (which may run
    /// into the CA's rate limits). The official container image sets
    /// `AUTOCERT_DIR=/data/autocert` and is not affected.
    ///
    /// **Evidence.** Commit 67309da26 ("databroker: support default path for file backend",
    /// in v0.32.0, marked breaking for the autocert move): v0.31.0 `config/options.go` has
    /// `Folder: fileutil.DataDir()`, v0.32.0 `Folder: filepath.Join(fileutil.DataDir(),
    /// "autocert")`; v0.32.0 `internal/fileutil/directories.go`; v0.32.0 `Dockerfile`
    /// (`ENV AUTOCERT_DIR`).
    ///
    /// **What the step does.** Nothing is rewritten (the right directory depends on the
    /// environment Pomerium runs in). When the file sets `autocert: true` and no
    /// `autocert_dir`, a note says to set `autocert_dir` to the directory used so far (or
    /// move its contents). Other files get the note only with `--notes all`.
    ///
    /// Before:
    ///
    /// ```yaml
    /// autocert: true
    /// ```
    ///
    /// After (unchanged; to keep the existing certificates, name their directory):
    ///
    /// ```yaml
    /// autocert: true
    /// autocert_dir: /home/pomerium/.local/share/pomerium
    /// ```
    pub(crate) static AUTOCERT_DIR = Step {
        version: Version::new(0, 32),
        id: "autocert-dir",
        title: "Note that the default autocert directory moved",
        scope: Scope::Core,
        handles: &["autocert_dir"],
        link: LINK,
        run: autocert_dir,
    };
}

fn autocert_dir(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let autocert = doc
        .top("autocert")
        .filter(|e| common::as_bool(&doc.value(e.value)) == Some(true));
    match autocert {
        Some(entry) if doc.top("autocert_dir").is_none() => {
            let at = common::at(doc, &entry);
            cx.note(
                at,
                "from 0.32 on, autocert keeps its certificates in the `autocert` subdirectory \
                 of the data directory (fallback `/var/tmp/pomerium/data`, was \
                 `/tmp/pomerium/data`): without `autocert_dir`, Pomerium requests new \
                 certificates; set `autocert_dir` to the directory used so far (the official \
                 image sets `AUTOCERT_DIR` and is not affected)",
            );
        }
        _ => cx.general_note(
            "from 0.32 on, the default `autocert_dir` is the `autocert` subdirectory of the \
             data directory; configs with `autocert: true` and no `autocert_dir` request new \
             certificates",
        ),
    }
}

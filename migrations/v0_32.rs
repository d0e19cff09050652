//! Pomerium 0.32.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0320";

crate::step! {
    /// # `pomerium_debug` is no longer accepted
    ///
    /// `pomerium_debug` stopped doing anything in 0.25 (see `v0.25`), but Pomerium kept reading
    /// it until 0.31. Pomerium 0.32 no longer accepts it at all.
    ///
    /// **What the step does.** A file that starts at 0.25 or later still has the key if nobody
    /// removed it: the step comments it out, as v0.25 does for older files. Pretty-print JSON
    /// logs with a tool such as `jq` instead.
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
    /// # pomerium-migrate v0.32: no longer accepted (use jq to pretty-print logs)
    /// # pomerium_debug: true
    /// ```
    pub static POMERIUM_DEBUG = Step {
        version: Version::new(0, 32),
        id: "pomerium-debug",
        title: "pomerium_debug is no longer accepted",
        scope: Scope::Core,
        handles: &["pomerium_debug"],
        link: LINK,
        run: run_debug,
    };
}

fn run_debug(cx: &mut StepContext<'_>) {
    if let Some(root) = cx.doc.root() {
        common::retire_key(
            cx,
            root,
            None,
            "pomerium_debug",
            "no longer accepted (use jq to pretty-print logs)",
            "Pomerium 0.32 no longer accepts it (it had no effect since 0.25)",
        );
    }
}

/// Envoy load-balancer tuning objects that 0.32 no longer reads.
const LB_CONFIGS: &[&str] = &[
    "least_request_lb_config",
    "ring_hash_lb_config",
    "maglev_lb_config",
];

crate::step! {
    /// # Routes no longer take raw Envoy cluster options
    ///
    /// Up to 0.31, Pomerium read every route a second time as an Envoy `Cluster` definition, so
    /// Envoy fields written in a route took effect (internally kept under the key
    /// `_envoy_opts`). Pomerium 0.32 removed this pass-through and made the options people used
    /// into Pomerium options:
    ///
    /// - `lb_policy` is now `load_balancing_policy` (same values: `ROUND_ROBIN`,
    ///   `LEAST_REQUEST`, `RING_HASH`, `RANDOM`, `MAGLEV`);
    /// - `health_checks` and `outlier_detection` stay as they are;
    /// - the per-policy tuning objects `least_request_lb_config`, `ring_hash_lb_config` and
    ///   `maglev_lb_config` are no longer read: Envoy's defaults apply.
    ///
    /// **What the step does.** In every route it renames `lb_policy` to
    /// `load_balancing_policy` (if both are set, the new one wins, with an action when they
    /// differ), comments out the three tuning objects with an action each, and comments out a
    /// literal `_envoy_opts` key (Pomerium overwrote it with its own data, so it never had an
    /// effect). Other Envoy fields a route may carry show up as unknown keys in the report.
    ///
    /// Before:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     to: [http://app-1:8080, http://app-2:8080]
    ///     lb_policy: LEAST_REQUEST
    ///     least_request_lb_config:
    ///       choice_count: 3
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// routes:
    ///   - from: https://app.example.com
    ///     to: [http://app-1:8080, http://app-2:8080]
    ///     load_balancing_policy: LEAST_REQUEST
    ///     # pomerium-migrate v0.32: no longer read (Envoy defaults apply)
    ///     # least_request_lb_config:
    ///     #   choice_count: 3
    /// ```
    pub static ENVOY_CLUSTER_OPTIONS = Step {
        version: Version::new(0, 32),
        id: "envoy-cluster-options",
        title: "routes no longer take raw Envoy cluster options",
        scope: Scope::Core,
        handles: &[
            "_envoy_opts",
            "lb_policy",
            "least_request_lb_config",
            "ring_hash_lb_config",
            "maglev_lb_config",
        ],
        link: LINK,
        run: run_envoy,
    };
}

fn run_envoy(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    for route in common::routes(doc) {
        let owner = Some(route.name.as_str());
        common::rename_key(
            cx,
            route.node,
            owner,
            "lb_policy",
            "load_balancing_policy",
            "0.32 made the Envoy load-balancing policy a Pomerium option",
        );
        for key in LB_CONFIGS {
            if let Some(entry) = common::retire_key(
                cx,
                route.node,
                owner,
                key,
                "no longer read (Envoy defaults apply)",
                "Pomerium 0.32 no longer passes Envoy cluster options through",
            ) {
                cx.action(
                    Some(doc.entry_location(entry.id)),
                    format!(
                        "`{key}` of {} is no longer configurable from 0.32; the policy now runs \
                         with Envoy's defaults: check that they suit this route",
                        route.name
                    ),
                );
            }
        }
        common::retire_key(
            cx,
            route.node,
            owner,
            "_envoy_opts",
            "never read from the file",
            "Pomerium computed this key itself and ignored a written value",
        );
    }
}

crate::step! {
    /// # Console: upgrade the Console before Core
    ///
    /// For 0.32, upgrade the Enterprise Console first and Core after it: a 0.32 Core expects a
    /// Console that already speaks 0.32.
    ///
    /// **What the step does.** It changes nothing and adds a note to the console file's report.
    /// Before and After: the file stays the same.
    pub static CONSOLE_FIRST = Step {
        version: Version::new(0, 32),
        id: "console-first",
        title: "Console: upgrade the Console to 0.32 before Core",
        scope: Scope::Console,
        handles: &[],
        link: LINK,
        run: run_console_first,
    };
}

fn run_console_first(cx: &mut StepContext<'_>) {
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
    /// move existing certificates: it requests new ones at the first start, which counts
    /// against the CA's rate limits. The official container image sets
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
    pub static AUTOCERT_DIR = Step {
        version: Version::new(0, 32),
        id: "autocert-dir",
        title: "Note: the default autocert directory moved",
        scope: Scope::Core,
        handles: &["autocert_dir"],
        link: LINK,
        run: run_autocert_dir,
    };
}

fn run_autocert_dir(cx: &mut StepContext<'_>) {
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

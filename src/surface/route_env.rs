//! `POLICY` and `ROUTES` set from the environment: a base64 YAML or JSON list of routes
//! (v0.10.0 `config/options.go:357-383` decodes `POLICY`; from v0.20 `DecodePolicyBase64Hook`,
//! `config/custom.go:385-412`, does so for any route list, `ROUTES` included).
//!
//! This is the one hook every environment surface (compose, `.env`, Kubernetes `env:`) calls
//! for such a variable; decoding, migrating the routes through a virtual config and
//! re-encoding them the same way belongs here. Until that lands, the hook leaves the value as
//! it is and says so in a note, so that nothing is claimed to be checked that was not.

use crate::document::Location;
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

use crate::runner::RunConfig;

/// A route-list variable found on a surface.
#[derive(Clone, Debug)]
pub struct RouteListVar<'a> {
    /// `POLICY` or `ROUTES`.
    pub name: &'a str,
    /// The value as written (base64), never printed.
    pub value: &'a str,
    pub kind: FileKind,
    pub from: Version,
    pub to: Version,
    /// Where the variable's name is in the surface file.
    pub location: Location,
}

/// What became of a route-list variable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteListOutcome {
    /// The new value (re-encoded as the old one was), `None` to leave it as it is.
    pub new_value: Option<String>,
    /// Located in the surface file.
    pub findings: Vec<Finding>,
}

/// Migrates the routes a `POLICY`/`ROUTES` variable holds.
pub fn migrate_route_list(var: &RouteListVar<'_>, _config: &RunConfig<'_>) -> RouteListOutcome {
    RouteListOutcome {
        new_value: None,
        findings: vec![Finding {
            version: var.to,
            step: "env-route-list",
            severity: Severity::Note,
            location: Some(var.location),
            message: format!(
                "`{}` holds a base64 list of routes; this version of pomerium-migrate does not \
                 decode it: check its routes against the releases from {} to {} by hand",
                var.name, var.from, var.to
            ),
            link: "",
        }],
    }
}

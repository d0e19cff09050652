//! `POLICY` and `ROUTES` set from the environment: a base64 YAML or JSON list of routes
//! (v0.10.0 `config/options.go:357-383` decodes `POLICY`; from v0.20 `DecodePolicyBase64Hook`,
//! `config/custom.go:385-412`, does so for any route list, `ROUTES` included).
//!
//! This is the one hook every environment surface (compose, `.env`, Kubernetes `env:`) calls
//! for such a variable; [`super::route_list`] decodes the value, migrates the routes through
//! the chain and encodes them back the way they were written.

use crate::document::Location;
use crate::runner::{RunConfig, RunError, Source};
use crate::step::{FileKind, Finding};
use crate::version::Version;

use super::decoded::DecodedView;
use super::route_list::{self, RouteList};

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
#[derive(Debug, Default)]
pub struct RouteListOutcome {
    /// The new value (re-encoded as the old one was), `None` to leave it as it is.
    pub new_value: Option<String>,
    /// Located in the surface file.
    pub findings: Vec<Finding>,
    /// The decoded list before and after, for the report.
    pub view: Option<DecodedView>,
}

/// Migrates the routes a `POLICY`/`ROUTES` variable holds (Core's variables: the Console reads
/// no route list). `source` is the surface file, for error messages.
pub fn migrate_route_list(
    var: &RouteListVar<'_>,
    source: &Source,
    config: &RunConfig<'_>,
) -> Result<RouteListOutcome, RunError> {
    if var.kind != FileKind::Core {
        return Ok(RouteListOutcome::default());
    }
    let migrated = route_list::migrate(
        &RouteList {
            name: var.name,
            value: var.value,
            from: Some(var.from),
            report_version: var.to,
            location: var.location,
        },
        source,
        config,
    )?;
    Ok(RouteListOutcome {
        new_value: migrated.new_value,
        findings: migrated.findings,
        view: migrated.view,
    })
}

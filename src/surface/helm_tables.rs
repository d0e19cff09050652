//! Facts about Pomerium's two Helm charts (pomerium/pomerium-helm, last commit `404fa13`,
//! 2023-05-30): which Pomerium release each chart version deploys, and how values become
//! options. Every row was read from the chart repository; the evidence is named beside it.

use crate::version::Version;

/// A chart version (`25.0.0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChartVersion(pub u32, pub u32, pub u32);

impl std::fmt::Display for ChartVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

impl ChartVersion {
    /// `25.0.0`; `None` for anything else.
    pub fn parse(text: &str) -> Option<ChartVersion> {
        let mut parts = text.split('.');
        let mut next = || parts.next()?.parse::<u32>().ok();
        let version = ChartVersion(next()?, next()?, next()?);
        parts.next().is_none().then_some(version)
    }
}

const fn c(a: u32, b: u32, d: u32) -> ChartVersion {
    ChartVersion(a, b, d)
}

/// `pomerium` chart versions (first, last) and the Pomerium release their `appVersion` names
/// (`git log -- charts/pomerium/Chart.yaml` and `Chart.yaml` at each commit). Chart versions
/// before 12.0.0 deploy Pomerium before 0.10, which pomerium-migrate does not know.
pub const POMERIUM_CHART: &[(ChartVersion, ChartVersion, Version)] = &[
    (c(12, 0, 0), c(13, 2, 3), Version::new(0, 10)),
    (c(14, 0, 0), c(14, 0, 0), Version::new(0, 11)),
    (c(15, 0, 0), c(15, 1, 0), Version::new(0, 12)),
    (c(16, 0, 0), c(18, 0, 0), Version::new(0, 13)),
    (c(19, 0, 0), c(23, 2, 0), Version::new(0, 14)),
    (c(24, 0, 0), c(25, 0, 6), Version::new(0, 15)),
    (c(26, 0, 0), c(30, 1, 2), Version::new(0, 16)),
    (c(31, 0, 0), c(31, 2, 6), Version::new(0, 17)),
    (c(32, 0, 0), c(32, 1, 0), Version::new(0, 18)),
    (c(33, 0, 0), c(33, 0, 2), Version::new(0, 20)),
    (c(34, 0, 0), c(34, 0, 1), Version::new(0, 22)),
];

/// `pomerium-console` chart versions and the Console release of their `appVersion`
/// (`git log -- charts/pomerium-console/Chart.yaml`).
pub const CONSOLE_CHART: &[(ChartVersion, ChartVersion, Version)] = &[
    (c(7, 0, 0), c(7, 0, 2), Version::new(0, 15)),
    (c(7, 1, 0), c(7, 1, 0), Version::new(0, 16)),
    (c(8, 0, 0), c(8, 0, 0), Version::new(0, 17)),
    (c(9, 0, 0), c(9, 0, 0), Version::new(0, 18)),
    (c(10, 0, 0), c(10, 0, 0), Version::new(0, 19)),
    (c(11, 0, 0), c(11, 0, 0), Version::new(0, 20)),
];

/// The `pomerium` chart version that deprecated the chart in favour of the Ingress Controller
/// and manifests (commit `f0aed04`, `charts/pomerium/README.md:94-96`).
pub const DEPRECATED_IN: ChartVersion = c(33, 0, 0);

/// The Pomerium release a chart version deploys; `None` for a version the table does not
/// have.
pub fn app_version(
    table: &[(ChartVersion, ChartVersion, Version)],
    chart: ChartVersion,
) -> Option<Version> {
    table
        .iter()
        .find(|(first, last, _)| *first <= chart && chart <= *last)
        .map(|(_, _, app)| *app)
}

/// The chart's `snakecase` (Sprig's, from `xstrings.ToSnakeCase`), with which the
/// `pomerium-console` chart writes every `config.<key>` value as a Console option
/// (`charts/pomerium-console/templates/secret.yaml:24-28`): `authenticateServiceUrl` →
/// `authenticate_service_url`, `signingKey` → `signing_key`. A run of capitals is one word
/// (`databaseURL` → `database_url`).
pub fn snake_case(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == ' ' || c == '.' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The camelCase value name that [`snake_case`] turns into `key` (`license_key` →
/// `licenseKey`; dash-case keys too).
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' || c == '-' {
            upper = !out.is_empty();
            continue;
        }
        if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// How a value of the `pomerium` chart reaches Pomerium.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rendered {
    /// The value is written as this option (when set).
    As(&'static str),
    /// The value switches the chart into writing this option with a value of its own (`true`
    /// renders it).
    Switch(&'static str, &'static str),
}

/// A `pomerium` chart value that renders a Pomerium option, from `_helpers.tpl` at HEAD
/// (`pomerium.config.static`, lines 416-470; `pomerium.databroker.storage.type`, 559-564) and
/// the chart's README changelog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChartValue {
    /// The dotted value path (`authenticate.idp.serviceAccount`).
    pub path: &'static str,
    pub rendered: Rendered,
    /// What to do with the value when Pomerium no longer reads the option.
    pub advice: &'static str,
}

/// The values of the `pomerium` chart whose options a Pomerium release removed or whose values
/// it refuses; the chain's steps judge each through a virtual config.
pub const POMERIUM_VALUES: &[ChartValue] = &[
    ChartValue {
        path: "authenticate.idp.serviceAccount",
        rendered: Rendered::As("idp_service_account"),
        advice: "remove the value: chart 33.0.0 (Pomerium 0.20) no longer renders it \
                 (\"`idp.serviceAccount` is removed\", charts/pomerium/README.md changelog); \
                 directory sync moved to the Enterprise Console",
    },
    ChartValue {
        path: "authenticate.idp.serviceAccountYAML",
        rendered: Rendered::As("idp_service_account"),
        advice: "remove the value: chart 33.0.0 (Pomerium 0.20) no longer renders it; \
                 directory sync moved to the Enterprise Console",
    },
    ChartValue {
        path: "config.administrators",
        rendered: Rendered::As("administrators"),
        advice: "remove the value: the chart still renders `administrators` (up to 34.0.1), \
                 which Pomerium no longer reads; grant access with a route policy instead",
    },
    ChartValue {
        path: "redis.enabled",
        rendered: Rendered::Switch("databroker_storage_type", "redis"),
        advice: "set `redis.enabled: false` and `databroker.storage.type: postgres` with a \
                 `databroker.storage.connectionString` (`postgres://…`): while `redis.enabled` \
                 is true the chart forces Redis storage (`_helpers.tpl:559-564`)",
    },
    ChartValue {
        path: "databroker.storage.type",
        rendered: Rendered::As("databroker_storage_type"),
        advice: "set `databroker.storage.type: postgres` and a `postgres://` \
                 `databroker.storage.connectionString`",
    },
    ChartValue {
        path: "tracing.provider",
        rendered: Rendered::As("tracing_provider"),
        advice: "set `tracing.enabled: false` (the chart renders `tracing_*` options while it \
                 is true) and configure OpenTelemetry with `otel_*` options in \
                 `config.extraOpts`",
    },
    ChartValue {
        path: "tracing.debug",
        rendered: Rendered::As("tracing_debug"),
        advice: "set `tracing.enabled: false` and configure OpenTelemetry with `otel_*` \
                 options in `config.extraOpts`",
    },
    ChartValue {
        path: "tracing.jaeger.collector_endpoint",
        rendered: Rendered::As("tracing_jaeger_collector_endpoint"),
        advice: "set `tracing.enabled: false` and configure OpenTelemetry with `otel_*` \
                 options in `config.extraOpts`",
    },
    ChartValue {
        path: "tracing.jaeger.agent_endpoint",
        rendered: Rendered::As("tracing_jaeger_agent_endpoint"),
        advice: "set `tracing.enabled: false` and configure OpenTelemetry with `otel_*` \
                 options in `config.extraOpts`",
    },
    ChartValue {
        path: "forwardAuth.enabled",
        rendered: Rendered::Switch("forward_auth_url", "https://forwardauth.example.com"),
        advice: "set `forwardAuth.enabled: false`: the chart renders `forward_auth_url` while \
                 it is true; use the Ingress Controller, or your proxy's external \
                 authentication pointed at Pomerium's verify endpoint",
    },
];

/// Values that gate others: a `tracing.*` value is rendered only with `tracing.enabled: true`
/// (`_helpers.tpl:456-465`).
pub fn gate(path: &str) -> Option<&'static str> {
    path.starts_with("tracing.")
        .then_some("tracing.enabled")
        .filter(|g| *g != path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_versions_name_their_release() {
        let v = |s: &str| ChartVersion::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert_eq!(
            app_version(POMERIUM_CHART, v("25.0.0")),
            Some(Version::new(0, 15))
        );
        assert_eq!(
            app_version(POMERIUM_CHART, v("33.0.2")),
            Some(Version::new(0, 20))
        );
        assert_eq!(
            app_version(POMERIUM_CHART, v("12.4.2")),
            Some(Version::new(0, 10))
        );
        assert_eq!(app_version(POMERIUM_CHART, v("11.2.3")), None);
        assert_eq!(
            app_version(CONSOLE_CHART, v("7.1.0")),
            Some(Version::new(0, 16))
        );
        assert_eq!(ChartVersion::parse("25.0"), None);
        assert_eq!(ChartVersion::parse("25.0.0.1"), None);
        // The rows are ordered and do not overlap.
        for table in [POMERIUM_CHART, CONSOLE_CHART] {
            for pair in table.windows(2) {
                assert!(pair[0].1 < pair[1].0 && pair[0].2 < pair[1].2, "{pair:?}");
            }
        }
    }

    #[test]
    fn value_names_convert_as_the_chart_does() {
        for (camel, snake) in [
            ("signingKey", "signing_key"),
            ("authenticateServiceUrl", "authenticate_service_url"),
            ("licenseKey", "license_key"),
            ("audience", "audience"),
            ("disableValidation", "disable_validation"),
            ("databaseEncryptionKey", "database_encryption_key"),
            ("customerId", "customer_id"),
        ] {
            assert_eq!(snake_case(camel), snake);
            assert_eq!(camel_case(snake), camel);
        }
        assert_eq!(snake_case("databaseURL"), "database_url");
        assert_eq!(snake_case("tlsCAFile"), "tls_ca_file");
        assert_eq!(camel_case("license-key"), "licenseKey");
    }
}

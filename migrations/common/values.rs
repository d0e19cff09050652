//! Values read the way Pomerium reads them: booleans, non-empty strings and URLs.

use crate::document::Value;

/// Whether a value is a non-empty string (a setting that is present but empty counts as
/// missing for settings Pomerium requires).
pub(crate) fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A boolean as Pomerium reads it: YAML booleans, and the strings `true`/`false`.
pub(crate) fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The parts of a URL that steps look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    /// The host name without port or brackets.
    pub(crate) host: &'a str,
    pub(crate) port: Option<u16>,
}

/// Splits `scheme://[userinfo@]host[:port][/path…][,weight]` (a `to` URL may carry a
/// load-balancing weight after a comma). Not a full URL parser: enough for the `from`/`to`
/// values of routes. `None` without a scheme, a host, or with a port that is not a number.
pub(crate) fn parse_url(url: &str) -> Option<UrlParts<'_>> {
    let (_scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#', ',']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    (!host.is_empty()).then_some(UrlParts { host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        let parts = |url| parse_url(url).map(|u| (u.host, u.port));
        assert_eq!(
            parts("https://user:pw@console.corp.example.com:8443/path?x=1"),
            Some(("console.corp.example.com", Some(8443)))
        );
        assert_eq!(parts("http://[::1]:8701"), Some(("::1", Some(8701))));
        assert_eq!(
            parts("https://user:pw@[::1]:8443/"),
            Some(("::1", Some(8443)))
        );
        assert_eq!(
            parts("http://pomerium-console"),
            Some(("pomerium-console", None))
        );
        assert_eq!(
            parts("http://10.0.0.5:8080/path,3"),
            Some(("10.0.0.5", Some(8080)))
        );
        assert_eq!(parts("http://app:8080,2"), Some(("app", Some(8080))));
        assert_eq!(
            parts("tcp+https://db.internal:5432"),
            Some(("db.internal", Some(5432)))
        );
        assert_eq!(parts("pomerium-console:8701"), None);
        assert_eq!(parts("http://host:notaport"), None);
        assert_eq!(parts("http://"), None);
        assert_eq!(parts("https://"), None);
    }

    #[test]
    fn booleans_as_pomerium_reads_them() {
        assert_eq!(as_bool(&Value::String("false".into())), Some(false));
        assert_eq!(as_bool(&Value::Bool(true)), Some(true));
        assert_eq!(as_bool(&Value::Int(0)), None);
    }
}

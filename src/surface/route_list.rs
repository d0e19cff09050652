//! The routes of a `POLICY` or `ROUTES` environment variable: base64 of a YAML or JSON list.
//!
//! Pomerium reads both variables as a list of routes encoded with Go's `base64.StdEncoding`:
//! v0.10.0 decodes `POLICY` in `parsePolicy` and unmarshals the YAML (`config/options.go:357-383`);
//! from v0.20.0 `DecodePolicyBase64Hook` does it for every `[]Policy` option, so for `ROUTES` too
//! (`config/custom.go:385-412`; v0.33.0 `config/custom.go:456-483`). YAML is a superset of JSON,
//! so both are accepted; Pomerium's own integration templates wrote JSON
//! (`integration/tpl/services/pomerium.libsonnet`: `std.base64(std.manifestJsonEx(routes, ''))`).
//!
//! Migrating such a value: decode it ([`super::encoded`]), run the ordinary chain on a config
//! that holds the list under `policy:` or `routes:` (the steps read route options under both),
//! take the migrated list back out of the result, and encode it as it was encoded (alphabet,
//! padding, wrapping). JSON stays JSON: the config is then a JSON object with the list written
//! as it was. Findings go on the variable's line and name the line of the decoded list; the
//! report also shows the decoded list's diff ([`DecodedView`], redacted like a config).

use crate::document::{Document, Format, Location};
use crate::runner::{RunConfig, RunError, Source};
use crate::step::{FileKind, Finding, Severity};
use crate::version::Version;

use super::decoded::{DecodedView, run_text};
use super::encoded;

/// The id of findings about the variable itself (its encoding, its shape).
pub const STEP_ID: &str = "env-route-list";

/// A route-list variable to migrate.
#[derive(Clone, Debug)]
pub struct RouteList<'a> {
    /// `POLICY` or `ROUTES`.
    pub name: &'a str,
    /// The value as written (base64); never printed.
    pub value: &'a str,
    /// The version the surface runs (an image tag, `--from`); `None`: the routes' keys decide.
    pub from: Option<Version>,
    /// The version findings about the value itself carry (the run's target).
    pub report_version: Version,
    /// Where the variable is in the surface file.
    pub location: Location,
}

/// What became of a route-list variable.
#[derive(Debug, Default)]
pub struct Migrated {
    /// The new value, encoded as the old one was; `None` to leave it as it is.
    pub new_value: Option<String>,
    /// Located in the surface file.
    pub findings: Vec<Finding>,
    /// The decoded list before and after, for the report (when it could be read).
    pub view: Option<DecodedView>,
}

/// Migrates the routes a `POLICY`/`ROUTES` variable holds. A `${…}` value is unknown and left
/// alone (so is `$VAR`); a value that is not base64 of a list of routes gets an action saying what is wrong.
pub fn migrate(
    var: &RouteList<'_>,
    surface: &Source,
    config: &RunConfig<'_>,
) -> Result<Migrated, RunError> {
    let mut out = Migrated::default();
    // Interpolated (`${…}`, `$VAR`) values are unknown; base64 has no `$`.
    if var.value.contains('$') || var.value.trim().is_empty() {
        return Ok(out);
    }
    let action = |message: String| Finding {
        version: var.report_version,
        step: STEP_ID,
        severity: Severity::ActionRequired,
        location: Some(var.location),
        message,
        link: "https://www.pomerium.com/docs/reference/routes",
    };
    let (bytes, encoding) = match encoded::decode(var.value) {
        Ok(decoded) => decoded,
        Err(e) => {
            out.findings.push(action(format!(
                "`{}` must hold a base64-encoded YAML or JSON list of routes, but {e}; Pomerium \
                 cannot read it: encode the list with standard base64 (`base64 -w0 routes.yaml`)",
                var.name
            )));
            return Ok(out);
        }
    };
    if let Some(deviation) = encoding.deviation() {
        out.findings.push(action(format!(
            "`{}` is not standard padded base64 ({deviation}); Pomerium decodes it with Go's \
             `base64.StdEncoding` and refuses it: encode the list with standard base64 \
             (`base64 -w0`); the routes inside are migrated and written back as they were",
            var.name
        )));
    }
    let Ok(text) = String::from_utf8(bytes) else {
        out.findings.push(action(format!(
            "`{}` decodes to bytes that are not UTF-8 text, not a YAML or JSON list of routes",
            var.name
        )));
        return Ok(out);
    };
    let json = text.trim_start().starts_with('[');
    let format = if json { Format::Json } else { Format::Yaml };
    let list = match Document::parse(text.clone(), format) {
        Ok(doc) if doc.root().is_some_and(|r| doc.is_sequence(doc.resolve(r))) => doc,
        Ok(_) => {
            out.findings.push(action(format!(
                "`{}` decodes to {} that is not a list of routes; Pomerium expects a list \
                 (`- from: …`): fix the value by hand",
                var.name,
                if json { "JSON" } else { "YAML" }
            )));
            return Ok(out);
        }
        Err(e) => {
            out.findings.push(action(format!(
                "`{}` decodes to text that does not parse as {} (line {}, column {} of the \
                 decoded list): fix the value by hand",
                var.name,
                if json { "JSON" } else { "YAML" },
                e.location().line,
                e.location().column
            )));
            return Ok(out);
        }
    };
    let key = if var.name == "POLICY" {
        "policy"
    } else {
        "routes"
    };
    let Some(wrapped) = Wrapped::new(&text, key, format) else {
        out.findings.push(action(format!(
            "`{}` decodes to a YAML stream with directives or document markers; migrate its \
             routes by hand",
            var.name
        )));
        return Ok(out);
    };
    let label = format!("`{}`", var.name);
    let run = match run_text(
        surface,
        &label,
        wrapped.text.clone(),
        format,
        FileKind::Core,
        var.from,
        config,
    ) {
        Ok(run) => run,
        Err(e) if e.exit_code() == 2 => {
            out.findings.push(action(format!(
                "the routes of `{}` cannot be migrated: {e}",
                var.name
            )));
            return Ok(out);
        }
        Err(e) => return Err(e),
    };
    // Findings without a line are about the config as a whole (a top-level option it lacks),
    // which a route list is not.
    for f in &run.findings {
        let Some(at) = f.location else {
            continue;
        };
        out.findings.push(Finding {
            location: Some(var.location),
            message: format!(
                "`{}` route list line {}: {}",
                var.name,
                wrapped.list_line(at.line),
                f.message
            ),
            ..f.clone()
        });
    }
    if run.changed() {
        match wrapped.unwrap(run.result()) {
            Ok(new_list) => {
                out.new_value = Some(encoded::encode(new_list.as_bytes(), &encoding));
                if let Ok(after) = Document::parse(new_list, format) {
                    out.view = Some(DecodedView {
                        label: format!("`{}` route list", var.name),
                        before: list,
                        after,
                    });
                }
            }
            Err(why) => out.findings.push(action(format!(
                "the routes of `{}` were migrated, but {why}; `{}` is left as it was: apply \
                 the findings above by hand",
                var.name, var.name
            ))),
        }
    }
    Ok(out)
}

/// A decoded list written as the value of one top-level key, so that the chain reads it as a
/// config: YAML `KEY:` on a line of its own above the list (a block sequence may stand at the
/// key's indentation), JSON `{"KEY": ` before it on its first line and `}` after it.
struct Wrapped {
    text: String,
    key: &'static str,
    format: Format,
    prefix: String,
    suffix: &'static str,
}

impl Wrapped {
    fn new(list: &str, key: &'static str, format: Format) -> Option<Wrapped> {
        let (prefix, suffix) = match format {
            Format::Json => (format!("{{\"{key}\": "), "}"),
            _ => {
                // A directive or a document marker cannot follow a key.
                if list
                    .lines()
                    .any(|l| l.starts_with('%') || l.starts_with("---") || l.starts_with("..."))
                {
                    return None;
                }
                (format!("{key}:\n"), "")
            }
        };
        Some(Wrapped {
            text: format!("{prefix}{list}{suffix}"),
            key,
            format,
            prefix,
            suffix,
        })
    }

    /// The line of the decoded list a line of the wrapped config is.
    fn list_line(&self, line: usize) -> usize {
        match self.format {
            Format::Json => line,
            _ => line.saturating_sub(1).max(1),
        }
    }

    /// The migrated list, taken back out of the migrated config; `Err` says why it cannot be
    /// (the steps added a top-level option, or wrote the list differently).
    fn unwrap(&self, result: &Document) -> Result<String, String> {
        let root = result
            .root()
            .map(|r| result.resolve(r))
            .ok_or_else(|| "the migrated config is empty".to_owned())?;
        let entries = result.entries(root);
        let others: Vec<&str> = entries
            .iter()
            .map(|e| e.key)
            .filter(|k| *k != self.key)
            .collect();
        if !others.is_empty() {
            return Err(format!(
                "the migration also sets the top-level option(s) {}, which a route list \
                 cannot hold (set them as variables of their own)",
                others
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let list = result
            .top(self.key)
            .map(|e| result.value(e.value))
            .ok_or_else(|| "the migrated config has no route list".to_owned())?;
        let text = result.text();
        let inner = text
            .strip_prefix(self.prefix.as_str())
            .and_then(|t| t.strip_suffix(self.suffix))
            .ok_or_else(|| "the migrated list is written in another shape".to_owned())?;
        // Read back, the text must be the migrated list.
        let reread = Document::parse(inner.to_owned(), self.format)
            .map_err(|e| format!("the migrated list does not read back ({e})"))?;
        match reread.root() {
            Some(r) if reread.value(r) == list => Ok(inner.to_owned()),
            _ => Err("the migrated list does not read back as itself".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::StepOptions;
    use encoded::{Alphabet, Encoding};

    fn config() -> RunConfig<'static> {
        RunConfig {
            from: None,
            to: Some(Version::new(0, 33)),
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

    fn b64(text: &str, alphabet: Alphabet, padded: bool) -> String {
        encoded::encode(
            text.as_bytes(),
            &Encoding {
                alphabet,
                padded,
                wrap: None,
                crlf: false,
                final_newline: false,
            },
        )
    }

    fn run(name: &str, value: &str, from: u32) -> Migrated {
        let var = RouteList {
            name,
            value,
            from: Some(Version::new(0, from)),
            report_version: Version::new(0, 33),
            location: Location { line: 7, column: 7 },
        };
        migrate(&var, &Source::File("compose.yaml".into()), &config())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn decoded(value: &str) -> (String, Encoding) {
        let (bytes, encoding) = encoded::decode(value).unwrap_or_else(|e| panic!("{e}"));
        (String::from_utf8(bytes).unwrap_or_default(), encoding)
    }

    #[test]
    fn a_yaml_list_is_migrated_and_encoded_again() {
        let list = "# routes\n- from: https://a.example.com\n  to: http://a\n  \
                    allowed_users: [a@example.com]\n  set_request_headers:\n    X-Price: \"$5\"\n";
        let out = run("ROUTES", &b64(list, Alphabet::Standard, true), 22);
        let new = out
            .new_value
            .unwrap_or_else(|| panic!("{:?}", out.findings));
        let (text, encoding) = decoded(&new);
        assert!(encoding.is_standard());
        assert!(
            text.starts_with("# routes\n- from: https://a.example.com\n"),
            "{text}"
        );
        assert!(text.contains("X-Price: \"$$5\""), "{text}");
        // Every finding is on the variable's line and names the list's line.
        assert!(!out.findings.is_empty());
        for f in &out.findings {
            assert_eq!(f.location.map(|l| l.line), Some(7));
        }
        assert!(
            out.findings
                .iter()
                .any(|f| f.message.starts_with("`ROUTES` route list line 6: ")),
            "{:?}",
            out.findings
        );
        let view = out.view.unwrap_or_else(|| panic!("no decoded view"));
        let (before, after) = view.shown(false);
        let diff = crate::diff::unified(&before.text, &after.text, "decoded");
        assert!(diff.contains("+    X-Price: \"$$5\""), "{diff}");
    }

    #[test]
    fn json_stays_json_in_its_encoding() {
        // `?` runs make `_` in URL-safe base64 whatever their offset.
        let list = r#"[{"from":"https://a.example.com","to":"http://a/?a??b???","set_request_headers":{"X":"$1"}}]"#;
        let value = b64(list, Alphabet::UrlSafe, false);
        let (_, written) = decoded(&value);
        assert_eq!(
            (written.alphabet, written.padded),
            (Alphabet::UrlSafe, false)
        );
        let out = run("POLICY", &value, 22);
        let new = out
            .new_value
            .unwrap_or_else(|| panic!("{:?}", out.findings));
        let (text, encoding) = decoded(&new);
        assert_eq!(
            text,
            r#"[{"from":"https://a.example.com","to":"http://a/?a??b???","set_request_headers":{"X":"$$1"}}]"#
        );
        assert_eq!(encoding.alphabet, Alphabet::UrlSafe);
        assert_eq!(encoded::encode(text.as_bytes(), &written), new);
        assert!(!new.contains('='));
        // Pomerium could not read it as written: said.
        assert!(
            out.findings
                .iter()
                .any(|f| f.severity == Severity::ActionRequired && f.message.contains("URL-safe")),
            "{:?}",
            out.findings
        );
    }

    #[test]
    fn what_is_not_a_route_list_is_an_action_and_unknown_values_are_left() {
        for (value, says) in [
            ("not base64!".to_owned(), "must hold a base64-encoded"),
            (
                b64("from: https://a\n", Alphabet::Standard, true),
                "not a list of routes",
            ),
            (
                b64("[{\"from\": ", Alphabet::Standard, true),
                "does not parse as JSON",
            ),
        ] {
            let out = run("POLICY", &value, 20);
            assert!(out.new_value.is_none());
            assert!(
                out.findings
                    .iter()
                    .any(|f| f.severity == Severity::ActionRequired
                        && f.message.contains(says)
                        && f.location.map(|l| l.line) == Some(7)),
                "{says}: {:?}",
                out.findings
            );
        }
        let out = run("POLICY", "${POLICY_B64}", 20);
        assert!(out.new_value.is_none() && out.findings.is_empty());
        // Nothing to change: no new value, no view.
        let list = "- from: https://a.example.com\n  to: http://a\n";
        let out = run("ROUTES", &b64(list, Alphabet::Standard, true), 33);
        assert!(
            out.new_value.is_none() && out.view.is_none(),
            "{:?}",
            out.findings
        );
    }
}

//! Redaction in Kubernetes manifests: what the ordinary rule cannot see, because it is text
//! inside a scalar or in a Secret.
//!
//! - Every value under a Secret's `data` or `stringData` is hidden whole: a Secret holds
//!   credentials whatever its keys are called, and `data` is base64, which the key rules cannot
//!   read.
//! - A Pomerium config embedded in a ConfigMap or Secret as a literal block scalar is redacted
//!   inside by the ordinary rule ([`super::redact`] on the config itself), so that the diff of
//!   a migrated ConfigMap shows its changes and hides its secrets, as it would for the same
//!   config in a file of its own. An embedded config written any other way (base64, a quoted
//!   string) is hidden whole; the report shows its decoded diff, redacted the same way.

use std::ops::Range;

use crate::document::{Document, NodeId};
use crate::surface::embedded::{self, Layout};

use super::REDACTED;

/// Text replacements for the secrets of a manifest (empty for any other document), and the
/// secret values they hide (to scrub messages).
pub(super) fn replacements(doc: &Document) -> (Vec<(Range<usize>, String)>, Vec<String>) {
    let mut out = Vec::new();
    let mut secrets = Vec::new();
    let objects = embedded::objects(doc);
    if objects
        .iter()
        .all(|o| embedded::object_kind(doc, *o).is_none())
    {
        return (out, secrets);
    }
    let text = doc.text();
    let line_end = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut configs: Vec<NodeId> = Vec::new();
    for config in embedded::find(doc).configs {
        let span = doc.span(config.value);
        match config.layout {
            Layout::Block { indent, .. } => {
                let Ok(inner) = Document::parse(config.text.clone(), config.format) else {
                    continue;
                };
                let redacted = super::redact(&inner);
                secrets.extend(redacted.secrets);
                // The content starts on the line after the header and ends where the span does
                // (its last non-blank character).
                let Some(start) = text[span.clone()].find('\n').map(|n| span.start + n + 1) else {
                    continue;
                };
                let shown: Vec<String> = redacted
                    .text
                    .trim_end_matches(['\r', '\n'])
                    .lines()
                    .map(|l| {
                        if l.is_empty() {
                            String::new()
                        } else {
                            format!("{}{l}", " ".repeat(indent))
                        }
                    })
                    .collect();
                out.push((start..span.end, shown.join(line_end)));
            }
            Layout::Inline | Layout::Base64(_) => {
                secrets.push(config.text.clone());
                if let Some(written) = text.get(span.clone()) {
                    secrets.push(written.to_owned());
                }
                out.push((span, REDACTED.to_owned()));
            }
        }
        configs.push(config.value);
    }
    for object in objects {
        if embedded::object_kind(doc, object) != Some("Secret") {
            continue;
        }
        for field in ["data", "stringData"] {
            let Some(data) = doc.get(object, field) else {
                continue;
            };
            for entry in doc.entries(data.value) {
                let value = doc.resolve(entry.value);
                if configs.contains(&value) {
                    continue;
                }
                let span = doc.span(value);
                if span.start >= span.end {
                    continue;
                }
                if let Some(written) = doc.str(value) {
                    secrets.push(written.to_owned());
                }
                out.push((span, REDACTED.to_owned()));
            }
        }
    }
    (out, secrets)
}

#[cfg(test)]
mod tests {
    use crate::document::{Document, Format};

    fn redacted(text: &str) -> String {
        let doc = Document::parse(text.to_owned(), Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
        crate::redact::redact(&doc).text
    }

    #[test]
    fn secret_values_are_hidden_whole_and_embedded_configs_inside() {
        let text = "\
apiVersion: v1
kind: Secret
metadata:
  name: p
stringData:
  config.yaml: |
    authenticate_service_url: https://authenticate.example.com
    shared_secret: c2hhcmVkLXNlY3JldC12YWx1ZQ==
    routes:
      - from: https://a.example.com
        to: http://a
  cookie: Y29va2llLXNlY3JldC12YWx1ZQ==
data:
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t
";
        let shown = redacted(text);
        assert!(!shown.contains("c2hhcmVk"), "{shown}");
        assert!(!shown.contains("Y29va2ll"), "{shown}");
        assert!(!shown.contains("LS0tLS1"), "{shown}");
        assert!(
            shown.contains("    shared_secret: <redacted>\n")
                && shown
                    .contains("    authenticate_service_url: https://authenticate.example.com\n")
                && shown.contains("  cookie: <redacted>\n"),
            "{shown}"
        );
        // Lines stay lines: the diff of two such texts lines up.
        assert_eq!(shown.lines().count(), text.lines().count());
    }

    #[test]
    fn config_maps_keep_what_is_not_secret_and_configs_stay_untouched() {
        let text = "\
apiVersion: v1
kind: ConfigMap
data:
  config.yaml: |
    idp_provider: google
    idp_client_secret: very-secret-value
  other: plain
";
        let shown = redacted(text);
        assert!(shown.contains("idp_client_secret: <redacted>"), "{shown}");
        assert!(shown.contains("  other: plain\n"), "{shown}");
        // Not a manifest: the ordinary rule alone.
        let config = "kind: Secret\ndata:\n  a: b\n";
        assert_eq!(redacted(config), config);
    }
}

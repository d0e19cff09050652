//! Configs embedded in Kubernetes manifests: the lossless and verification guarantees on block
//! scalars inside ConfigMaps, alone or among other documents of a stream.
//!
//! For generated manifests (a ConfigMap whose `config.yaml` is a literal block scalar of any
//! chomping, indentation and indicator, with documents and comments around it), migrating the
//! embedded config must: change nothing outside the block scalar's content, keep its header
//! (`|`, chomping, indicator) and indentation, leave exactly the migrated config as the
//! scalar's value, and pass the engine's verification. The findings land inside the block.

use pomerium_migrate::document::{Document, Location};
use pomerium_migrate::runner::{RunConfig, Source};
use pomerium_migrate::step::StepOptions;
use pomerium_migrate::surface::embedded;
use pomerium_migrate::version::Version;
use proptest::prelude::*;

/// Lines of a Core config; the ones the chain changes between 0.19 and the newest release come
/// with ones it leaves alone.
const TOP_LINES: &[&str] = &[
    "authenticate_service_url: https://authenticate.example.com",
    "idp_provider: google",
    "idp_service_account: c2VydmljZS1hY2NvdW50",
    "pomerium_debug: true",
    "cookie_secure: true",
    "# a comment line",
    "timeout_read: 30s",
    "tracing_provider: jaeger",
];

const ROUTE_LINES: &[&str] = &[
    "    allowed_users: [a@example.com]",
    "    allowed_groups: [admins]",
    "    set_authorization_header: id_token",
    "    pass_identity_headers: true",
    "    set_request_headers:\n      X-Price: \"$5\"",
];

#[derive(Clone, Debug)]
struct Case {
    top: Vec<usize>,
    routes: Vec<Vec<usize>>,
    indent: usize,
    chomp: &'static str,
    explicit: bool,
    trailing_blank: bool,
    before: usize,
    after: usize,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0..TOP_LINES.len(), 1..6),
        prop::collection::vec(prop::collection::vec(0..ROUTE_LINES.len(), 0..3), 0..3),
        prop::sample::select(vec![2usize, 4, 6]),
        prop::sample::select(vec!["", "-", "+"]),
        any::<bool>(),
        any::<bool>(),
        0usize..3,
        0usize..3,
    )
        .prop_map(
            |(top, routes, indent, chomp, explicit, trailing_blank, before, after)| Case {
                top,
                routes,
                indent,
                chomp,
                explicit,
                trailing_blank,
                before,
                after,
            },
        )
}

/// The config text (keys once each) and the manifest holding it.
fn manifest(case: &Case) -> (String, String) {
    // A key only Core reads, so that the entry is recognised as a Core config.
    let mut lines: Vec<String> = vec!["idp_provider: google".to_owned()];
    let mut seen = vec![1];
    for &i in &case.top {
        if seen.contains(&i) && !TOP_LINES[i].starts_with('#') {
            continue;
        }
        seen.push(i);
        lines.push(TOP_LINES[i].to_owned());
    }
    if !case.routes.is_empty() {
        lines.push("routes:".to_owned());
        for (n, route) in case.routes.iter().enumerate() {
            lines.push(format!("  - from: https://r{n}.example.com"));
            lines.push(format!("    to: http://r{n}"));
            let mut used = Vec::new();
            for &i in route {
                if !used.contains(&i) {
                    used.push(i);
                    lines.push(ROUTE_LINES[i].to_owned());
                }
            }
        }
    }
    let config = format!("{}\n", lines.join("\n"));
    let pad = " ".repeat(case.indent + 2);
    let indicator = if case.explicit {
        (case.indent + 2 - 2).to_string()
    } else {
        String::new()
    };
    let mut text = String::new();
    for n in 0..case.before {
        text.push_str(&format!(
            "# document {n}\napiVersion: v1\nkind: Service\nmetadata:\n  name: s{n}\n---\n"
        ));
    }
    text.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pomerium\ndata:\n");
    text.push_str(&format!("  config.yaml: |{indicator}{}\n", case.chomp));
    for line in config.lines() {
        for part in line.split('\n') {
            text.push_str(&pad);
            text.push_str(part);
            text.push('\n');
        }
    }
    if case.trailing_blank {
        text.push('\n');
    }
    text.push_str("  other: kept as it is\n");
    for n in 0..case.after {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a{n}\n"
        ));
    }
    (config, text)
}

fn config() -> RunConfig<'static> {
    RunConfig {
        from: Some(Version::new(0, 19)),
        to: None,
        to_release: None,
        kind: None,
        surface: None,
        input_format: None,
        options: StepOptions::default(),
        output: None,
        steps: pomerium_migrate::migrations::STEPS,
        verify_each_step: false,
    }
}

/// The written text of the block scalar's content, from the line after its header to the end
/// of its last non-blank line.
fn block_bounds(doc: &Document, text: &str) -> (usize, usize) {
    let found = embedded::find(doc);
    let value = found.configs[0].value;
    let span = doc.span(value);
    let content = text[span.clone()]
        .find('\n')
        .map_or(span.end, |n| span.start + n + 1);
    (content, span.end)
}

/// Migrates the case's manifest and checks the guarantees; `Ok(true)` when the config changed.
fn check_case(case: &Case) -> Result<bool, TestCaseError> {
    let (_, text) = manifest(case);
    let doc = Document::parse_stream(text.clone())
        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let outcome = embedded::migrate(
        &doc,
        &Source::File("m.yaml".into()),
        None,
        Version::new(0, 33),
        &config(),
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(outcome.migrated.len(), 1, "{}", text);
    let migrated = &outcome.migrated[0];
    // Every finding is inside the block scalar's lines, or on its key's line (a finding
    // about the whole config).
    let (start, end) = block_bounds(&doc, &text);
    let first = text[..start].matches('\n').count();
    let last = text[..end].matches('\n').count() + 1;
    for f in &migrated.findings {
        let line = f.location.map_or(0, |l: Location| l.line);
        prop_assert!(
            first <= line && line <= last,
            "{:?} outside {}..={}",
            f,
            first,
            last
        );
    }
    let edits = outcome.edits();
    if !migrated.run.changed() {
        prop_assert!(edits.is_empty());
        return Ok(false);
    }
    let result = doc
        .apply(&edits)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let new = result.text();
    let again =
        Document::parse_stream(new.to_owned()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let (new_start, new_end) = block_bounds(&again, new);
    // Lossless around the block, everything after it too; the header keeps its style and
    // indentation indicator (the chomping indicator is the one the new text needs).
    let header_at = text[..start - 1].rfind('\n').map_or(0, |n| n + 1);
    prop_assert_eq!(&new[..header_at], &text[..header_at]);
    let unchomped = |h: &str| h.replace(['+', '-'], "");
    prop_assert_eq!(
        unchomped(&new[header_at..new_start]),
        unchomped(&text[header_at..start])
    );
    prop_assert_eq!(&new[new_end..], &text[end..]);
    // The same indentation on the first content line.
    let indent = |s: &str| s.len() - s.trim_start_matches(' ').len();
    prop_assert_eq!(indent(&new[new_start..]), indent(&text[start..]));
    // The scalar holds exactly the migrated config.
    let found = embedded::find(&again);
    prop_assert_eq!(found.configs.len(), 1);
    prop_assert_eq!(&found.configs[0].text, migrated.run.result().text());
    Ok(true)
}

#[test]
fn a_config_map_with_every_kind_of_change_keeps_its_layout() -> Result<(), TestCaseError> {
    let case = Case {
        top: vec![2, 3, 4, 5, 7],
        routes: vec![vec![1, 2, 4], vec![0]],
        indent: 4,
        chomp: "-",
        explicit: true,
        trailing_blank: true,
        before: 1,
        after: 1,
    };
    assert!(check_case(&case)?, "the generated config needs no change");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn block_scalars_are_rewritten_in_place(case in cases()) {
        check_case(&case)?;
    }
}

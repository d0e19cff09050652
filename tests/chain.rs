//! The chain as a whole: every removed key is handled, and a 0.10-era config reaches the newest
//! release (`migrations::NEWEST`) the same way in one run as release by release.
//!
//! `tests/fixtures/chain/core-0.10.yaml` holds the old config and `core-newest.yaml` the reviewed
//! result; `UPDATE_FIXTURES=1 cargo test --test chain` rewrites the result (review it before
//! committing).

use std::fs;
use std::path::Path;

use pomerium_migrate::detect;
use pomerium_migrate::document::{Document, Format};
use pomerium_migrate::keys;
use pomerium_migrate::migrations::STEPS;
use pomerium_migrate::runner::select_steps;
use pomerium_migrate::step::{FileKind, Finding, Scope, Severity, StepOptions, run_step};
use pomerium_migrate::version::Version;

const DIR: &str = "tests/fixtures/chain";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR).join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs every core step with `from < version <= to`, in registry order, as the commands do.
fn migrate(text: &str, from: Version, to: Version) -> (String, Vec<Finding>) {
    migrate_kind(text, FileKind::Core, from, to)
}

fn migrate_kind(text: &str, kind: FileKind, from: Version, to: Version) -> (String, Vec<Finding>) {
    let mut doc = Document::parse(text.to_owned(), Format::Yaml)
        .unwrap_or_else(|e| panic!("the config does not parse: {e}"));
    let options = StepOptions::default();
    let mut findings = Vec::new();
    for step in select_steps(STEPS, from, to, Some(kind)) {
        let outcome = run_step(step, &doc, kind, &options, None, None)
            .unwrap_or_else(|e| panic!("{} failed: {e}", step.qualified_id()));
        findings.extend(outcome.findings);
        if let Some(next) = outcome.document {
            doc = next;
        }
    }
    (doc.text().to_owned(), findings)
}

/// Every minor release from `from` to `to`.
fn releases(from: Version, to: Version) -> impl Iterator<Item = Version> {
    (from.minor..=to.minor).map(move |m| Version::new(from.major, m))
}

#[test]
fn every_removed_key_is_handled_in_time() {
    let mut missing = Vec::new();
    for key in keys::all() {
        let Some(last_seen) = key.last_seen else {
            continue;
        };
        // The first release without the key must already handle it, so a run to that release
        // leaves nothing behind that it no longer reads.
        let gone = Version::new(last_seen.major, last_seen.minor + 1);
        let handled = STEPS.iter().any(|s| {
            s.scope == Scope::Core
                && s.handles.contains(&key.key)
                && key.first_seen < s.version
                && s.version <= gone
        });
        if !handled {
            missing.push(format!(
                "`{}` (read {}..={}) is handled by no core step up to v{gone}",
                key.key, key.first_seen, last_seen
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_old_config_contradicts_itself_and_starts_at_the_oldest_release() {
    let text = fixture("core-0.10.yaml");
    let doc = Document::parse(text, Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let found = detect::detect(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.kind, FileKind::Core);
    // `cache_service_url` was last read by 0.10, `require_proxy_protocol` only by 0.13.
    assert!(found.contradictory, "{found:?}");
    assert_eq!(found.max_version, keys::OLDEST);
    assert!(
        found
            .max_evidence
            .iter()
            .any(|e| e.key == "cache_service_url")
    );
    assert_eq!(found.start_version(), keys::OLDEST);
    // `set_authorization_header` (0.17..=0.23) is the newest key: the whole span lies below
    // 0.23, so the `$` in a header value is certainly unescaped and no `--from` is needed.
    assert_eq!(found.span(), (keys::OLDEST, Version::new(0, 17)));
    assert!(detect::refuse_ambiguous_escaping(&doc, &found, keys::NEWEST).is_ok());
}

#[test]
fn one_run_and_release_by_release_agree() {
    let old = fixture("core-0.10.yaml");
    let (at_once, findings) = migrate(&old, keys::OLDEST, keys::NEWEST);

    let mut text = old.clone();
    let mut previous = keys::OLDEST;
    for to in releases(Version::new(0, 11), keys::NEWEST) {
        text = migrate(&text, previous, to).0;
        previous = to;
    }
    assert_eq!(
        text, at_once,
        "release by release differs from one run (left: stepwise, right: one run)"
    );

    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(DIR)
        .join("core-newest.yaml");
    if std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1") {
        fs::write(&expected_path, &at_once).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(at_once, fixture("core-newest.yaml"));

    // Nothing the newest release does not read is left, and the result is a file of the newest release.
    let doc = Document::parse(at_once.clone(), Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let unknown = detect::unknown_keys(&doc, FileKind::Core, keys::NEWEST);
    assert!(unknown.is_empty(), "{unknown:?}");
    let found = detect::detect(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !found.contradictory && found.max_version == keys::NEWEST,
        "{found:?}"
    );

    // Every step that reports did so at a place in the input.
    assert!(
        findings
            .iter()
            .filter(|f| f.severity == Severity::Changed)
            .all(|f| f.location.is_some())
    );
    // The escaping happened exactly once, in both runs (they are equal).
    assert!(at_once.contains("\"$$5\""), "{at_once}");

    // Idempotent from the escaping release on: a second run past 0.23 changes nothing.
    let (again, _) = migrate(&at_once, detect::ESCAPING_RELEASE, keys::NEWEST);
    assert_eq!(again, at_once);
}

#[test]
fn console_config_one_run_and_release_by_release_agree() {
    let old = fixture("console-0.14.yaml");
    let doc = Document::parse(old.clone(), Format::Yaml).unwrap_or_else(|e| panic!("{e}"));
    let found = detect::detect(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.kind, FileKind::Console);
    // `debug` (removed in 0.25) is the only console key with a known last release.
    assert_eq!(
        (found.min_version, found.max_version),
        (keys::OLDEST, Version::new(0, 24))
    );

    let from = Version::new(0, 14);
    let (at_once, findings) = migrate_kind(&old, FileKind::Console, from, keys::NEWEST);
    let mut text = old.clone();
    let mut previous = from;
    for to in releases(Version::new(0, 15), keys::NEWEST) {
        text = migrate_kind(&text, FileKind::Console, previous, to).0;
        previous = to;
    }
    assert_eq!(text, at_once);
    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(DIR)
        .join("console-newest.yaml");
    if std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1") {
        fs::write(&expected_path, &at_once).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(at_once, fixture("console-newest.yaml"));
    // The upgrade-order note of 0.32 reaches every console file.
    assert!(
        findings
            .iter()
            .any(|f| f.step == "console-first" && f.severity == Severity::Note)
    );
    // Nothing secret reaches a message.
    for f in &findings {
        assert!(
            !f.message.contains("not-real") && !f.message.contains("c2hhcmVk"),
            "{f:?}"
        );
    }
}

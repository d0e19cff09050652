//! Adding a release follows one path (`migrations/README.md`): the supported range is declared
//! once (`migrations::NEWEST`), every step has fixture cases, release modules share code only
//! through `migrations/common/`, and the README speaks of the same newest release.

use std::fs;
use std::path::{Path, PathBuf};

use pomerium_migrate::migrations::{NEWEST, OLDEST, STEPS};
use pomerium_migrate::version::Version;

mod common;

use common::repo;

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_step_has_a_fixture_folder_with_cases() {
    let mut missing = Vec::new();
    for step in STEPS {
        let dir = repo()
            .join("tests/fixtures/steps")
            .join(format!("v{}-{}", step.version, step.id));
        let cases = fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .count()
            })
            .unwrap_or(0);
        if cases == 0 {
            missing.push(dir.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "steps without fixture cases (see migrations/README.md):\n{}",
        missing.join("\n")
    );
}

/// The sections every step's doc (what `explain` prints) has, in this order: each starts a line
/// of the doc. `migrations/README.md` documents them.
const DOC_SECTIONS: &[&str] = &[
    "**What changed in Pomerium.**",
    "**Evidence.**",
    "**What the step does.**",
    "Before",
    "After",
];

/// The sections of [`DOC_SECTIONS`] that `doc` lacks or has out of order.
fn missing_doc_sections(doc: &str) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut lines = doc.lines().map(str::trim_start);
    for section in DOC_SECTIONS {
        if !lines.any(|line| line.starts_with(section)) {
            missing.push(*section);
            // Look for the next section from the start again: one missing section must not
            // hide the others.
            lines = doc.lines().map(str::trim_start);
        }
    }
    missing
}

#[test]
fn the_doc_check_finds_a_missing_or_misplaced_section() {
    let full = "# T\n\n**What changed in Pomerium.** a\n\n**Evidence.** b\n\n\
                **What the step does.** c\n\nBefore:\n\n```yaml\na: 1\n```\n\nAfter:\n";
    assert!(missing_doc_sections(full).is_empty());
    let no_evidence = full.replace("**Evidence.** b", "b");
    assert_eq!(missing_doc_sections(&no_evidence), ["**Evidence.**"]);
    let swapped = "**Evidence.** b\n**What changed in Pomerium.** a\n**What the step does.** c\n\
                   Before:\nAfter:\n";
    assert!(!missing_doc_sections(swapped).is_empty());
}

#[test]
fn every_step_doc_has_the_fixed_sections() {
    let lacking: Vec<String> = STEPS
        .iter()
        .filter_map(|step| {
            let missing = missing_doc_sections(step.doc);
            (!missing.is_empty())
                .then(|| format!("{}: {}", step.qualified_id(), missing.join(", ")))
        })
        .collect();
    assert!(
        lacking.is_empty(),
        "step docs without the fixed sections (see migrations/README.md):\n{}",
        lacking.join("\n")
    );
}

/// The `.rs` files of `migrations/`, release modules first.
fn migration_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![repo().join("migrations")];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn no_release_module_imports_another() {
    let mut found = Vec::new();
    for path in migration_sources() {
        let text = read(&path);
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains("super::v0_") || code.contains("migrations::v0_") {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
            if path.ends_with("mod.rs") || path.parent().is_some_and(|p| p.ends_with("common")) {
                continue;
            }
            if code.trim_start().starts_with("pub ") || code.contains("    pub static ") {
                found.push(format!(
                    "{}:{}: release modules keep items pub(crate) or private: {}",
                    path.display(),
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_supported_range_is_ordered_and_the_chain_fits_it() {
    assert!(OLDEST < NEWEST);
    let newest_step = STEPS.iter().map(|s| s.version).max();
    assert!(newest_step.is_some_and(|v| v <= NEWEST));
    assert_eq!(pomerium_migrate::runner::default_target(STEPS), NEWEST);
}

/// Every `0.N` written in `text`, with its line.
fn versions(text: &str) -> Vec<(usize, Version)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        for (i, _) in line.match_indices("0.") {
            let before = i.checked_sub(1).map(|b| bytes[b]);
            if before.is_some_and(|b| b.is_ascii_digit() || b == b'.') {
                continue;
            }
            let minor: String = line[i + 2..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(minor) = minor.parse::<u32>() {
                out.push((n + 1, Version::new(0, minor)));
            }
        }
    }
    out
}

#[test]
fn the_readme_speaks_of_the_newest_release() {
    let readme = read(&repo().join("README.md"));
    let newest = NEWEST.to_string();
    // The places that name the default target, the end of the range and the sample runs.
    let phrases = [
        format!("the newest version the tool knows ({newest})"),
        format!("the range is {OLDEST}–{newest}"),
        format!("-> {newest}: would change"),
        format!("Pomerium {newest} knows every key left"),
        format!("`{OLDEST}`/`{newest}` when nothing bounds them"),
    ];
    for phrase in &phrases {
        assert!(
            readme.contains(phrase.as_str()),
            "README.md does not say `{phrase}` (migrations::NEWEST is {newest})"
        );
    }
    // No Pomerium release newer than the newest one the tool knows.
    let newer: Vec<String> = versions(&readme)
        .into_iter()
        .filter(|(_, v)| *v > NEWEST && v.minor < 100)
        .map(|(line, v)| format!("README.md:{line}: {v}"))
        .collect();
    assert!(newer.is_empty(), "{}", newer.join("\n"));
}

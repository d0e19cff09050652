//! Property test of the step re-index (issue 11): after a batch of edits, the next document's
//! index — grafted from the previous one where the edits allow (`yaml::graft`) — is the index a
//! whole parse of the new text gives: every node, its data, kind, location, parent and span,
//! every entry span and dash, the line table and the indentation step. The final verification
//! of a grafted document still parses its text in full, and agrees.

// This test uses the generators, the planner and the printer of the shared models; the rest of
// them serves `yaml_properties_edits.rs`.
#[allow(dead_code)]
mod yaml_edit_model;
#[allow(dead_code)]
mod yaml_model;

use pomerium_migrate::document::{DataEdits, Document, Format};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use yaml_edit_model::*;
use yaml_model::*;

/// Whether the first batch was grafted rather than parsed in full, and whether a batch on a
/// document that gave up its index was, to show the property is not vacuous (see
/// [`grafting_is_exercised`]).
fn check(doc: &Doc, seeds: &[Seed]) -> Result<(bool, bool), TestCaseError> {
    let Rendered { text, recs } = render(doc);
    let parsed = Document::parse(text.clone(), Format::Yaml)
        .map_err(|e| TestCaseError::fail(format!("parse failed: {e}\n{text}")))?;
    let plans = plan(doc, seeds);
    let Some(edits) = plans
        .iter()
        .map(|p| to_edit(&parsed, p))
        .collect::<Option<Vec<_>>>()
    else {
        return Err(TestCaseError::fail(format!("no node for a plan\n{text}")));
    };
    if predicted_refusal(doc, &recs, &text, &plans).is_some() {
        return Ok((false, false));
    }
    let mut composed = DataEdits::default();
    let next = match parsed.apply_composed(&edits, &mut composed) {
        Ok(next) => next,
        // `yaml_properties_edits.rs` holds the engine to its refusals.
        Err(_) => return Ok((false, false)),
    };
    let full = Document::parse(next.text().to_owned(), Format::Yaml)
        .map_err(|e| TestCaseError::fail(format!("the result does not parse: {e}")))?;
    prop_assert_eq!(
        next.backend_dump_for_debug(),
        full.backend_dump_for_debug(),
        "grafted: {}\nplans: {:?}\n--- input\n{}\n--- output\n{}",
        next.is_grafted(),
        plans,
        text,
        next.text()
    );
    // `--per-step` (`Document::apply_indexed`) grafts the same index, after its own full
    // check; `Document::apply` grafts nothing and indexes the text in full when it is read.
    let per_step = parsed.apply_indexed(&edits).map_err(|e| {
        TestCaseError::fail(format!("apply failed where apply_composed did not: {e}"))
    })?;
    prop_assert_eq!(per_step.text(), next.text());
    prop_assert_eq!(per_step.is_grafted(), next.is_grafted());
    prop_assert_eq!(
        per_step.backend_dump_for_debug(),
        full.backend_dump_for_debug()
    );
    let plain = parsed.apply(&edits).map_err(|e| {
        TestCaseError::fail(format!("apply failed where apply_composed did not: {e}"))
    })?;
    prop_assert_eq!(plain.text(), next.text());
    prop_assert!(!plain.is_grafted());
    prop_assert_eq!(
        plain.backend_dump_for_debug(),
        full.backend_dump_for_debug()
    );
    let expected = composed.clone().expected_data(&parsed);
    prop_assert_eq!(next.verify(&expected), Ok(()));
    // The next step reads the grafted document: a second batch on it gives what the same batch
    // gives on a whole parse.
    let again: Vec<_> = plans.iter().filter_map(|p| to_edit(&next, p)).collect();
    let from_graft = next
        .apply_composed(&again, &mut DataEdits::default())
        .map(|d| d.text().to_owned());
    let from_full = full
        .apply_composed(&again, &mut DataEdits::default())
        .map(|d| d.text().to_owned());
    prop_assert_eq!(&from_graft, &from_full);
    let grafted = next.is_grafted();
    // A chain without `--per-step`: each intermediate document gives its index to the next
    // (`apply_composed_releasing`), the second batch consuming the first's grafted index and a
    // third the second's. Every index is still the one a whole parse gives, the chain's data
    // verifies at its end, and a document that gave up its index builds it again from its text.
    let mut current = next;
    let mut released = false;
    for round in 0..2 {
        let edits: Vec<_> = plans.iter().filter_map(|p| to_edit(&current, p)).collect();
        let Ok(after) = current.apply_composed_releasing(&edits, &mut composed) else {
            break;
        };
        if round == 0 {
            prop_assert_eq!(Ok(after.text().to_owned()), from_full.clone());
        }
        let whole = Document::parse(after.text().to_owned(), Format::Yaml)
            .map_err(|e| TestCaseError::fail(format!("the result does not parse: {e}")))?;
        prop_assert_eq!(
            after.backend_dump_for_debug(),
            whole.backend_dump_for_debug(),
            "round {}, grafted: {}\nplans: {:?}\n--- before\n{}\n--- after\n{}",
            round,
            after.is_grafted(),
            plans,
            current.text(),
            after.text()
        );
        let before = Document::parse(current.text().to_owned(), Format::Yaml)
            .map_err(|e| TestCaseError::fail(format!("the text does not parse: {e}")))?;
        prop_assert_eq!(
            current.backend_dump_for_debug(),
            before.backend_dump_for_debug()
        );
        released |= after.is_grafted();
        current = after;
    }
    prop_assert_eq!(current.verify(&composed.expected_data(&parsed)), Ok(()));
    Ok((grafted, released))
}

proptest! {
    #[test]
    fn a_grafted_index_is_the_index_of_a_whole_parse(
        doc in doc(),
        seeds in prop::collection::vec(seed(), 1..6),
    ) {
        check(&doc, &seeds)?;
    }

    #[test]
    fn a_grafted_index_after_item_edits_is_the_index_of_a_whole_parse(
        doc in doc(),
        seeds in prop::collection::vec(item_seed(), 2..8),
    ) {
        check(&doc, &seeds)?;
    }
}

/// The properties above hold trivially if nothing is grafted: most generated batches must be.
#[test]
fn grafting_is_exercised() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (doc(), prop::collection::vec(seed(), 1..6));
    let (mut grafted, mut released, mut total) = (0, 0, 0);
    for _ in 0..200 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (doc, seeds) = tree.current();
        total += 1;
        match check(&doc, &seeds) {
            Ok((first, owned)) => {
                grafted += usize::from(first);
                released += usize::from(owned);
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        grafted * 3 >= total,
        "only {grafted} of {total} batches were grafted"
    );
    assert!(
        released * 8 >= total,
        "only {released} of {total} chains grafted from a released index"
    );
}

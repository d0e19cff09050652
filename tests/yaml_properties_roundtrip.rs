//! Property test of the YAML engine's round trip (issue 2, "Tests"): a document generated from
//! the model in `yaml_model` means the model's data (yaml-rust2's loader reads it so), and parsing
//! it and applying no edit gives the input back byte for byte.

// This test uses only the generator and printer of the shared model; the rest of it serves
// `yaml_properties_edits.rs`.
#[allow(dead_code)]
mod yaml_model;

use pomerium_migrate::document::{Document, Format};
use proptest::prelude::*;

use yaml_model::*;

proptest! {
    #[test]
    fn no_edit_gives_the_input_back_byte_for_byte(doc in doc()) {
        let Rendered { text, .. } = render(&doc);
        prop_assert_eq!(load(&text), Ok(doc.data()), "the generator's text:\n{}", text);
        let parsed = Document::parse(text.clone(), Format::Yaml)
            .map_err(|e| TestCaseError::fail(format!("parse failed: {e}\n{text}")))?;
        prop_assert_eq!(parsed.text(), text.as_str());
        let same = parsed
            .apply(&[])
            .map_err(|e| TestCaseError::fail(format!("apply(no edits) failed: {e}\n{text}")))?;
        prop_assert_eq!(same.text(), text.as_str());
    }
}

//! The databroker's storage settings.

use crate::document::{Document, Location};

/// Where the file sets `databroker_storage_type: redis` (the value's location), if it does.
/// Redis storage was discouraged with external data in 0.18 and removed in 0.24.
pub(crate) fn redis_storage(doc: &Document) -> Option<Location> {
    let entry = doc.top("databroker_storage_type")?;
    let value = doc.str(entry.value)?;
    value
        .trim()
        .eq_ignore_ascii_case("redis")
        .then(|| doc.location(entry.value))
}

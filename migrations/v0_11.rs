//! Pomerium 0.11: the cache service became the databroker.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0110";

crate::step! {
    /// # `cache_service_url` is now `databroker_service_url`
    ///
    /// Pomerium 0.11 replaced the cache service by the databroker service. The option that
    /// points the other services at it was renamed with it; 0.11 no longer reads
    /// `cache_service_url`.
    ///
    /// **What the step does.** It renames the top-level key and keeps its value, quoting and
    /// comments. If the file already sets `databroker_service_url`, that entry wins: the old
    /// key is commented out (deleted with `--removed delete`), and when the two values differ
    /// an action asks you to check which address is right.
    ///
    /// Before:
    ///
    /// ```yaml
    /// cache_service_url: https://cache.internal:5443
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// databroker_service_url: https://cache.internal:5443
    /// ```
    pub(crate) static DATABROKER_SERVICE_URL = Step {
        version: Version::new(0, 11),
        id: "databroker-service-url",
        title: "Rename cache_service_url to databroker_service_url",
        scope: Scope::Core,
        handles: &["cache_service_url"],
        link: LINK,
        run: databroker_service_url,
    };
}

fn databroker_service_url(cx: &mut StepContext<'_>) {
    if let Some(root) = cx.doc.root() {
        common::rename_key(
            cx,
            root,
            None,
            "cache_service_url",
            "databroker_service_url",
            "the cache service became the databroker in 0.11",
        );
    }
}

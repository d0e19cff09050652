//! Pomerium 0.18: external data sources want Postgres storage.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0180";

crate::step! {
    /// # External data sources want Postgres, not Redis (Core)
    ///
    /// **What changed in Pomerium.** From 0.18 the Enterprise Console's external data sources
    /// (directory groups, device data, any custom feed) are stored in the databroker. With Redis as
    /// databroker storage this works poorly; Pomerium recommends Postgres
    /// (`databroker_storage_type: postgres` with a `postgres://` connection string). Redis storage
    /// is removed altogether in 0.24.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise 0.18.0: use Postgres for the
    /// external-data integration, Redis is deprecated for storage.
    ///
    /// **What the step does.** When the file sets `databroker_storage_type: redis` the step adds a
    /// note; it changes nothing (moving storage needs a database you create). The Console config
    /// has no storage setting of its own, so only Core files are checked.
    ///
    /// Before:
    ///
    /// ```yaml
    /// databroker_storage_type: redis
    /// ```
    ///
    /// After (unchanged; a note on `databroker_storage_type: redis`):
    ///
    /// ```yaml
    /// databroker_storage_type: redis
    /// ```
    pub(crate) static REDIS_WITH_EXTERNAL_DATA = Step {
        version: Version::new(0, 18),
        id: "redis-with-external-data",
        title: "Note that external data wants Postgres, not Redis, as databroker storage",
        scope: Scope::Core,
        handles: &["databroker_storage_type"],
        link: LINK,
        run: redis_with_external_data,
    };
}

fn redis_with_external_data(cx: &mut StepContext<'_>) {
    if let Some(at) = common::redis_storage(cx.doc) {
        cx.note(
            Some(at),
            "databroker storage is Redis: with the Enterprise Console's external data sources \
             use Postgres instead (`databroker_storage_type: postgres` and a `postgres://` \
             connection string); Redis storage is removed in 0.24",
        );
    }
}

//! Pomerium 0.28.

use super::common;
use crate::document::{Document, NodeId};
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0280";

/// The storage TLS options 0.28 removed. Pomerium only ever applied them to Redis storage.
const TLS_OPTIONS: &[&str] = &[
    "databroker_storage_ca_file",
    "databroker_storage_cert_file",
    "databroker_storage_key_file",
    "databroker_storage_tls_skip_verify",
];

crate::step! {
    /// # Storage TLS options and `grpc_client_dns_roundrobin` are removed
    ///
    /// **What changed in Pomerium.** Pomerium 0.28 removed `databroker_storage_ca_file`,
    /// `databroker_storage_cert_file`, `databroker_storage_key_file` and
    /// `databroker_storage_tls_skip_verify`, the TLS settings of the databroker's connection to its
    /// storage, and `grpc_client_dns_roundrobin`.
    ///
    /// The storage TLS options only ever applied to Redis storage. Up to 0.23 the databroker
    /// built a TLS configuration from them for Redis alone and handed Postgres nothing but the
    /// connection string (`internal/databroker/server.go`, v0.18.0 to v0.23.0); 0.24 removed
    /// Redis storage, and from then to 0.27 the options were still read (Pomerium checked that
    /// the files could be loaded) but had no effect (v0.24.0 to v0.27.0
    /// `internal/databroker/server.go`). Commit 6171c0959 (pomerium#5285, in v0.28.0) removed
    /// them as unused. `grpc_client_dns_roundrobin` went in commit 01d375f0b (pomerium#5308).
    /// So a Postgres connection keeps exactly the TLS behaviour it has today: whatever its
    /// connection string says.
    ///
    /// **Evidence.** v0.23.0 and v0.24.0 `internal/databroker/server.go` (`postgres.New` takes
    /// only the connection string; `redis.New` took `WithTLSConfig`); commit 6171c0959; commit
    /// 01d375f0b; v0.27.0 and v0.28.0 `config/options.go`.
    ///
    /// **What the step does.** It comments out the five keys (or deletes them with
    /// `--removed delete`) and says that the storage TLS options had no effect with Postgres.
    /// It gives no advice about the connection string, which already works: adding `sslmode`
    /// or certificate parameters to it would change a working connection. When the storage is
    /// still Redis, the message says the options belonged to that connection, which
    /// `v0.24/redis-storage-removed` asks you to replace.
    ///
    /// Before:
    ///
    /// ```yaml
    /// databroker_storage_type: postgres
    /// databroker_storage_connection_string: postgresql://pomerium:secret@db/pomerium?sslmode=disable
    /// databroker_storage_ca_file: /certs/db-ca.pem
    /// ```
    ///
    /// After (the connection string is untouched):
    ///
    /// ```yaml
    /// databroker_storage_type: postgres
    /// databroker_storage_connection_string: postgresql://pomerium:secret@db/pomerium?sslmode=disable
    /// # pomerium-migrate v0.28: removed; it never applied to Postgres storage
    /// # databroker_storage_ca_file: /certs/db-ca.pem
    /// ```
    pub(crate) static STORAGE_TLS = Step {
        version: Version::new(0, 28),
        id: "storage-tls",
        title: "Comment out the storage TLS options (Redis only) and grpc_client_dns_roundrobin",
        scope: Scope::Core,
        handles: &[
            "databroker_storage_ca_file",
            "databroker_storage_cert_file",
            "databroker_storage_key_file",
            "databroker_storage_tls_skip_verify",
            "grpc_client_dns_roundrobin",
        ],
        link: LINK,
        run: storage_tls,
    };
}

fn storage_tls(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let (note, why) = if uses_redis(doc, root) {
        (
            "removed; it applied to the Redis storage removed in 0.24",
            "Pomerium applied the storage TLS options to Redis storage only, which 0.24 \
             removed (see v0.24/redis-storage-removed), and 0.28 removed the options",
        )
    } else {
        (
            "removed; it never applied to Postgres storage",
            "Pomerium applied the storage TLS options to Redis storage only; with Postgres \
             they had no effect (the connection string alone sets its TLS), and 0.28 removed \
             them",
        )
    };
    for key in TLS_OPTIONS {
        common::retire_key(
            cx,
            root,
            key,
            &common::Retirement::verb_first(None, note, why),
        );
    }
    common::retire_key(
        cx,
        root,
        "grpc_client_dns_roundrobin",
        &common::Retirement::verb_first(
            None,
            "no longer read",
            "Pomerium 0.28 no longer reads this option",
        ),
    );
}

/// Whether the file still stores the databroker's data in Redis (removed in 0.24).
fn uses_redis(doc: &Document, root: NodeId) -> bool {
    doc.get(root, "databroker_storage_type")
        .and_then(|e| doc.str(doc.resolve(e.value)))
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("redis"))
}

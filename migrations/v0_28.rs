//! Pomerium 0.28: storage TLS is set in the connection string.

use super::common;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0280";

/// The storage TLS options and the connection-string parameter that replaces each.
const TLS_PARAMS: &[(&str, &str)] = &[
    ("databroker_storage_ca_file", "sslrootcert"),
    ("databroker_storage_cert_file", "sslcert"),
    ("databroker_storage_key_file", "sslkey"),
    ("databroker_storage_tls_skip_verify", "sslmode"),
];

crate::step! {
    /// # Storage TLS goes into the connection string
    ///
    /// Pomerium 0.28 removed the options that configured TLS for the databroker's storage
    /// connection: `databroker_storage_ca_file`, `databroker_storage_cert_file`,
    /// `databroker_storage_key_file` and `databroker_storage_tls_skip_verify`. TLS is now set in
    /// the connection string itself, with the parameters Postgres clients know: `sslrootcert`,
    /// `sslcert`, `sslkey` and `sslmode`. The same release removed `grpc_client_dns_roundrobin`.
    ///
    /// **What the step does.** It comments out the five keys. Because the connection string is
    /// a secret (it usually holds a password), the tool does not edit it: an action lists the
    /// parameters to append to `databroker_storage_connection_string`, with the file paths the
    /// old options named. `tls_skip_verify: true` maps to `sslmode=require` (encrypted, not
    /// verified); otherwise a CA file maps to `sslmode=verify-full`. When the storage is still
    /// Redis (removed in 0.24, see `v0.24/redis-storage-removed`), these are Postgres
    /// parameters, so the action says they belong to the Postgres connection that replaces it.
    ///
    /// Before:
    ///
    /// ```yaml
    /// databroker_storage_type: postgres
    /// databroker_storage_connection_string: postgresql://pomerium:secret@db:5432/pomerium
    /// databroker_storage_ca_file: /certs/db-ca.pem
    /// ```
    ///
    /// After (the connection string edited by hand, as the action says):
    ///
    /// ```yaml
    /// databroker_storage_type: postgres
    /// databroker_storage_connection_string: postgresql://pomerium:secret@db:5432/pomerium?sslmode=verify-full&sslrootcert=/certs/db-ca.pem
    /// # pomerium-migrate v0.28: set TLS in the connection string
    /// # databroker_storage_ca_file: /certs/db-ca.pem
    /// ```
    pub(crate) static STORAGE_TLS = Step {
        version: Version::new(0, 28),
        id: "storage-tls",
        title: "Comment out the storage TLS options (TLS goes in the connection string)",
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
    let mut params: Vec<String> = Vec::new();
    let mut skip_verify = false;
    let mut has_ca = false;
    let mut first = None;
    for (key, param) in TLS_PARAMS {
        let Some(entry) = common::retire_key(
            cx,
            root,
            key,
            &common::Retirement::verb_first(
                None,
                "set TLS in the connection string",
                "0.28 reads storage TLS settings from the connection string",
            ),
        ) else {
            continue;
        };
        first.get_or_insert(doc.entry_location(entry.id));
        let value = doc.value(entry.value);
        if *param == "sslmode" {
            skip_verify = common::as_bool(&value) == Some(true);
        } else if let Some(path) = value.as_str().filter(|p| !p.is_empty()) {
            has_ca |= *param == "sslrootcert";
            // File paths, not key material: safe to show.
            params.push(format!("{param}={path}"));
        }
    }
    if let Some(at) = first {
        if skip_verify {
            params.insert(0, "sslmode=require".to_owned());
        } else if has_ca {
            params.insert(0, "sslmode=verify-full".to_owned());
        }
        if !params.is_empty() && common::redis_storage(doc).is_some() {
            // The `ssl*` parameters are Postgres ones; a Redis URL does not take them, and
            // Redis storage is gone since 0.24 anyway.
            cx.action(
                Some(at),
                format!(
                    "these TLS options were for the Redis storage connection, and Redis storage \
                     was removed in 0.24: give the Postgres connection that replaces it its TLS \
                     settings in the query of `databroker_storage_connection_string` (`{}` if \
                     the Postgres server uses the same files)",
                    params.join("&")
                ),
            );
        } else if !params.is_empty() {
            cx.action(
                Some(at),
                format!(
                    "append `{}` to the query of `databroker_storage_connection_string` (after \
                     `?`, or `&` if it already has a query) so the storage connection keeps its \
                     TLS settings",
                    params.join("&")
                ),
            );
        }
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

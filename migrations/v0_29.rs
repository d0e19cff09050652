//! Pomerium 0.29: OpenTelemetry replaced OpenCensus; decision audit logging was removed.

use super::common;
use crate::document::Value;
use crate::step::{Scope, StepContext};
use crate::version::Version;

const LINK: &str = "https://www.pomerium.com/docs/deploy/upgrading#v0290";

/// The OpenCensus options that have no OpenTelemetry counterpart of the same shape.
const OPENCENSUS: &[&str] = &[
    "tracing_provider",
    "tracing_datadog_address",
    "tracing_jaeger_collector_endpoint",
    "tracing_jaeger_agent_endpoint",
    "tracing_zipkin_endpoint",
];

crate::step! {
    /// # Tracing moved from OpenCensus to OpenTelemetry
    ///
    /// **What changed in Pomerium.** Pomerium 0.29 replaced its OpenCensus tracing with
    /// OpenTelemetry. The `tracing_*` options
    /// are gone (v0.29.0 `config/options_check.go` refuses them at start-up); tracing is
    /// configured with the standard OpenTelemetry options instead: `otel_traces_exporter`
    /// (e.g. `otlp`), `otel_exporter_otlp_endpoint`, `otel_exporter_otlp_protocol`,
    /// `otel_traces_sampler_arg` and others (v0.29.0 `config/otelconfig/otelconfig.go`).
    ///
    /// Two defaults matter when carrying a configuration over:
    ///
    /// - The sampling rate. `tracing_sample_rate` defaulted to 0.0001, one request in ten
    ///   thousand (v0.28.0 `config/options.go`). `otel_traces_sampler_arg` has no default: when
    ///   it is unset, Envoy samples every request (v0.29.0 `config/envoyconfig/tracing.go` sets
    ///   `RandomSampling` only from it), so the default became 1.0.
    /// - The OTLP protocol. When `otel_exporter_otlp_protocol` is unset, Pomerium guesses from
    ///   the endpoint (v0.29.0 `pkg/telemetry/trace/client.go`,
    ///   `BestEffortProtocolFromOTLPEndpoint`): port 4317 means `grpc`, port 4318 means
    ///   `http/protobuf`, and any other endpoint `http/protobuf` unless its path suggests gRPC.
    ///
    /// **Evidence.** v0.28.0 `config/options.go` (`TracingSampleRate: 0.0001`); v0.29.0
    /// `config/options_check.go`, `config/otelconfig/otelconfig.go`,
    /// `config/envoyconfig/tracing.go` and `pkg/telemetry/trace/client.go`; the 0.29 upgrade
    /// guide ("Tracing Configuration").
    ///
    /// **What the step does.**
    /// - `tracing_sample_rate` is renamed `otel_traces_sampler_arg` (same meaning: the fraction
    ///   of requests traced).
    /// - When a `tracing_provider` was set and `tracing_sample_rate` was not, it adds
    ///   `otel_traces_sampler_arg: 0.0001`, the old default, so tracing keeps its volume instead
    ///   of jumping to every request.
    /// - `tracing_provider` and the provider addresses (`tracing_datadog_address`,
    ///   `tracing_jaeger_collector_endpoint`, `tracing_jaeger_agent_endpoint`,
    ///   `tracing_zipkin_endpoint`) are commented out. When a provider was set, an action
    ///   proposes the OpenTelemetry keys to set: an OTLP exporter pointed at a receiver that
    ///   speaks OTLP (an OpenTelemetry Collector, or the tracing backend's own OTLP endpoint),
    ///   and `otel_exporter_otlp_protocol: grpc` only for a gRPC receiver on a port other than
    ///   4317.
    ///
    /// Before:
    ///
    /// ```yaml
    /// tracing_provider: jaeger
    /// tracing_jaeger_collector_endpoint: http://jaeger:14268/api/traces
    /// ```
    ///
    /// After (the `otel_*` exporter and endpoint added by hand, as the action says):
    ///
    /// ```yaml
    /// # pomerium-migrate v0.29: OpenCensus tracing was replaced by OpenTelemetry
    /// # tracing_provider: jaeger
    /// otel_traces_sampler_arg: 0.0001
    /// # pomerium-migrate v0.29: OpenCensus tracing was replaced by OpenTelemetry
    /// # tracing_jaeger_collector_endpoint: http://jaeger:14268/api/traces
    /// otel_traces_exporter: otlp
    /// otel_exporter_otlp_endpoint: http://jaeger:4318
    /// ```
    pub(crate) static OPENTELEMETRY = Step {
        version: Version::new(0, 29),
        id: "opentelemetry",
        title: "Replace the OpenCensus tracing options by OpenTelemetry ones",
        scope: Scope::Core,
        handles: &[
            "tracing_sample_rate",
            "tracing_provider",
            "tracing_datadog_address",
            "tracing_jaeger_collector_endpoint",
            "tracing_jaeger_agent_endpoint",
            "tracing_zipkin_endpoint",
        ],
        link: LINK,
        run: opentelemetry,
    };
}

fn opentelemetry(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    common::rename_key(
        cx,
        root,
        None,
        "tracing_sample_rate",
        "otel_traces_sampler_arg",
        "OpenTelemetry's sampler argument replaced the OpenCensus sample rate in 0.29",
    );
    let mut provider: Option<(String, _)> = None;
    for key in OPENCENSUS {
        let Some(entry) = common::retire_key(
            cx,
            root,
            key,
            &common::Retirement::verb_first(
                None,
                "OpenCensus tracing was replaced by OpenTelemetry",
                "Pomerium 0.29 traces with OpenTelemetry (`otel_*` options)",
            ),
        ) else {
            continue;
        };
        if *key == "tracing_provider" {
            let name = doc.value(entry.value).scalar_text().unwrap_or_default();
            provider = Some((name, doc.entry_location(entry.id)));
        }
    }
    let Some((name, at)) = provider.filter(|(n, _)| !n.trim().is_empty()) else {
        return;
    };
    keep_sample_rate(cx, root);
    let receiver = match name.trim().to_ascii_lowercase().as_str() {
        "jaeger" => "Jaeger's OTLP receiver (port 4318 for HTTP, 4317 for gRPC)",
        "datadog" => "the Datadog Agent with OTLP ingestion enabled",
        "zipkin" => "an OpenTelemetry Collector that exports to Zipkin",
        _ => "an OTLP receiver, such as an OpenTelemetry Collector",
    };
    cx.action(
        Some(at),
        format!(
            "tracing was sent to `{name}` through OpenCensus, which 0.29 removed; to keep \
             tracing, set `otel_traces_exporter: otlp` and `otel_exporter_otlp_endpoint` to \
             {receiver}. Pomerium speaks `http/protobuf` unless the endpoint's port is 4317 \
             (then `grpc`): set `otel_exporter_otlp_protocol: grpc` only for a gRPC receiver \
             on another port"
        ),
    );
}

/// The sampling rate OpenCensus tracing used when `tracing_sample_rate` was not set (v0.28.0
/// `config/options.go`). OpenTelemetry's sampler argument has no default: all requests.
const OLD_DEFAULT_SAMPLE_RATE: &str = "0.0001";

/// Adds `otel_traces_sampler_arg: 0.0001` when tracing was on with the old default rate, so
/// the volume of traces stays the same.
fn keep_sample_rate(cx: &mut StepContext<'_>, root: crate::document::NodeId) {
    let doc = cx.doc;
    if doc.get(root, "tracing_sample_rate").is_some() {
        return;
    }
    if doc.get(root, "otel_traces_sampler_arg").is_some() {
        return;
    }
    let Some(provider) = doc.get(root, "tracing_provider") else {
        return;
    };
    let after = common::replacing_position(cx, provider.id, &[]);
    cx.insert(
        provider.id.map,
        Some(after),
        "otel_traces_sampler_arg",
        Value::Float(OLD_DEFAULT_SAMPLE_RATE.to_owned()),
    );
    cx.changed(
        Some(doc.entry_location(provider.id)),
        format!(
            "added `otel_traces_sampler_arg: {OLD_DEFAULT_SAMPLE_RATE}`: tracing used the \
             default rate {OLD_DEFAULT_SAMPLE_RATE} (one request in ten thousand), and without \
             a sampler argument 0.29 traces every request"
        ),
    );
}

crate::step! {
    /// # Decision audit logging was removed
    ///
    /// **What changed in Pomerium.** Pomerium 0.29 removed decision audit logging, and with it
    /// `audit_key`, the public key (`id` and base64 `data`) that encrypted the audit records.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise v0.29.0, "Removed Decision Audit
    /// Logging".
    ///
    /// **What the step does.** It comments out `audit_key` (the whole block, including its
    /// `data`) and adds an action: the records are no longer produced, so whatever consumed them
    /// needs another source, such as the authorize log (`authorize_log_fields`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// audit_key:
    ///   id: audit-2023
    ///   data: LS0tLS1CRUdJTi…
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.29: decision audit logging was removed
    /// # audit_key:
    /// #   id: audit-2023
    /// #   data: LS0tLS1CRUdJTi…
    /// ```
    pub(crate) static AUDIT_KEY = Step {
        version: Version::new(0, 29),
        id: "audit-key",
        title: "Comment out audit_key (decision audit logging was removed)",
        scope: Scope::Core,
        handles: &["audit_key", "data"],
        link: LINK,
        run: audit_key,
    };
}

fn audit_key(cx: &mut StepContext<'_>) {
    let Some(root) = cx.doc.root() else {
        return;
    };
    if let Some(entry) = common::retire_key(
        cx,
        root,
        "audit_key",
        &common::Retirement::verb_first(
            None,
            "decision audit logging was removed",
            "Pomerium 0.29 removed decision audit logging",
        ),
    ) {
        cx.action(
            Some(cx.doc.entry_location(entry.id)),
            "decision audit records are no longer produced from 0.29: move whatever consumed them \
             to the authorize log (`authorize_log_fields`), and retire the audit key pair",
        );
    }
}

crate::step! {
    /// # Console: tracing options are dropped
    ///
    /// **What changed in Pomerium.** With the move to OpenTelemetry in 0.29, the Enterprise Console
    /// no longer reads its OpenCensus tracing options (`tracing-provider`, `tracing-sample-rate`,
    /// the provider addresses); it drops them on upgrade.
    ///
    /// **Evidence.** The upgrade guide (pomerium/documentation
    /// `content/docs/deploy/upgrading.mdx`), Pomerium Enterprise v0.29.0, "Tracing Configuration":
    /// OpenCensus tracing options are removed on upgrade.
    ///
    /// **What the step does.** It comments out every top-level console key that starts with
    /// `tracing-` (or `tracing_`).
    ///
    /// Before:
    ///
    /// ```yaml
    /// tracing-provider: zipkin
    /// tracing-zipkin-endpoint: http://zipkin:9411/api/v2/spans
    /// ```
    ///
    /// After:
    ///
    /// ```yaml
    /// # pomerium-migrate v0.29: the Console dropped OpenCensus tracing
    /// # tracing-provider: zipkin
    /// # pomerium-migrate v0.29: the Console dropped OpenCensus tracing
    /// # tracing-zipkin-endpoint: http://zipkin:9411/api/v2/spans
    /// ```
    pub(crate) static CONSOLE_TRACING = Step {
        version: Version::new(0, 29),
        id: "console-tracing",
        title: "Comment out the Console's OpenCensus tracing options",
        scope: Scope::Console,
        handles: &[
            "tracing-provider",
            "tracing-sample-rate",
            "tracing-datadog-address",
            "tracing-jaeger-collector-endpoint",
            "tracing-jaeger-agent-endpoint",
            "tracing-zipkin-endpoint",
        ],
        link: LINK,
        run: console_tracing,
    };
}

fn console_tracing(cx: &mut StepContext<'_>) {
    let doc = cx.doc;
    let Some(root) = doc.root() else {
        return;
    };
    let keys: Vec<String> = doc
        .entries(root)
        .iter()
        .filter(|e| e.key.replace('-', "_").starts_with("tracing_"))
        .map(|e| e.key.to_owned())
        .collect();
    for key in keys {
        common::retire_key(
            cx,
            root,
            &key,
            &common::Retirement::verb_first(
                None,
                "the Console dropped OpenCensus tracing",
                "the Enterprise Console no longer reads OpenCensus tracing options from 0.29",
            ),
        );
    }
}

/*
 * The instrument kind behind every METRIC_* name of @sipfleet/telemetry (semconv.ts documents
 * it in prose), and the names Prometheus shows for it. Dashboards query the Prometheus names, so
 * this is where a renamed or re-kinded metric meets them.
 */

export type InstrumentKind = "counter" | "updowncounter" | "histogram" | "gauge";

export interface MetricKind {
  readonly kind: InstrumentKind;
  /** The unit the instrument is created with (Prometheus names carry none: checked by the tests). */
  readonly unit?: string;
  /** Registered by startMetrics itself (runtime-metrics.ts) rather than by a service. */
  readonly runtime?: true;
}

/** Keyed by the export's name in @sipfleet/telemetry, so that a new METRIC_* export must be added. */
export const METRIC_KINDS: Readonly<Record<string, MetricKind>> = {
  METRIC_EDGE_REQUESTS: { kind: "counter" },
  METRIC_EDGE_RESPONSES: { kind: "counter" },
  METRIC_EDGE_RETRANSMISSIONS: { kind: "counter" },
  METRIC_EDGE_TRANSACTION_DURATION: { kind: "histogram", unit: "s" },
  METRIC_EDGE_TRANSACTIONS_ACTIVE: { kind: "updowncounter" },
  METRIC_EDGE_DIALOGS_ACTIVE: { kind: "updowncounter" },
  METRIC_EDGE_CALLS_ATTEMPTED: { kind: "counter" },
  METRIC_EDGE_CALLS_ANSWERED: { kind: "counter" },
  METRIC_EDGE_DECISION_DURATION: { kind: "histogram", unit: "s" },
  METRIC_EDGE_DECISIONS_PENDING: { kind: "gauge" },
  METRIC_EDGE_CONNECTIONS_ACTIVE: { kind: "updowncounter" },
  METRIC_EDGE_RATE_LIMITED: { kind: "counter" },
  METRIC_EDGE_BANS: { kind: "counter" },
  METRIC_EDGE_BANNED_DROPS: { kind: "counter" },
  METRIC_PROXY_DECISIONS: { kind: "counter" },
  METRIC_PROXY_DECISION_DURATION: { kind: "histogram", unit: "s" },
  METRIC_REGISTRAR_REGISTERS: { kind: "counter" },
  METRIC_REGISTRAR_REGISTER_DURATION: { kind: "histogram", unit: "s" },
  METRIC_LOCATION_OPERATIONS: { kind: "counter" },
  METRIC_LOCATION_OPERATION_DURATION: { kind: "histogram", unit: "s" },
  METRIC_LOCATION_AORS: { kind: "gauge" },
  METRIC_NATS_ERRORS: { kind: "counter" },
  METRIC_GRPC_ERRORS: { kind: "counter" },
  METRIC_EVENTLOOP_DELAY_P50: { kind: "gauge", unit: "s", runtime: true },
  METRIC_EVENTLOOP_DELAY_P99: { kind: "gauge", unit: "s", runtime: true },
  METRIC_EVENTLOOP_DELAY_MAX: { kind: "gauge", unit: "s", runtime: true },
  METRIC_PROCESS_CPU_TIME: { kind: "counter", unit: "s", runtime: true },
  METRIC_PROCESS_MEMORY: { kind: "gauge", unit: "By", runtime: true },
};

/** Series names every OpenTelemetry resource exposes besides its instruments. */
export const RESOURCE_SERIES: readonly string[] = ["target_info"];

/** The OpenTelemetry name as Prometheus shows it: dots (and other non-name characters) to `_`. */
export function prometheusBaseName(otelName: string): string {
  return otelName.replace(/[^A-Za-z0-9_:]/g, "_");
}

/** Every series name a metric of this kind appears under on /metrics (no unit suffix). */
export function prometheusSeriesNames(otelName: string, kind: InstrumentKind): string[] {
  const base = prometheusBaseName(otelName);
  switch (kind) {
    case "counter":
      return [base + "_total"];
    case "histogram":
      return [base + "_bucket", base + "_sum", base + "_count"];
    case "updowncounter":
    case "gauge":
      return [base];
  }
}

/** Attribute names as Prometheus labels. */
export function prometheusLabelName(attribute: string): string {
  return attribute.replace(/[^A-Za-z0-9_]/g, "_");
}

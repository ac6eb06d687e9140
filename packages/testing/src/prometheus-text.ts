/*
 * The Prometheus text exposition format (version 0.0.4), read back for tests: what a process
 * serves on /metrics, as samples a test can sum and compare. Only what Sipfleet's exporter writes
 * matters here: `name{label="value",...} value [timestamp]`, # comments, escaped label values.
 */

export interface PrometheusSample {
  /** The sample's name as served: `sipfleet_edge_requests_total`, `..._bucket`, `..._count`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** NaN, +Inf and -Inf as numbers. */
  readonly value: number;
}

/** Every sample of a /metrics body, in order. Throws on a line that is not a sample or a comment. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const out: PrometheusSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    out.push(parseSampleLine(line));
  }
  return out;
}

function parseSampleLine(line: string): PrometheusSample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
  if (name === undefined) throw new Error(`prometheus text: not a sample: ${line}`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    for (;;) {
      while (line[i] === " " || line[i] === ",") i++;
      if (line[i] === "}") {
        i++;
        break;
      }
      const label = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
      if (label === undefined || line[i + label.length] !== "=" || line[i + label.length + 1] !== '"') {
        throw new Error(`prometheus text: bad label at ${i}: ${line}`);
      }
      i += label.length + 2;
      let value = "";
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\") {
          i++;
          value += line[i] === "n" ? "\n" : line[i];
        } else value += line[i];
      }
      if (i >= line.length) throw new Error(`prometheus text: unterminated label value: ${line}`);
      i++;
      labels[label] = value;
    }
  }
  const fields = line.slice(i).trim().split(/\s+/);
  const value = parseValue(fields[0] ?? "");
  if (value === undefined) throw new Error(`prometheus text: bad value: ${line}`);
  return { name, labels, value };
}

function parseValue(s: string): number | undefined {
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const n = Number(s);
  return s === "" || Number.isNaN(n) ? undefined : n;
}

/**
 * The sum of the samples named `name` whose labels include every pair of `labels` (label names in
 * their OpenTelemetry form are accepted: `sip.method` matches `sip_method`). 0 when none match.
 */
export function sumSamples(samples: readonly PrometheusSample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => [prometheusLabel(k), v] as const);
  let sum = 0;
  for (const s of samples) {
    if (s.name === name && wanted.every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Whether any sample is named `name`. */
export function hasSample(samples: readonly PrometheusSample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

/*
 * OpenTelemetry names as the Prometheus exporter writes them: dots (and anything else outside
 * [a-zA-Z0-9_:]) become underscores, counters end in _total, histograms are read through _count
 * (and _sum, _bucket); no unit suffix.
 */

/** `sipfleet.edge.requests` -> `sipfleet_edge_requests_total`. */
export function prometheusCounter(otelName: string): string {
  const base = prometheusBase(otelName);
  return base.endsWith("_total") ? base : base + "_total";
}

/** `nodejs.eventloop.delay.p99` -> `nodejs_eventloop_delay_p99` (gauges and up-down counters). */
export function prometheusGauge(otelName: string): string {
  return prometheusBase(otelName);
}

/** `sipfleet.edge.transaction.duration` -> `sipfleet_edge_transaction_duration_count`. */
export function prometheusHistogramCount(otelName: string): string {
  return prometheusBase(otelName) + "_count";
}

/** `sip.status_class` -> `sip_status_class`. */
export function prometheusLabel(otelName: string): string {
  return otelName.replace(/[^a-zA-Z0-9_]/g, "_");
}

function prometheusBase(otelName: string): string {
  return otelName.replace(/[^a-zA-Z0-9_:]/g, "_");
}

/** GET `http://<address>/metrics`, parsed. Throws on a status other than 200. */
export async function scrapeMetrics(address: string): Promise<PrometheusSample[]> {
  const res = await fetch(`http://${address}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET http://${address}/metrics: ${res.status} ${text.slice(0, 200)}`);
  return parsePrometheusText(text);
}

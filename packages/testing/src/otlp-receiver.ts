import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/*
 * An OTLP/HTTP trace receiver for end-to-end tests: what a collector would take from Sipfleet's
 * processes (OTEL_EXPORTER_OTLP_ENDPOINT=<endpoint>, OTEL_EXPORTER_OTLP_PROTOCOL=http/json), kept
 * in memory as flat spans a test can search. JSON only: the protobuf encoding is answered 415, so
 * a process exporting it shows up as `rejected` instead of as silently missing spans.
 */

/** OTLP span kinds by their wire number (SPAN_KIND_UNSPECIFIED is 0). */
export type ReceivedSpanKind = "UNSPECIFIED" | "INTERNAL" | "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";
const KINDS: readonly ReceivedSpanKind[] = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];

/** An attribute value as a plain value: strings, numbers (OTLP's intValue may come as a string), booleans, arrays. */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };

export interface ReceivedEvent {
  readonly name: string;
  readonly attributes: Readonly<Record<string, PlainValue>>;
}

export interface ReceivedSpan {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: ReceivedSpanKind;
  /** The resource's service.name: which process exported it. */
  readonly serviceName: string;
  readonly attributes: Readonly<Record<string, PlainValue>>;
  readonly events: readonly ReceivedEvent[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:<port>` (exporters add /v1/traces). */
  readonly endpoint: string;
  /** Every span received so far, in arrival order. */
  spans(): readonly ReceivedSpan[];
  /**
   * Resolves with the spans once `predicate` holds for them (checked at each export and at the
   * start); rejects after `timeoutMs` with what was received, for the test's message.
   */
  waitFor(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<readonly ReceivedSpan[]>;
  /** Exports refused (a content type other than JSON, a body that did not parse): for a failing test's message. */
  rejected(): readonly string[];
  stop(): Promise<void>;
}

export const DEFAULT_WAIT_FOR_MS = 10_000;

/** Starts the receiver on a free loopback port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== "/v1/traces") {
      answer(res, 404, { error: "only POST /v1/traces" });
      return;
    }
    readBody(req)
      .then((body) => {
        const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
        if (type !== "application/json") {
          rejected.push(`content-type ${type || "(none)"} (${body.length} bytes): set OTEL_EXPORTER_OTLP_PROTOCOL=http/json`);
          answer(res, 415, { error: "only application/json" });
          return;
        }
        let spans: ReceivedSpan[];
        try {
          spans = flattenExport(JSON.parse(body.toString("utf8")) as unknown);
        } catch (e) {
          rejected.push(`unparsable export: ${(e as Error).message}`);
          answer(res, 400, { error: "bad request" });
          return;
        }
        received.push(...spans);
        answer(res, 200, {});
        for (const wake of [...waiters]) wake();
      })
      .catch((e: unknown) => {
        rejected.push(`unreadable export: ${(e as Error).message}`);
        if (!res.headersSent) answer(res, 400, { error: "bad request" });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => received.slice(),
    rejected: () => rejected.slice(),
    waitFor(predicate, timeoutMs = DEFAULT_WAIT_FOR_MS) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          let holds: boolean;
          try {
            holds = predicate(received);
          } catch (e) {
            done();
            reject(e as Error);
            return;
          }
          if (!holds) return;
          done();
          resolve(received.slice());
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`OTLP receiver: the expected spans did not arrive within ${timeoutMs} ms; ${describeSpans(received)}${rejected.length > 0 ? `\nrejected exports: ${rejected.join("; ")}` : ""}`));
        }, timeoutMs);
        const wake = (): void => check();
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
        check();
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One line per trace, its spans as `service/name(kind)`: the message of a failed wait. */
export function describeSpans(spans: readonly ReceivedSpan[], limit = 40): string {
  const traces = new Map<string, ReceivedSpan[]>();
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
  const lines = [...traces].slice(-limit).map(([id, ss]) => `  ${id}: ${ss.map((s) => `${s.serviceName}/${s.name}(${s.kind})`).join(", ")}`);
  return `${spans.length} span(s) in ${traces.size} trace(s)${lines.length > 0 ? `:\n${lines.join("\n")}` : ""}`;
}

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
}

// ---- OTLP JSON (ExportTraceServiceRequest) to flat spans -----------------------------------

interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
  bytesValue?: string;
}
interface JsonSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  attributes?: JsonKeyValue[];
  events?: { name?: string; attributes?: JsonKeyValue[] }[];
  status?: { code?: number };
}
interface JsonExport {
  resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
}

/** The spans of one OTLP/JSON trace export, each with its resource's service.name. */
export function flattenExport(body: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of (body as JsonExport).resourceSpans ?? []) {
    const serviceName = String(plainAttributes(rs.resource?.attributes)["service.name"] ?? "");
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hexId(s.traceId),
          spanId: hexId(s.spanId),
          parentSpanId: hexId(s.parentSpanId),
          name: s.name ?? "",
          kind: KINDS[s.kind ?? 0] ?? "UNSPECIFIED",
          serviceName,
          attributes: plainAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name ?? "", attributes: plainAttributes(e.attributes) })),
          statusCode: s.status?.code ?? 0,
        });
      }
    }
  }
  return out;
}

/** JSON OTLP carries ids as hex; a base64 id (the protobuf JSON mapping) is turned into hex too. */
function hexId(id: string | undefined): string {
  if (id === undefined || id === "") return "";
  if (/^[0-9a-fA-F]+$/.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, "base64").toString("hex");
}

function plainAttributes(kvs: readonly JsonKeyValue[] | undefined): Record<string, PlainValue> {
  const out: Record<string, PlainValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = plainValue(kv.value);
  return out;
}

function plainValue(v: JsonAnyValue | undefined): PlainValue {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plainValue);
  if (v.kvlistValue !== undefined) return plainAttributes(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

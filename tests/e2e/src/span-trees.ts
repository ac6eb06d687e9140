// Finding a shape of spans among what an OTLP receiver took: "this span, with that one as its
// child in another process, and a Redis command under that", with parent links checked by id.
import type { ReceivedSpan, ReceivedSpanKind } from "@sipfleet/testing";

/** What one span of the shape must be. */
export interface SpanStep {
  /** For the failure message: `edge SIP INVITE (server)`. */
  readonly label: string;
  readonly service: string;
  /** Exact span name, or a test of it (Redis spans are named after the command). */
  readonly name: string | ((name: string) => boolean);
  readonly kind?: ReceivedSpanKind;
  /** Index of the step that must be this span's parent; "root" for no parent; omitted: any. */
  readonly parent?: number | "root";
  readonly where?: (span: ReceivedSpan) => boolean;
}

export interface TreeSearch {
  /** One span per step, when the whole shape was found. */
  readonly found: readonly ReceivedSpan[] | undefined;
  /** The steps of the longest partial match, for a message saying which link is missing. */
  readonly matchedLabels: readonly string[];
  readonly missingLabel: string | undefined;
}

/**
 * Looks for spans matching every step, all in one trace, each step's parent being the span chosen
 * for the step it names (steps name only earlier steps). Backtracks over candidates: a trace with
 * two INVITE transactions (a 407 and the retry) matches through whichever one completes.
 */
export function findSpanTree(spans: readonly ReceivedSpan[], steps: readonly SpanStep[]): TreeSearch {
  let best: ReceivedSpan[] = [];
  const chosen: ReceivedSpan[] = [];
  const matches = (s: ReceivedSpan, step: SpanStep): boolean => {
    if (s.serviceName !== step.service) return false;
    if (typeof step.name === "string" ? s.name !== step.name : !step.name(s.name)) return false;
    if (step.kind !== undefined && s.kind !== step.kind) return false;
    if (chosen.length > 0 && s.traceId !== chosen[0]!.traceId) return false;
    if (step.parent === "root" && s.parentSpanId !== "") return false;
    if (typeof step.parent === "number" && s.parentSpanId !== chosen[step.parent]!.spanId) return false;
    if (chosen.includes(s)) return false;
    return step.where === undefined || step.where(s);
  };
  const search = (i: number): boolean => {
    if (chosen.length > best.length) best = chosen.slice();
    if (i === steps.length) return true;
    for (const s of spans) {
      if (!matches(s, steps[i]!)) continue;
      chosen.push(s);
      if (search(i + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  const complete = search(0);
  return {
    found: complete ? chosen.slice() : undefined,
    matchedLabels: (complete ? chosen : best).map((_, i) => steps[i]!.label),
    missingLabel: complete ? undefined : steps[best.length]?.label,
  };
}

/** Spans of one trace. */
export function spansOfTrace(spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === traceId);
}

/** A Redis command span of the ioredis instrumentation (old or stable database semantic conventions). */
export function isRedisSpan(s: ReceivedSpan): boolean {
  return s.attributes["db.system"] === "redis" || s.attributes["db.system.name"] === "redis";
}

/** The message of a shape not found: what matched, what is missing, what arrived. */
export function describeSearch(search: TreeSearch, arrived: string): string {
  return `span tree incomplete: matched [${search.matchedLabels.join(" -> ")}], missing ${search.missingLabel ?? "nothing"}\n${arrived}`;
}

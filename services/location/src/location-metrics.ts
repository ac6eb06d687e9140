import type { Counter, Histogram, Meter, ObservableResult } from "@opentelemetry/api";
import { status } from "@grpc/grpc-js";
import { AttributesByOutcome, type LocationOp } from "@sipfleet/location-client/location-ops";
import { ATTR_OUTCOME, METRIC_LOCATION_AORS, METRIC_LOCATION_OPERATION_DURATION, METRIC_LOCATION_OPERATIONS, NOOP_METER } from "@sipfleet/telemetry";

/** The outcome attribute of a failed operation, from its gRPC status. */
function outcomeOf(code: number): string {
  if (code === status.INVALID_ARGUMENT) return "invalid_argument";
  if (code === status.UNAVAILABLE) return "unavailable";
  if (code === status.UNIMPLEMENTED) return "unimplemented";
  return "internal";
}

/**
 * The location service's instruments: METRIC_LOCATION_OPERATIONS {sipfleet.location.op, outcome}
 * and METRIC_LOCATION_OPERATION_DURATION {sipfleet.location.op}, for every operation however it
 * arrived (unary or Exchange). Attribute objects are made once per op and outcome.
 */
export class LocationMetrics {
  private readonly operations: Counter;
  private readonly duration: Histogram;
  private readonly outcomes = new AttributesByOutcome(ATTR_OUTCOME);

  private constructor(meter: Meter) {
    this.operations = meter.createCounter(METRIC_LOCATION_OPERATIONS, { description: "Location operations handled, by operation and outcome" });
    this.duration = meter.createHistogram(METRIC_LOCATION_OPERATION_DURATION, { description: "Time to handle a location operation, store included", unit: "s" });
  }

  /** Undefined for the no-op meter: the operations then take no timestamps at all. */
  static create(meter: Meter): LocationMetrics | undefined {
    return meter === NOOP_METER ? undefined : new LocationMetrics(meter);
  }

  /** `startMs`: performance.now() when the operation began; `code`: its gRPC status, undefined when it succeeded. */
  done(op: LocationOp, startMs: number, code?: number): void {
    try {
      this.operations.add(1, this.outcomes.of(op, code === undefined ? "ok" : outcomeOf(code)));
      this.duration.record((performance.now() - startMs) / 1000, op.opAttributes);
    } catch {
      // Telemetry never throws into the call path.
    }
  }
}

export interface AorGaugeOptions {
  /** At most one count per this many ms; collections in between see the last count. */
  refreshMs: number;
  now: () => number;
}

export const DEFAULT_AOR_GAUGE_OPTIONS: AorGaugeOptions = { refreshMs: 30_000, now: Date.now };

/**
 * METRIC_LOCATION_AORS: addresses of record with live bindings, counted by `count` (a SCAN of
 * the index keys: O(keys), so throttled to one per refreshMs and shared by concurrent
 * collections). A collection that finds the count stale waits for a fresh one; a failed count
 * keeps the last value (none before the first success). Returns the unregister function.
 */
export function registerAorGauge(meter: Meter, count: () => Promise<number>, options: Partial<AorGaugeOptions> = {}): () => void {
  const o = { ...DEFAULT_AOR_GAUGE_OPTIONS, ...options };
  const gauge = meter.createObservableGauge(METRIC_LOCATION_AORS, { description: "Addresses of record with live bindings (counted periodically)" });
  let last: number | undefined;
  let countedAt = -Infinity;
  let counting: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (counting ??= count()
      .then(
        (n) => {
          last = n;
        },
        () => undefined,
      )
      .finally(() => {
        countedAt = o.now();
        counting = undefined;
      }));
  const observe = async (result: ObservableResult): Promise<void> => {
    if (o.now() - countedAt >= o.refreshMs) await refresh();
    if (last !== undefined) result.observe(last);
  };
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}

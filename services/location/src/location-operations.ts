import { status } from "@grpc/grpc-js";
import { InvalidCallSlotsError, InvalidSaveError, type BindingStore, type CallSlotStore } from "@sipfleet/bindings";
import type {
  AcquireCallSlotsRequest,
  AcquireCallSlotsResponse,
  ReleaseCallSlotsRequest,
  ReleaseCallSlotsResponse,
  ListRequest,
  ListResponse,
  LookupRequest,
  LookupResponse,
  RemoveRequest,
  RemoveResponse,
  SaveRequest,
  SaveResponse,
  UseNonceRequest,
  UseNonceResponse,
} from "@sipfleet/proto";
import { bindingToWire, listPageToWire, saveFromWire, saveResultToWire, useNonceFromWire, useNonceResultToWire } from "@sipfleet/location-client/wire";
import { LOCATION_OPS, type LocationOp } from "@sipfleet/location-client/location-ops";
import { InvalidPageTokenError } from "./errors.js";
import type { LocationMetrics } from "./location-metrics.js";
import { ThrottledLog, type Logger } from "./logger.js";

/**
 * Why a request failed, as a gRPC status code: INVALID_ARGUMENT (malformed, naming the field) or
 * UNAVAILABLE (the store failed: Redis down or slow). The unary handlers send it as the call's
 * status, the Exchange stream as an ExchangeError.
 */
export class OperationError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = "OperationError";
    this.code = code;
  }
}

export interface LocationOperationsOptions {
  logger: Logger;
  now: () => number;
  /** Page size for a List that asks for 0, and the most any page holds. */
  defaultPageSize: number;
  maxPageSize: number;
}

/**
 * The LocationService requests over a BindingStore, independent of how they arrive: the one
 * place that maps the wire messages, validates them and calls the store. Unary RPCs and the
 * Exchange stream both go through it. Every method returns a promise that rejects only with an
 * OperationError. Each is counted and timed here (METRIC_LOCATION_OPERATIONS, _DURATION), once
 * whatever way it came.
 */
export class LocationOperations {
  private readonly storeFailures: ThrottledLog;

  constructor(
    private readonly store: BindingStore,
    private readonly options: LocationOperationsOptions,
    private readonly slots?: CallSlotStore,
    private readonly metrics?: LocationMetrics,
  ) {
    this.storeFailures = new ThrottledLog(options.logger);
  }

  async save(request: SaveRequest): Promise<SaveResponse> {
    const startMs = this.startMs();
    try {
      const save = saveFromWire(request, this.options.now());
      if (typeof save === "string") throw new OperationError(status.INVALID_ARGUMENT, save);
      return this.ok(LOCATION_OPS.save, startMs, saveResultToWire(await this.store.save(save), this.options.now()));
    } catch (err) {
      throw this.failure(LOCATION_OPS.save, startMs, err);
    }
  }

  async useNonce(request: UseNonceRequest): Promise<UseNonceResponse> {
    const startMs = this.startMs();
    try {
      const use = useNonceFromWire(request);
      if (typeof use === "string") throw new OperationError(status.INVALID_ARGUMENT, use);
      return this.ok(LOCATION_OPS.useNonce, startMs, useNonceResultToWire(await this.store.useNonce(use)));
    } catch (err) {
      throw this.failure(LOCATION_OPS.useNonce, startMs, err);
    }
  }

  async lookup(request: LookupRequest): Promise<LookupResponse> {
    const startMs = this.startMs();
    try {
      if (request.aor === "") throw new OperationError(status.INVALID_ARGUMENT, "aor is required");
      const bindings = await this.store.lookup(request.aor);
      const now = this.options.now();
      return this.ok(LOCATION_OPS.lookup, startMs, { bindings: bindings.map((b) => bindingToWire(b, now)) });
    } catch (err) {
      throw this.failure(LOCATION_OPS.lookup, startMs, err);
    }
  }

  async remove(request: RemoveRequest): Promise<RemoveResponse> {
    const startMs = this.startMs();
    try {
      if (request.aor === "") throw new OperationError(status.INVALID_ARGUMENT, "aor is required");
      if (request.keys.some((k) => k === "")) throw new OperationError(status.INVALID_ARGUMENT, "keys: an empty key");
      return this.ok(LOCATION_OPS.remove, startMs, { removed: await this.store.remove(request.aor, request.keys) });
    } catch (err) {
      throw this.failure(LOCATION_OPS.remove, startMs, err);
    }
  }

  async list(request: ListRequest): Promise<ListResponse> {
    const startMs = this.startMs();
    try {
      const o = this.options;
      const size = request.pageSize === 0 ? o.defaultPageSize : Math.min(request.pageSize, o.maxPageSize);
      const page = await this.store.list(size, request.pageToken === "" ? undefined : request.pageToken);
      return this.ok(LOCATION_OPS.list, startMs, listPageToWire(page, o.now()));
    } catch (err) {
      throw this.failure(LOCATION_OPS.list, startMs, err);
    }
  }

  async acquireCallSlots(request: AcquireCallSlotsRequest): Promise<AcquireCallSlotsResponse> {
    const startMs = this.startMs();
    try {
      const slots = this.callSlots();
      const result = await slots.acquireCallSlots({
        callId: request.callId,
        inviteCseq: request.inviteCseq,
        claims: request.claims.map((c) => ({ key: c.key, limit: c.limit })),
        ttlMs: Number(request.ttlMs),
      });
      return this.ok(LOCATION_OPS.acquireCallSlots, startMs, result.acquired ? { acquired: true, fullKey: "" } : { acquired: false, fullKey: result.fullKey });
    } catch (err) {
      throw this.failure(LOCATION_OPS.acquireCallSlots, startMs, err);
    }
  }

  async releaseCallSlots(request: ReleaseCallSlotsRequest): Promise<ReleaseCallSlotsResponse> {
    const startMs = this.startMs();
    try {
      if (request.callId === "") throw new OperationError(status.INVALID_ARGUMENT, "call_id is required");
      return this.ok(LOCATION_OPS.releaseCallSlots, startMs, { released: await this.callSlots().releaseCallSlots(request.callId, request.upToCseq) });
    } catch (err) {
      throw this.failure(LOCATION_OPS.releaseCallSlots, startMs, err);
    }
  }

  private callSlots(): CallSlotStore {
    if (this.slots === undefined) throw new OperationError(status.UNIMPLEMENTED, "this location service keeps no call slots");
    return this.slots;
  }

  /** Normalises whatever a request threw: the caller's mistakes stay INVALID_ARGUMENT, the rest is the store's failure. */
  private failure(op: LocationOp, startMs: number, err: unknown): OperationError {
    const failed = this.operationError(op, err);
    this.metrics?.done(op, startMs, failed.code);
    return failed;
  }

  private operationError(op: LocationOp, err: unknown): OperationError {
    if (err instanceof OperationError) return err;
    if (err instanceof InvalidSaveError || err instanceof InvalidCallSlotsError || err instanceof InvalidPageTokenError) return new OperationError(status.INVALID_ARGUMENT, err.message);
    this.storeFailures.warn({ method: op.rpcMethod, err }, "location store failed");
    const message = err instanceof Error ? err.message : String(err);
    return new OperationError(status.UNAVAILABLE, `binding store: ${message}`);
  }

  private ok<T>(op: LocationOp, startMs: number, response: T): T {
    this.metrics?.done(op, startMs);
    return response;
  }

  /** When an operation began, for its duration; no clock read when nothing is measured. */
  private startMs(): number {
    return this.metrics === undefined ? 0 : performance.now();
  }
}

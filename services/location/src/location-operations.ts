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
import { InvalidPageTokenError } from "./errors.js";
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
 * OperationError.
 */
export class LocationOperations {
  private readonly storeFailures: ThrottledLog;

  constructor(
    private readonly store: BindingStore,
    private readonly options: LocationOperationsOptions,
    private readonly slots?: CallSlotStore,
  ) {
    this.storeFailures = new ThrottledLog(options.logger);
  }

  async save(request: SaveRequest): Promise<SaveResponse> {
    try {
      const save = saveFromWire(request, this.options.now());
      if (typeof save === "string") throw new OperationError(status.INVALID_ARGUMENT, save);
      return saveResultToWire(await this.store.save(save), this.options.now());
    } catch (err) {
      throw this.failure("Save", err);
    }
  }

  async useNonce(request: UseNonceRequest): Promise<UseNonceResponse> {
    try {
      const use = useNonceFromWire(request);
      if (typeof use === "string") throw new OperationError(status.INVALID_ARGUMENT, use);
      return useNonceResultToWire(await this.store.useNonce(use));
    } catch (err) {
      throw this.failure("UseNonce", err);
    }
  }

  async lookup(request: LookupRequest): Promise<LookupResponse> {
    try {
      if (request.aor === "") throw new OperationError(status.INVALID_ARGUMENT, "aor is required");
      const bindings = await this.store.lookup(request.aor);
      const now = this.options.now();
      return { bindings: bindings.map((b) => bindingToWire(b, now)) };
    } catch (err) {
      throw this.failure("Lookup", err);
    }
  }

  async remove(request: RemoveRequest): Promise<RemoveResponse> {
    try {
      if (request.aor === "") throw new OperationError(status.INVALID_ARGUMENT, "aor is required");
      if (request.keys.some((k) => k === "")) throw new OperationError(status.INVALID_ARGUMENT, "keys: an empty key");
      return { removed: await this.store.remove(request.aor, request.keys) };
    } catch (err) {
      throw this.failure("Remove", err);
    }
  }

  async list(request: ListRequest): Promise<ListResponse> {
    try {
      const o = this.options;
      const size = request.pageSize === 0 ? o.defaultPageSize : Math.min(request.pageSize, o.maxPageSize);
      const page = await this.store.list(size, request.pageToken === "" ? undefined : request.pageToken);
      return listPageToWire(page, o.now());
    } catch (err) {
      throw this.failure("List", err);
    }
  }

  async acquireCallSlots(request: AcquireCallSlotsRequest): Promise<AcquireCallSlotsResponse> {
    try {
      const slots = this.callSlots();
      const result = await slots.acquireCallSlots({
        callId: request.callId,
        inviteCseq: request.inviteCseq,
        claims: request.claims.map((c) => ({ key: c.key, limit: c.limit })),
        ttlMs: Number(request.ttlMs),
      });
      return result.acquired ? { acquired: true, fullKey: "" } : { acquired: false, fullKey: result.fullKey };
    } catch (err) {
      throw this.failure("AcquireCallSlots", err);
    }
  }

  async releaseCallSlots(request: ReleaseCallSlotsRequest): Promise<ReleaseCallSlotsResponse> {
    try {
      if (request.callId === "") throw new OperationError(status.INVALID_ARGUMENT, "call_id is required");
      return { released: await this.callSlots().releaseCallSlots(request.callId, request.upToCseq) };
    } catch (err) {
      throw this.failure("ReleaseCallSlots", err);
    }
  }

  private callSlots(): CallSlotStore {
    if (this.slots === undefined) throw new OperationError(status.UNIMPLEMENTED, "this location service keeps no call slots");
    return this.slots;
  }

  /** Normalises whatever a request threw: the caller's mistakes stay INVALID_ARGUMENT, the rest is the store's failure. */
  private failure(method: string, err: unknown): OperationError {
    if (err instanceof OperationError) return err;
    if (err instanceof InvalidSaveError || err instanceof InvalidCallSlotsError || err instanceof InvalidPageTokenError) return new OperationError(status.INVALID_ARGUMENT, err.message);
    this.storeFailures.warn({ method, err }, "location store failed");
    const message = err instanceof Error ? err.message : String(err);
    return new OperationError(status.UNAVAILABLE, `binding store: ${message}`);
  }
}

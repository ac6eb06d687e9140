import { status, type ClientDuplexStream, type StatusObject } from "@grpc/grpc-js";
import type { Binding, SaveResult, UseNonceResult } from "@sipfleet/bindings";
import { ExchangeError_Code, type ExchangeRequest, type ExchangeResponse, type LocationServiceClient } from "@sipfleet/proto";
import { LocationRequestError, LocationUnavailableError } from "./errors.js";
import { bindingFromWire, saveResultFromWire, useNonceResultFromWire } from "./wire.js";

/** An untraced request's trace context: shared, never written to. */
const NO_TRACE_CONTEXT: ExchangeRequest["traceContext"] = Object.freeze({}) as ExchangeRequest["traceContext"];

/** What a Save, UseNonce, Lookup or Remove resolves to. */
export type ExchangeResult = SaveResult | UseNonceResult | Binding[] | number;

export interface ExchangeBalancerOptions {
  /** Per request, retries included. */
  deadlineMs: number;
  /** Attempts per request when a replica answers UNAVAILABLE or its stream breaks, each on another replica if there is one. */
  maxAttempts: number;
  /** Wait before reopening a replica's stream after it broke, doubling up to the max while it keeps failing. */
  initialReconnectBackoffMs: number;
  maxReconnectBackoffMs: number;
}

/** One request waiting for its answer: a small record in its replica's map, no closure of its own. */
interface Pending {
  readonly id: number;
  readonly request: ExchangeRequest;
  readonly deadlineAt: number;
  attempts: number;
  replica: Replica | undefined;
  readonly resolve: (value: ExchangeResult) => void;
  readonly reject: (error: Error) => void;
}

type ReplicaState = "connecting" | "ready" | "down";

/** One location replica: its own channel and at most one Exchange stream on it. */
interface Replica {
  readonly address: string;
  readonly client: LocationServiceClient;
  stream: ClientDuplexStream<ExchangeRequest, ExchangeResponse> | undefined;
  /** connecting: stream opened, no headers yet; ready: the server answered; down: waiting to reopen. */
  state: ReplicaState;
  readonly pending: Map<number, Pending>;
  backoffMs: number;
  reopenTimer: NodeJS.Timeout | undefined;
}

/**
 * Save/UseNonce/Lookup/Remove over one long-lived Exchange stream per location replica, round-robin over
 * the replicas whose stream is up. Requests carry an id and wait in their replica's map; the
 * response with that id settles them, in whatever order they come. A request answered
 * UNAVAILABLE, or pending on a stream that breaks or ends (replica stopped or gone), is sent again
 * on another replica while attempts and deadline allow (a retried Save is safe: the store takes
 * an equal CSeq from the same Call-ID as a retransmission). A broken stream is reopened after a
 * backoff. One sweep timer enforces the deadlines.
 */
export class ExchangeBalancer {
  private readonly replicas: Replica[];
  private readonly sweepTimer: NodeJS.Timeout;
  private next = 0;
  private nextId = 1;
  private closed = false;

  constructor(
    clients: readonly { address: string; client: LocationServiceClient }[],
    private readonly options: ExchangeBalancerOptions,
  ) {
    this.replicas = clients.map(({ address, client }) => ({
      address,
      client,
      stream: undefined,
      state: "down" as ReplicaState,
      pending: new Map<number, Pending>(),
      backoffMs: options.initialReconnectBackoffMs,
      reopenTimer: undefined,
    }));
    for (const r of this.replicas) this.open(r);
    // Deadlines are checked a few dozen times per deadline rather than with a timer per request.
    const tick = Math.max(5, Math.min(50, Math.floor(options.deadlineMs / 20)));
    this.sweepTimer = setInterval(() => this.sweep(), tick);
    this.sweepTimer.unref();
  }

  /** Sends one request; resolves with its mapped result or rejects with LocationUnavailableError / LocationRequestError. */
  send(op: ExchangeRequest["op"], traceContext: ExchangeRequest["traceContext"] = NO_TRACE_CONTEXT): Promise<ExchangeResult> {
    return new Promise<ExchangeResult>((resolve, reject) => {
      if (this.closed) return reject(new LocationUnavailableError("location client closed", status.CANCELLED));
      const id = this.nextId++;
      this.dispatch({ id, request: { id, op, traceContext }, deadlineAt: Date.now() + this.options.deadlineMs, attempts: 0, replica: undefined, resolve, reject });
    });
  }

  /** The replicas in round-robin order starting at the next one, for unary calls (List). */
  clientsInTurn(): LocationServiceClient[] {
    const start = this.next++ % this.replicas.length;
    return this.replicas.map((_, i) => this.replicas[(start + i) % this.replicas.length]!.client);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const r of this.replicas) {
      clearTimeout(r.reopenTimer);
      const stream = r.stream;
      r.stream = undefined;
      r.state = "down";
      for (const p of r.pending.values()) p.reject(new LocationUnavailableError("location client closed", status.CANCELLED));
      r.pending.clear();
      stream?.cancel();
      r.client.close();
    }
  }

  private dispatch(p: Pending): void {
    const replica = this.pick(p.replica);
    if (replica === undefined) return p.reject(new LocationUnavailableError("location service unavailable: no replica reachable", status.UNAVAILABLE));
    p.attempts++;
    p.replica = replica;
    replica.pending.set(p.id, p);
    replica.stream!.write(p.request);
  }

  /** Round-robin over ready replicas, else over connecting ones; avoids `avoid` (the one that just failed) when another will do. */
  private pick(avoid: Replica | undefined): Replica | undefined {
    const n = this.replicas.length;
    let fallback: Replica | undefined;
    for (const wanted of ["ready", "connecting"] as const) {
      for (let i = 0; i < n; i++) {
        const r = this.replicas[(this.next + i) % n]!;
        if (r.state !== wanted) continue;
        if (r === avoid) {
          fallback ??= r;
          continue;
        }
        this.next = (this.next + i + 1) % n;
        return r;
      }
    }
    return fallback;
  }

  private open(replica: Replica): void {
    replica.reopenTimer = undefined;
    if (this.closed) return;
    const stream = replica.client.exchange();
    replica.stream = stream;
    replica.state = "connecting";
    stream.on("metadata", () => {
      if (replica.stream !== stream) return;
      replica.state = "ready";
      replica.backoffMs = this.options.initialReconnectBackoffMs;
    });
    stream.on("data", (response: ExchangeResponse) => this.receive(replica, response));
    // A non-OK end comes as `error` then `status`; an OK end (server shut down) as `status` only.
    stream.on("error", (err: Partial<StatusObject>) => this.broken(replica, stream, err.code ?? status.UNAVAILABLE, err.details ?? "stream error"));
    stream.on("status", (s: StatusObject) => this.broken(replica, stream, s.code === status.OK ? status.UNAVAILABLE : s.code, s.code === status.OK ? "stream ended by the server" : s.details));
  }

  /** The replica's stream ended or failed: its pending requests go elsewhere, and it is reopened after a backoff. */
  private broken(replica: Replica, stream: ClientDuplexStream<ExchangeRequest, ExchangeResponse>, code: number, details: string): void {
    if (replica.stream !== stream || this.closed) return;
    const wasReady = replica.state === "ready";
    replica.stream = undefined;
    replica.state = "down";
    stream.cancel();
    if (!wasReady) replica.backoffMs = Math.min(replica.backoffMs * 2, this.options.maxReconnectBackoffMs);
    replica.reopenTimer = setTimeout(() => this.open(replica), wasReady ? this.options.initialReconnectBackoffMs : replica.backoffMs);
    replica.reopenTimer.unref();
    const pending = [...replica.pending.values()];
    replica.pending.clear();
    // CANCELLED here is the replica cutting its calls (forceShutdown), not our caller giving up: retryable.
    for (const p of pending) this.retry(p, code === status.CANCELLED ? status.UNAVAILABLE : code, `${replica.address}: ${details}`);
  }

  private retry(p: Pending, code: number, details: string): void {
    if (code === status.UNAVAILABLE && p.attempts < this.options.maxAttempts && Date.now() < p.deadlineAt) return this.dispatch(p);
    p.reject(new LocationUnavailableError(`location service unavailable: ${status[code] ?? code}: ${details}`, code));
  }

  private receive(replica: Replica, response: ExchangeResponse): void {
    const p = replica.pending.get(response.id);
    if (p === undefined) return; // timed out already
    replica.pending.delete(response.id);
    const result = response.result;
    switch (result?.$case) {
      case "save": {
        const saved = saveResultFromWire(result.value, Date.now());
        if (typeof saved === "string") return p.reject(new LocationUnavailableError(`location Save: ${saved}`, status.INTERNAL));
        return p.resolve(saved);
      }
      case "useNonce":
        return p.resolve(useNonceResultFromWire(result.value));
      case "lookup": {
        const now = Date.now();
        return p.resolve(result.value.bindings.map((b) => bindingFromWire(b, now)));
      }
      case "remove":
        return p.resolve(result.value.removed);
      case "error":
        if (result.value.code === ExchangeError_Code.CODE_INVALID_ARGUMENT) return p.reject(new LocationRequestError(`location service: ${result.value.message}`));
        if (result.value.code === ExchangeError_Code.CODE_UNAVAILABLE) return this.retry(p, status.UNAVAILABLE, `${replica.address}: ${result.value.message}`);
        return p.reject(new LocationUnavailableError(`location service unavailable: INTERNAL: ${result.value.message}`, status.INTERNAL));
      default:
        return p.reject(new LocationUnavailableError(`location service: a response without a result`, status.INTERNAL));
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const r of this.replicas) {
      if (r.pending.size === 0) continue;
      for (const p of r.pending.values()) {
        if (p.deadlineAt > now) continue;
        r.pending.delete(p.id);
        p.reject(new LocationUnavailableError(`location service unavailable: DEADLINE_EXCEEDED: no answer within ${this.options.deadlineMs} ms (${r.address})`, status.DEADLINE_EXCEEDED));
      }
    }
  }
}

import { Cluster, type Redis } from "ioredis";
import {
  InvalidSaveError,
  compareBindings,
  lastChangePerKey,
  saveProblem,
  useNonceProblem,
  type AorBindings,
  type Binding,
  type BindingStore,
  type ListPage,
  type SaveBindings,
  type SaveResult,
  type UseNonce,
  type UseNonceResult,
} from "@sipfleet/bindings";
import { Binding as WireBinding } from "@sipfleet/proto";
import { createRedisConnection, parseRedisTarget, type RedisConnectionOptions } from "@sipfleet/redis-connection";
import { bindingFromWire, changeToWire } from "@sipfleet/location-client/wire";
import { InvalidPageTokenError } from "./errors.js";
import { LOOKUP_SCRIPT, REMOVE_SCRIPT, SAVE_SCRIPT, USE_NONCE_SCRIPT } from "./lua-scripts.js";
import { AorKeys, DEFAULT_KEY_PREFIX, aorOfIndexKey, indexPattern } from "./redis-keys.js";

export interface RedisBindingStoreOptions {
  /** Prefix of every key (see redis-keys.ts). */
  keyPrefix: string;
  /** Unix ms now, to turn a remaining TTL into expiresAtMs. */
  now: () => number;
  /** SCAN COUNT hint per call while listing. */
  scanCount: number;
  /** With a URL: the node list is a Redis Cluster (REDIS_CLUSTER=1). */
  cluster: boolean;
  /** With a URL: how the store's own connection behaves. */
  connection: Partial<RedisConnectionOptions>;
}

export const DEFAULT_REDIS_BINDING_STORE_OPTIONS: RedisBindingStoreOptions = {
  keyPrefix: DEFAULT_KEY_PREFIX,
  now: Date.now,
  scanCount: 100,
  cluster: false,
  connection: {},
};

type ScriptArg = string | number | Buffer;
type ScriptCall = (...args: ScriptArg[]) => Promise<unknown>;

/** The commands defineCommand adds; the *Buffer forms return bulk replies as Buffers. */
interface LocationScripts {
  sipfleetLocationSaveBuffer: ScriptCall;
  sipfleetLocationUseNonce: ScriptCall;
  sipfleetLocationLookupBuffer: ScriptCall;
  sipfleetLocationRemove: ScriptCall;
}

const OUTCOME_SAVED = 1;
const OUTCOME_OUT_OF_ORDER = 2;
const OUTCOME_NONCE_REPLAYED = 3;
const OUTCOME_TOO_MANY = 4;

/** Where a listing stands: the node being scanned, its SCAN cursor (null: done), AORs found but not yet returned. */
interface ListPosition {
  node: string;
  cursor: string | null;
  pending: string[];
}

/**
 * BindingStore on Redis 7 (standalone or Cluster): one key per binding with its lifetime as
 * PEXPIRE, an index set per AOR, one Lua script per operation. Key schema and rules: README.md.
 */
export class RedisBindingStore implements BindingStore {
  private readonly redis: Redis | Cluster;
  private readonly scripts: LocationScripts;
  private readonly options: RedisBindingStoreOptions;
  private readonly ownsConnection: boolean;

  /** A Redis or Cluster the caller owns (and closes), or a URL (see parseRedisTarget) the store connects to and closes. */
  constructor(connection: Redis | Cluster | string, options: Partial<RedisBindingStoreOptions> = {}) {
    this.options = { ...DEFAULT_REDIS_BINDING_STORE_OPTIONS, ...options };
    if (typeof connection === "string") {
      this.redis = createRedisConnection(parseRedisTarget(connection, this.options.cluster), this.options.connection);
      this.ownsConnection = true;
    } else {
      this.redis = connection;
      this.ownsConnection = false;
    }
    this.redis.defineCommand("sipfleetLocationSave", { lua: SAVE_SCRIPT, numberOfKeys: 2 });
    this.redis.defineCommand("sipfleetLocationUseNonce", { lua: USE_NONCE_SCRIPT, numberOfKeys: 1 });
    this.redis.defineCommand("sipfleetLocationLookup", { lua: LOOKUP_SCRIPT, numberOfKeys: 1 });
    this.redis.defineCommand("sipfleetLocationRemove", { lua: REMOVE_SCRIPT, numberOfKeys: 1 });
    this.scripts = this.redis as unknown as LocationScripts;
  }

  /** The connection, for health checks. */
  get connection(): Redis | Cluster {
    return this.redis;
  }

  async save(request: SaveBindings): Promise<SaveResult> {
    const problem = saveProblem(request);
    if (problem !== undefined) throw new InvalidSaveError(problem);
    const keys = new AorKeys(this.options.keyPrefix, request.aor);
    const changes = lastChangePerKey(request.changes);
    const nonceUse = request.nonceUse;
    const args: ScriptArg[] = [
      keys.index,
      nonceUse === undefined ? keys.nonce("") : keys.nonce(nonceUse.nonce),
      keys.bindingPrefix,
      request.callId,
      request.cseq,
      request.removeAll ? "1" : "0",
      request.maxBindings,
      nonceUse === undefined ? -1 : nonceUse.nc,
      nonceUse === undefined ? 0 : Math.ceil(nonceUse.ttlMs),
    ];
    for (const change of changes) {
      const lifetimeMs = Math.ceil(change.lifetimeMs);
      args.push(AorKeys.bindingId(change.key), lifetimeMs, lifetimeMs === 0 ? "" : this.encodeStored(change, request));
    }
    const reply = (await this.scripts.sipfleetLocationSaveBuffer(...args)) as unknown[];
    switch (reply[0]) {
      case OUTCOME_SAVED:
        return { outcome: "saved", bindings: this.decodeBindings(reply, 1) };
      case OUTCOME_OUT_OF_ORDER:
        return { outcome: "out-of-order" };
      case OUTCOME_NONCE_REPLAYED:
        return { outcome: "nonce-replayed" };
      case OUTCOME_TOO_MANY:
        return { outcome: "too-many-bindings" };
      default:
        throw new Error(`location save script: unexpected reply ${String(reply[0])}`);
    }
  }

  async useNonce(request: UseNonce): Promise<UseNonceResult> {
    const problem = useNonceProblem(request);
    if (problem !== undefined) throw new InvalidSaveError(problem);
    const keys = new AorKeys(this.options.keyPrefix, request.aor);
    const n = request.nonceUse;
    const reply = await this.scripts.sipfleetLocationUseNonce(keys.nonce(n.nonce), n.nc, request.callId, request.cseq, Math.ceil(n.ttlMs));
    return reply === 1 ? "accepted" : "nonce-replayed";
  }

  async lookup(aor: string): Promise<Binding[]> {
    const keys = new AorKeys(this.options.keyPrefix, aor);
    const reply = (await this.scripts.sipfleetLocationLookupBuffer(keys.index, keys.bindingPrefix)) as unknown[];
    return this.decodeBindings(reply, 0);
  }

  async remove(aor: string, bindingKeys: readonly string[]): Promise<number> {
    const keys = new AorKeys(this.options.keyPrefix, aor);
    const ids = [...new Set(bindingKeys)].map((k) => AorKeys.bindingId(k));
    return (await this.scripts.sipfleetLocationRemove(keys.index, keys.bindingPrefix, ...ids)) as number;
  }

  /**
   * SCAN over the index keys, node by node on a Cluster (masters, in address order). The token
   * carries the node, its cursor and the AORs of the last SCAN batch not returned yet, so a page
   * never holds more than pageSize and no AOR is skipped. As with SCAN itself, an AOR that exists
   * for the whole listing is returned; one added or removed meanwhile may or may not be.
   */
  async list(pageSize: number, pageToken: string | undefined): Promise<ListPage> {
    const size = pageSize > 0 ? Math.floor(pageSize) : 100;
    const nodes = this.scanNodes();
    const names = [...nodes.keys()];
    const position = pageToken === undefined || pageToken === "" ? { node: names[0]!, cursor: "0", pending: [] } : decodeToken(pageToken);
    if (!nodes.has(position.node)) throw new InvalidPageTokenError(`page token: Redis node ${position.node} is not a master any more`);
    const entries: AorBindings[] = [];
    for (;;) {
      while (position.pending.length > 0 && entries.length < size) {
        const batch = position.pending.splice(0, size - entries.length);
        const found = await Promise.all(batch.map((aor) => this.lookup(aor)));
        found.forEach((bindings, i) => {
          if (bindings.length > 0) entries.push({ aor: batch[i]!, bindings });
        });
      }
      if (entries.length >= size) break;
      if (position.cursor === null) {
        const next = names[names.indexOf(position.node) + 1];
        if (next === undefined) return { entries, nextPageToken: undefined };
        position.node = next;
        position.cursor = "0";
      }
      const [cursor, found] = await this.scanIndex(nodes.get(position.node)!, position.cursor);
      position.cursor = cursor;
      position.pending.push(...found);
    }
    const last = position.cursor === null && position.pending.length === 0 && names.indexOf(position.node) === names.length - 1;
    return { entries, nextPageToken: last ? undefined : encodeToken(position) };
  }

  /**
   * How many AORs have an index key (live bindings: the index expires with its longest binding),
   * over every node: a full SCAN, no lookups. For the AOR gauge, which throttles it.
   */
  async countAors(): Promise<number> {
    let total = 0;
    for (const node of this.scanNodes().values()) {
      let cursor: string | null = "0";
      do {
        const [next, found]: [string | null, string[]] = await this.scanIndex(node, cursor);
        total += found.length;
        cursor = next;
      } while (cursor !== null);
    }
    return total;
  }

  /** One SCAN step over `node`'s index keys: the next cursor (null: done) and the AORs found. */
  private async scanIndex(node: Redis, cursor: string): Promise<[string | null, string[]]> {
    const [next, keys] = await node.scan(cursor, "MATCH", indexPattern(this.options.keyPrefix), "COUNT", this.options.scanCount);
    const aors: string[] = [];
    for (const key of keys) {
      const aor = aorOfIndexKey(this.options.keyPrefix, key);
      if (aor !== undefined) aors.push(aor);
    }
    return [next === "0" ? null : next, aors];
  }

  async close(): Promise<void> {
    if (!this.ownsConnection) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** The value stored for a change: the wire Binding with the request's Call-ID, CSeq and time (expiry lives in the key's TTL). */
  private encodeStored(change: SaveBindings["changes"][number], request: SaveBindings): Buffer {
    const wire = changeToWire(change);
    wire.callId = request.callId;
    wire.cseq = request.cseq;
    wire.updatedAtMs = request.nowMs;
    wire.expiresInMs = 0;
    const bytes = WireBinding.encode(wire).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** reply[from..] = value, pttl, value, pttl, ... */
  private decodeBindings(reply: unknown[], from: number): Binding[] {
    const now = this.options.now();
    const out: Binding[] = [];
    for (let i = from; i + 1 < reply.length; i += 2) {
      const wire = WireBinding.decode(reply[i] as Buffer);
      wire.expiresInMs = reply[i + 1] as number;
      out.push(bindingFromWire(wire, now));
    }
    return out.sort(compareBindings);
  }

  /** The servers a listing scans, by address: the masters of a Cluster, or the one server. */
  private scanNodes(): Map<string, Redis> {
    if (!(this.redis instanceof Cluster)) return new Map([["", this.redis]]);
    const masters = this.redis.nodes("master").map((n) => [`${n.options.host}:${n.options.port}`, n] as const);
    if (masters.length === 0) throw new Error("redis cluster: no master node known yet");
    return new Map(masters.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  }
}

function encodeToken(p: ListPosition): string {
  return Buffer.from(JSON.stringify([p.node, p.cursor, p.pending])).toString("base64url");
}

function decodeToken(token: string): ListPosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, "base64url").toString());
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === "string" && (typeof v[1] === "string" || v[1] === null) && Array.isArray(v[2]) && v[2].every((a) => typeof a === "string")) {
      return { node: v[0], cursor: v[1], pending: v[2] as string[] };
    }
  } catch {
    // fall through
  }
  throw new InvalidPageTokenError("page token: not one this service issued");
}

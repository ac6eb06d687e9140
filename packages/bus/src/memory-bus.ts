import {
  BusClosedError,
  BusError,
  type Bus,
  type BusHeaders,
  type BusListener,
  type BusMessage,
  type BusRequestOptions,
  type BusResponder,
  type BusSubscription,
} from "./bus.js";
import { copyBytes } from "./bytes.js";
import { withDefaults } from "./options.js";
import { PendingRequests } from "./pending-requests.js";
import { RespondersInFlight, type ResponderOutcome } from "./responders-in-flight.js";
import { CONSOLE_BUS_LOGGER, type BusLogger } from "./logger.js";
import { subjectMatches, subjectTokens } from "./subject.js";
import { checkHeaders, checkQueue, checkSubject, checkTimeout } from "./validate.js";

/*
 * The in-process bus for the embedded single-process mode. A `MemoryBusHub` plays nats-server:
 * it holds every subscription of the buses attached to it, matches subjects with NATS wildcard
 * rules, picks one member per queue group, and delivers through one FIFO queue flushed on
 * setImmediate. Delivery is therefore never re-entrant in the sender's stack, per-sender order is
 * kept (as NATS keeps it per connection), and a busy exchange cannot starve I/O.
 */

/** Where a request's reply goes: the requesting bus and its token for that request. */
interface ReplyTarget {
  readonly sink: BusSink;
  readonly token: number;
}

/** The hub's handle on one bus: what it calls to deliver. */
interface BusSink {
  deliver(sub: HubSubscription, msg: BusMessage, reply: ReplyTarget | undefined): void;
  reply(token: number, data: Uint8Array): void;
}

interface HubSubscription {
  readonly tokens: readonly string[];
  /** Set for serve(): one member of each queue group gets each message. */
  readonly queue: string | undefined;
  readonly sink: BusSink;
  readonly listener: BusListener | undefined;
  readonly responder: BusResponder | undefined;
  /** False once unsubscribed or closed: deliveries still queued for it are dropped. */
  active: boolean;
}

interface MatchResult {
  readonly plain: readonly HubSubscription[];
  readonly groups: readonly (readonly HubSubscription[])[];
  readonly groupNames: readonly string[];
}

const enum DeliveryKind {
  Message,
  Reply,
  Barrier,
}

type Delivery =
  | { kind: DeliveryKind.Message; sub: HubSubscription; msg: BusMessage; reply: ReplyTarget | undefined }
  | { kind: DeliveryKind.Reply; reply: ReplyTarget; data: Uint8Array }
  | { kind: DeliveryKind.Barrier; done: () => void };

const NO_MATCH: MatchResult = { plain: [], groups: [], groupNames: [] };
/** Bounds the subject → match cache (cleared whole when full, like a generation flip). */
const MATCH_CACHE_LIMIT = 4096;

export class MemoryBusHub {
  readonly #subs = new Set<HubSubscription>();
  readonly #cache = new Map<string, MatchResult>();
  readonly #nextMember = new Map<string, number>();
  #queue: Delivery[] = [];
  #scheduled = false;

  /** @internal */
  add(sub: HubSubscription): void {
    this.#subs.add(sub);
    this.#cache.clear();
  }

  /** @internal */
  remove(sub: HubSubscription): void {
    if (this.#subs.delete(sub)) this.#cache.clear();
  }

  /**
   * Queues `msg` for every plain subscriber and one member of each queue group whose subject
   * matches. Returns how many subscriptions it reached (0 = no responders).
   * @internal
   */
  route(msg: BusMessage, reply: ReplyTarget | undefined): number {
    const match = this.#match(msg.subject);
    for (const sub of match.plain) this.#push({ kind: DeliveryKind.Message, sub, msg, reply });
    for (let i = 0; i < match.groups.length; i++) {
      const members = match.groups[i] as readonly HubSubscription[];
      const name = match.groupNames[i] as string;
      const n = this.#nextMember.get(name) ?? 0;
      this.#nextMember.set(name, n + 1 >= Number.MAX_SAFE_INTEGER ? 0 : n + 1);
      const sub = members[n % members.length] as HubSubscription;
      this.#push({ kind: DeliveryKind.Message, sub, msg, reply });
    }
    return match.plain.length + match.groups.length;
  }

  /** @internal */
  reply(reply: ReplyTarget, data: Uint8Array): void {
    this.#push({ kind: DeliveryKind.Reply, reply, data });
  }

  /** Resolves once everything queued before this call has been delivered. */
  flushed(): Promise<void> {
    return new Promise((done) => this.#push({ kind: DeliveryKind.Barrier, done }));
  }

  #match(subject: string): MatchResult {
    const cached = this.#cache.get(subject);
    if (cached !== undefined) return cached;
    const tokens = subjectTokens(subject);
    const plain: HubSubscription[] = [];
    const byQueue = new Map<string, HubSubscription[]>();
    for (const sub of this.#subs) {
      if (!subjectMatches(sub.tokens, tokens)) continue;
      if (sub.queue === undefined) {
        plain.push(sub);
      } else {
        // nats-server groups queue subscribers by queue name across all matching subjects.
        const members = byQueue.get(sub.queue);
        if (members === undefined) byQueue.set(sub.queue, [sub]);
        else members.push(sub);
      }
    }
    const result: MatchResult =
      plain.length === 0 && byQueue.size === 0
        ? NO_MATCH
        : { plain, groups: [...byQueue.values()], groupNames: [...byQueue.keys()] };
    if (this.#cache.size >= MATCH_CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(subject, result);
    return result;
  }

  #push(d: Delivery): void {
    this.#queue.push(d);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Delivers what was queued when it started; anything queued meanwhile waits for the next turn. */
  readonly #flush = (): void => {
    const batch = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    for (const d of batch) {
      switch (d.kind) {
        case DeliveryKind.Message:
          if (d.sub.active) d.sub.sink.deliver(d.sub, d.msg, d.reply);
          break;
        case DeliveryKind.Reply:
          d.reply.sink.reply(d.reply.token, d.data);
          break;
        case DeliveryKind.Barrier:
          d.done();
          break;
        default:
          throw new Error(`unknown delivery kind ${(d as { kind: unknown }).kind}`);
      }
    }
  };
}

export interface MemoryBusOptions {
  /** Buses on the same hub reach each other; without one the bus gets a hub of its own. */
  hub?: MemoryBusHub;
  logger: BusLogger;
}

export const DEFAULT_MEMORY_BUS_OPTIONS: MemoryBusOptions = { logger: CONSOLE_BUS_LOGGER };

const enum State {
  Open,
  Draining,
  Closed,
}

/** The in-process `Bus`. Several instances on one `MemoryBusHub` behave like NATS connections. */
export class MemoryBus implements Bus {
  readonly hub: MemoryBusHub;
  readonly #logger: BusLogger;
  readonly #subs = new Set<HubSubscription>();
  readonly #pending = new PendingRequests<number>();
  readonly #sink: BusSink;
  #nextToken = 0;
  #state = State.Open;
  readonly #responders = new RespondersInFlight();
  readonly #outcome: ResponderOutcome<ReplyTarget | undefined> = {
    reply: (target, data, subject) => this.#sendReply(data, subject, target),
    failed: (err, subject) => this.#responderFailed(err, subject),
  };
  #drained: Promise<void> | undefined;

  constructor(options: Partial<MemoryBusOptions> = {}) {
    const opts = withDefaults(DEFAULT_MEMORY_BUS_OPTIONS, options);
    this.hub = opts.hub ?? new MemoryBusHub();
    this.#logger = opts.logger;
    this.#sink = {
      deliver: (sub, msg, reply) => this.#deliver(sub, msg, reply),
      reply: (token, data) => this.#pending.resolve(token, data),
    };
  }

  request(subject: string, data: Uint8Array, options: BusRequestOptions): Promise<Uint8Array> {
    if (this.#state !== State.Open) return Promise.reject(new BusClosedError("bus is closed"));
    try {
      checkSubject(subject, false);
      checkTimeout(options.timeoutMs);
      if (options.headers !== undefined) checkHeaders(options.headers);
    } catch (err) {
      return Promise.reject(err);
    }
    const token = ++this.#nextToken;
    const msg: BusMessage = { subject, data: copyBytes(data), headers: copyHeaders(options.headers) };
    return new Promise<Uint8Array>((resolve, reject) => {
      // Registered before routing: the hub delivers later (never in this stack), but says now
      // whether anyone matched.
      this.#pending.add(token, subject, options.timeoutMs, resolve, reject);
      if (this.hub.route(msg, { sink: this.#sink, token }) === 0) this.#pending.noResponders(token);
    });
  }

  serve(subject: string, queue: string, responder: BusResponder): BusSubscription {
    checkQueue(queue);
    return this.#add(subject, queue, undefined, responder);
  }

  publish(subject: string, data: Uint8Array, headers?: BusHeaders): void {
    // Publishing stays allowed while draining: responders finishing their work may publish.
    if (this.#state === State.Closed) throw new BusClosedError("bus is closed");
    checkSubject(subject, false);
    if (headers !== undefined) checkHeaders(headers);
    this.hub.route({ subject, data: copyBytes(data), headers: copyHeaders(headers) }, undefined);
  }

  subscribe(subject: string, listener: BusListener): BusSubscription {
    return this.#add(subject, undefined, listener, undefined);
  }

  /** Subscriptions take effect at once here; this waits until everything queued so far is delivered. */
  flush(): Promise<void> {
    if (this.#state === State.Closed) return Promise.reject(new BusClosedError("bus is closed"));
    return this.hub.flushed();
  }

  drain(): Promise<void> {
    if (this.#drained !== undefined) return this.#drained;
    if (this.#state === State.Closed) return Promise.resolve();
    this.#state = State.Draining;
    this.#drained = this.#drain();
    return this.#drained;
  }

  close(): Promise<void> {
    if (this.#state === State.Closed) return Promise.resolve();
    this.#state = State.Closed;
    for (const sub of this.#subs) {
      sub.active = false;
      this.hub.remove(sub);
    }
    this.#subs.clear();
    this.#pending.failAll(new BusClosedError("bus closed"));
    this.#responders.release();
    return Promise.resolve();
  }

  async #drain(): Promise<void> {
    // Stop taking requests: the hub routes nothing new to us; what it already queued still arrives.
    for (const sub of this.#subs) this.hub.remove(sub);
    await this.hub.flushed();
    // Let responders finish; their replies are queued on the hub as they finish.
    await this.#responders.idle();
    // Replies and publications queued so far go out before we close.
    await this.hub.flushed();
    await this.close();
  }

  #add(subject: string, queue: string | undefined, listener: BusListener | undefined, responder: BusResponder | undefined): BusSubscription {
    if (this.#state !== State.Open) throw new BusClosedError("bus is closed");
    checkSubject(subject, true);
    const sub: HubSubscription = { tokens: subjectTokens(subject), queue, sink: this.#sink, listener, responder, active: true };
    this.#subs.add(sub);
    this.hub.add(sub);
    return {
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.#subs.delete(sub);
        this.hub.remove(sub);
      },
    };
  }

  #deliver(sub: HubSubscription, msg: BusMessage, reply: ReplyTarget | undefined): void {
    if (this.#state === State.Closed) return;
    if (sub.listener !== undefined) {
      try {
        const r: unknown = sub.listener(msg);
        if (r instanceof Promise) r.catch((err: unknown) => this.#logger.error({ err, subject: msg.subject }, "bus listener failed"));
      } catch (err) {
        this.#logger.error({ err, subject: msg.subject }, "bus listener failed");
      }
      return;
    }
    this.#responders.run(sub.responder as BusResponder, msg, reply, this.#outcome);
  }

  #sendReply(data: unknown, subject: string, reply: ReplyTarget | undefined): void {
    // The responder declined: another member (of another group) answers, or nobody does.
    if (data === undefined) return;
    if (!(data instanceof Uint8Array)) {
      this.#responderFailed(new BusError(`responder returned ${typeof data}, not a Uint8Array`), subject);
      return;
    }
    // close() drops replies still being computed; drain() lets them out.
    if (reply === undefined || this.#state === State.Closed) return;
    this.hub.reply(reply, copyBytes(data));
  }

  #responderFailed(err: unknown, subject: string): void {
    this.#logger.error({ err, subject }, "bus responder failed; no reply sent");
  }
}

/**
 * Senders may reuse their object; receivers get their own. As over NATS, no entries means no
 * headers and values arrive trimmed.
 */
function copyHeaders(headers: BusHeaders | undefined): BusHeaders | undefined {
  if (headers === undefined) return undefined;
  let out: Record<string, string> | undefined;
  for (const k in headers) {
    out ??= {};
    out[k] = (headers[k] as string).trim();
  }
  return out;
}

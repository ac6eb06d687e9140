import {
  connect,
  createInbox,
  headers as natsHeaders,
  type ConnectionOptions,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type NatsError,
  type Subscription,
} from "nats";
import {
  BusClosedError,
  BusError,
  BusUnavailableError,
  type Bus,
  type BusHeaders,
  type BusListener,
  type BusMessage,
  type BusRequestOptions,
  type BusResponder,
  type BusSubscription,
} from "./bus.js";
import { copyBytes, plainView } from "./bytes.js";
import { withDefaults } from "./options.js";
import { PendingRequests } from "./pending-requests.js";
import { RespondersInFlight, type ResponderOutcome } from "./responders-in-flight.js";
import { CONSOLE_BUS_LOGGER, type BusLogger } from "./logger.js";
import { checkHeaders, checkQueue, checkSubject, checkTimeout } from "./validate.js";

/*
 * The `Bus` over NATS core. Requests do not use nc.request(): each would set up its own
 * subscription bookkeeping and promise machinery (hop-costs.md: ~30–57 µs vs ~17–21 µs per round
 * trip). Instead every request is a plain publish whose reply subject is `<inbox>.<token>` under
 * ONE wildcard subscription `<inbox>.*`; replies are matched to their request by token in a map.
 * With `headers` and `noResponders` on, nats-server answers a request nobody is subscribed to
 * with an empty 503 status message on the reply subject, which is how BusNoRespondersError is
 * detected without waiting for the timeout.
 */

export interface NatsBusOptions {
  /**
   * e.g. "nats://127.0.0.1:4222", or several for a cluster: an array, or one comma-separated
   * string as NATS_URL gives it ("nats://a:4222,nats://b:4222").
   */
  servers: string | string[];
  /** Connection name shown by nats-server (`nats server report connections`). */
  name: string;
  logger: BusLogger;
  /** Wait between reconnect attempts; attempts never stop. */
  reconnectTimeWaitMs: number;
  reconnectJitterMs: number;
  /** Client PING interval: how soon a silently dead server is noticed (× maxPingOut). */
  pingIntervalMs: number;
  maxPingOut: number;
  /** How long the first connect may take before `connect()` rejects. */
  connectTimeoutMs: number;
  /** Keep retrying the first connect instead of rejecting when no server is up yet. */
  waitOnFirstConnect: boolean;
  /** drain() gives up waiting after this long and closes. */
  drainTimeoutMs: number;
  inboxPrefix: string;
  /** Anything else nats.js takes (credentials, TLS...). The options above win over it. */
  connectOptions: Partial<ConnectionOptions>;
}

export const DEFAULT_NATS_BUS_OPTIONS: Omit<NatsBusOptions, "servers"> = {
  name: "sipfleet",
  logger: CONSOLE_BUS_LOGGER,
  reconnectTimeWaitMs: 250,
  reconnectJitterMs: 100,
  pingIntervalMs: 10_000,
  maxPingOut: 2,
  connectTimeoutMs: 5_000,
  waitOnFirstConnect: false,
  drainTimeoutMs: 10_000,
  inboxPrefix: "_INBOX",
  connectOptions: {},
};

const enum State {
  Open,
  Draining,
  Closed,
}

/**
 * The seed list nats.js is given: nats.js takes one string as ONE server URL, so a NATS_URL naming
 * a cluster's nodes ("nats://a:4222,nats://b:4222") is split here; the client then fails over
 * between them (and the nodes the cluster gossips).
 */
export function natsServerList(servers: string | readonly string[]): string[] {
  const list = (typeof servers === "string" ? [servers] : servers).flatMap((s) => s.split(",")).map((s) => s.trim());
  return list.filter((s) => s !== "");
}

export class NatsBus implements Bus {
  /** Connects (reconnecting forever afterwards); rejects with BusUnavailableError if the first connect fails. */
  static async connect(options: Partial<NatsBusOptions> & Pick<NatsBusOptions, "servers">): Promise<NatsBus> {
    const opts: NatsBusOptions = withDefaults<NatsBusOptions>({ ...DEFAULT_NATS_BUS_OPTIONS, servers: options.servers }, options);
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...opts.connectOptions,
        servers: natsServerList(opts.servers),
        name: opts.name,
        // nats.js 2.29 turns on headers and no_responders by itself when the server has headers.
        noAsyncTraces: true,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: opts.reconnectTimeWaitMs,
        reconnectJitter: opts.reconnectJitterMs,
        pingInterval: opts.pingIntervalMs,
        maxPingOut: opts.maxPingOut,
        timeout: opts.connectTimeoutMs,
        waitOnFirstConnect: opts.waitOnFirstConnect,
        inboxPrefix: opts.inboxPrefix,
      });
    } catch (err) {
      throw new BusUnavailableError(`cannot connect to NATS at ${String(opts.servers)}: ${errorMessage(err)}`, { cause: err });
    }
    if (nc.info?.headers !== true) {
      await nc.close().catch(() => {});
      throw new BusUnavailableError(`NATS at ${String(opts.servers)} does not support headers (nats-server >= 2.2 needed for no-responders detection)`);
    }
    return new NatsBus(nc, opts);
  }

  /** The underlying connection, for health checks and stats; do not close it behind the bus's back. */
  readonly connection: NatsConnection;
  readonly #logger: BusLogger;
  readonly #drainTimeoutMs: number;
  /** `<inbox>.`: every reply subject is this plus a token. */
  readonly #replyPrefix: string;
  readonly #pending = new PendingRequests<string>();
  readonly #subs = new Set<Subscription>();
  #nextToken = 0;
  #state = State.Open;
  #connected = true;
  readonly #responders = new RespondersInFlight();
  readonly #outcome: ResponderOutcome<string> = {
    reply: (target, data, subject) => this.#sendReply(target, data, subject),
    failed: (err, subject) => this.#responderFailed(err, subject),
  };
  #drained: Promise<void> | undefined;

  private constructor(nc: NatsConnection, opts: NatsBusOptions) {
    this.connection = nc;
    this.#logger = opts.logger;
    this.#drainTimeoutMs = opts.drainTimeoutMs;
    const inbox = createInbox(opts.inboxPrefix);
    this.#replyPrefix = `${inbox}.`;
    nc.subscribe(`${inbox}.*`, { callback: this.#onReply });
    void this.#watchStatus();
    void nc.closed().then((err) => this.#onClosed(err));
  }

  request(subject: string, data: Uint8Array, options: BusRequestOptions): Promise<Uint8Array> {
    if (this.#state !== State.Open) return Promise.reject(new BusClosedError("bus is closed"));
    if (!this.#connected) return Promise.reject(new BusUnavailableError(`not connected to NATS; request on ${subject} not sent`));
    try {
      checkSubject(subject, false);
      checkTimeout(options.timeoutMs);
      if (options.headers !== undefined) checkHeaders(options.headers);
    } catch (err) {
      return Promise.reject(err);
    }
    const token = (++this.#nextToken).toString(36);
    return new Promise<Uint8Array>((resolve, reject) => {
      try {
        // nats.js holds on to the payload until its next flush; the caller may reuse its buffer.
        this.connection.publish(subject, copyBytes(data), {
          reply: this.#replyPrefix + token,
          headers: options.headers === undefined ? undefined : toNatsHeaders(options.headers),
        });
      } catch (err) {
        reject(toBusError(err, `request on ${subject} not sent`));
        return;
      }
      this.#pending.add(token, subject, options.timeoutMs, resolve, reject);
    });
  }

  serve(subject: string, queue: string, responder: BusResponder): BusSubscription {
    checkQueue(queue);
    return this.#subscribe(subject, queue, (err, msg) => {
      if (err !== null) this.#logger.error({ err, subject }, "bus subscription error");
      else this.#onRequest(msg, responder);
    });
  }

  publish(subject: string, data: Uint8Array, headers?: BusHeaders): void {
    // Allowed while draining (responders finishing may publish); nats.js buffers it while disconnected.
    if (this.#state === State.Closed) throw new BusClosedError("bus is closed");
    checkSubject(subject, false);
    if (headers !== undefined) checkHeaders(headers);
    try {
      this.connection.publish(subject, copyBytes(data), headers === undefined ? undefined : { headers: toNatsHeaders(headers) });
    } catch (err) {
      throw toBusError(err, `publish on ${subject} failed`);
    }
  }

  subscribe(subject: string, listener: BusListener): BusSubscription {
    return this.#subscribe(subject, undefined, (err, msg) => {
      if (err !== null) {
        this.#logger.error({ err, subject }, "bus subscription error");
        return;
      }
      try {
        const r: unknown = listener(toBusMessage(msg));
        if (r instanceof Promise) r.catch((e: unknown) => this.#logger.error({ err: e, subject: msg.subject }, "bus listener failed"));
      } catch (e) {
        this.#logger.error({ err: e, subject: msg.subject }, "bus listener failed");
      }
    });
  }

  async flush(): Promise<void> {
    if (this.#state === State.Closed) throw new BusClosedError("bus is closed");
    try {
      await this.connection.flush();
    } catch (err) {
      throw toBusError(err, "flush failed");
    }
  }

  /**
   * For readiness probes: true when the bus is open, the connection is up (not reconnecting) and
   * the server answers a PING now. Never throws; a probe bounds how long it waits.
   */
  async connected(): Promise<boolean> {
    if (this.#state !== State.Open || this.connection.isClosed() || this.connection.isDraining()) return false;
    try {
      // rtt() refuses at once while disconnected (flush() would wait for the reconnect).
      await this.connection.rtt();
      return true;
    } catch {
      return false;
    }
  }

  drain(): Promise<void> {
    if (this.#drained !== undefined) return this.#drained;
    if (this.#state === State.Closed) return Promise.resolve();
    this.#state = State.Draining;
    this.#drained = this.#drain();
    return this.#drained;
  }

  async close(): Promise<void> {
    if (this.#state !== State.Closed) {
      this.#state = State.Closed;
      this.#pending.failAll(new BusClosedError("bus closed"));
      this.#responders.release();
    }
    await this.connection.close().catch(() => {});
  }

  async #drain(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(r, this.#drainTimeoutMs, "timeout")));
    const graceful = async (): Promise<void> => {
      // Stop taking requests: UNSUB our subscriptions; messages already received are still handled.
      await Promise.all([...this.#subs].map((s) => s.drain().catch(() => {})));
      // Let responders finish and publish their replies.
      await this.#responders.idle();
      // Drains the reply inbox, flushes everything published, closes.
      if (this.#state === State.Draining) await this.connection.drain();
    };
    try {
      const outcome = await Promise.race([graceful().then(() => "done" as const), timedOut]);
      if (outcome === "timeout") this.#logger.warn({ timeoutMs: this.#drainTimeoutMs }, "bus drain timed out; closing");
    } catch (err) {
      this.#logger.warn({ err }, "bus drain failed; closing");
    } finally {
      clearTimeout(timer);
    }
    await this.close();
  }

  #subscribe(subject: string, queue: string | undefined, callback: (err: NatsError | null, msg: Msg) => void): BusSubscription {
    if (this.#state !== State.Open) throw new BusClosedError("bus is closed");
    checkSubject(subject, true);
    let sub: Subscription;
    try {
      sub = this.connection.subscribe(subject, queue === undefined ? { callback } : { queue, callback });
    } catch (err) {
      throw toBusError(err, `subscribe to ${subject} failed`);
    }
    this.#subs.add(sub);
    return {
      unsubscribe: () => {
        if (!this.#subs.delete(sub)) return;
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  #onRequest(msg: Msg, responder: BusResponder): void {
    if (this.#state === State.Closed) return;
    const reply = msg.reply ?? "";
    const busMsg = toBusMessage(msg);
    this.#responders.run(responder, busMsg, reply, this.#outcome);
  }

  #sendReply(reply: string, data: unknown, subject: string): void {
    // The responder declined: another member (of another group) answers, or nobody does.
    if (data === undefined) return;
    if (!(data instanceof Uint8Array)) {
      this.#responderFailed(new BusError(`responder returned ${typeof data}, not a Uint8Array`), subject);
      return;
    }
    // A publish (no reply subject) runs the responder too, as on NATS; close() drops late replies.
    if (reply === "" || this.#state === State.Closed) return;
    try {
      this.connection.publish(reply, data);
    } catch (err) {
      this.#logger.warn({ err, subject }, "bus reply not sent");
    }
  }

  #responderFailed(err: unknown, subject: string): void {
    this.#logger.error({ err, subject }, "bus responder failed; no reply sent");
  }



  readonly #onReply = (err: NatsError | null, msg: Msg): void => {
    if (err !== null) {
      this.#logger.error({ err }, "bus reply inbox error");
      return;
    }
    const token = msg.subject.substring(this.#replyPrefix.length);
    const data = plainView(msg.data);
    // NATS core: an empty message with status 503 on a reply subject means nobody was subscribed.
    if (data.length === 0 && msg.headers?.code === 503) this.#pending.noResponders(token);
    else this.#pending.resolve(token, data);
  };

  async #watchStatus(): Promise<void> {
    try {
      for await (const s of this.connection.status()) {
        switch (s.type) {
          case "disconnect":
            this.#connected = false;
            // Replies to requests in flight went with the connection: fail them now, not at their timeout.
            this.#pending.failAll(new BusUnavailableError("disconnected from NATS; reply lost"));
            this.#logger.warn({ server: s.data }, "bus disconnected from NATS; reconnecting");
            break;
          case "reconnect":
            this.#connected = true;
            this.#logger.info?.({ server: s.data }, "bus reconnected to NATS");
            break;
          case "error":
            this.#logger.error({ error: s.data, permissionContext: s.permissionContext }, "bus connection error");
            break;
          case "ldm":
            this.#logger.warn({ server: s.data }, "NATS server entering lame duck mode");
            break;
          case "staleConnection":
            this.#logger.warn({}, "bus connection stale (no PONG); reconnecting");
            break;
          default:
            // "update" (cluster servers changed), "reconnecting", "pingTimer": routine.
            break;
        }
      }
    } catch (err) {
      this.#logger.error({ err }, "bus status watcher failed");
    }
  }

  #onClosed(err: void | Error): void {
    this.#connected = false;
    if (err instanceof Error) this.#logger.error({ err }, "bus connection closed with an error");
    if (this.#state !== State.Closed) {
      this.#state = State.Closed;
      this.#responders.release();
    }
    this.#pending.failAll(new BusClosedError("bus closed"));
  }
}

function toBusMessage(msg: Msg): BusMessage {
  return { subject: msg.subject, data: plainView(msg.data), headers: fromNatsHeaders(msg.headers) };
}

function toNatsHeaders(h: BusHeaders): MsgHdrs | undefined {
  let out: MsgHdrs | undefined;
  for (const k in h) {
    out ??= natsHeaders();
    out.set(k, h[k] as string);
  }
  return out;
}

function fromNatsHeaders(h: MsgHdrs | undefined): BusHeaders | undefined {
  if (h === undefined) return undefined;
  const keys = h.keys();
  if (keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = h.get(k);
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** nats.js errors become Bus errors at this boundary. */
function toBusError(err: unknown, what: string): BusError {
  if (err instanceof BusError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "CONNECTION_CLOSED" || code === "CONNECTION_DRAINING") return new BusClosedError(`${what}: bus is closed`, { cause: err });
  return new BusError(`${what}: ${errorMessage(err)}`, { cause: err });
}

import { TransactionError } from "../errors.js";
import { BRANCH_MAGIC_COOKIE } from "../message/ids.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { ownText } from "../message/wire-text.js";
import { ClientInviteTransaction } from "./client-invite.js";
import { ClientNonInviteTransaction } from "./client-non-invite.js";
import { systemClock, type Clock } from "./clock.js";
import { ServerInviteTransaction } from "./server-invite.js";
import { ServerNonInviteTransaction } from "./server-non-invite.js";
import { DEFAULT_TIMERS, DEFAULT_TRYING_DELAY, type TransactionTimers } from "./timers.js";
import type { Transaction, TransactionContext, TransactionTransport } from "./transaction.js";
import {
  cancelTargetKey,
  clientTransactionKey,
  isRfc3261Branch,
  rfc2543AckKey,
  serverTransactionKey,
} from "./transaction-key.js";
import type { ClientTransaction, ClientTransactionUser, ServerTransaction, ServerTransactionUser } from "./transaction-user.js";

/**
 * The core above the transaction layer (UAS core, proxy core), as the layer sees it. Server
 * transactions report to it directly: it is their `ServerTransactionUser`.
 */
export interface TransactionLayerUser<Dest> extends ServerTransactionUser<Dest> {
  /** A request that created a new server transaction; answer it with `tx.respond()`. */
  onRequest(tx: ServerTransaction<Dest>, req: SipRequest): void;
  /**
   * An ACK that no transaction absorbs: the ACK for a 2xx, which matches no transaction (RFC
   * 3261 §17.2.3, new branch) or an INVITE server transaction in the Accepted state (RFC 6026
   * §7.1, then `tx` is that transaction).
   */
  onAck(ack: SipRequest, source: Dest, tx: ServerInviteTransaction<Dest> | undefined): void;
  /**
   * A response that matches no client transaction (RFC 3261 §18.1.2). A proxy forwards a 2xx to
   * INVITE statelessly (§16.7 as updated by RFC 6026); anything else is dropped.
   */
  onStrayResponse(res: SipResponse): void;
}

export interface TransactionLayerOptions {
  clock: Clock;
  timers: TransactionTimers;
  /**
   * Milliseconds after which a server INVITE transaction sends 100 Trying itself if the TU has
   * sent no response (RFC 3261 §17.2.1: 200); 0 sends it as soon as the clock runs, `false`
   * leaves 100 Trying to the TU.
   */
  tryingDelay: number | false;
}

export const DEFAULT_TRANSACTION_LAYER_OPTIONS: TransactionLayerOptions = {
  clock: systemClock,
  timers: DEFAULT_TIMERS,
  tryingDelay: DEFAULT_TRYING_DELAY,
};

/**
 * What `receiveRequest` did with a request: created a server transaction (and called
 * `onRequest`), handed it to the existing transaction it matched (a retransmission, or an ACK
 * for a non-2xx or to an Accepted transaction), or passed an ACK that matched nothing to `onAck`.
 */
export type RequestDisposition = "created" | "matched" | "ack";

/**
 * RFC 3261 §17 transaction layer: matches requests and responses to the transactions it holds,
 * creates server transactions for new requests and client transactions for the TU's requests,
 * and forgets transactions as they terminate. It has no routing policy: destinations (`Dest`) come
 * from the caller, and everything a transaction does not absorb goes to the TU.
 */
export class TransactionLayer<Dest> {
  private readonly servers = new Map<string, ServerTransaction<Dest>>();
  private readonly clients = new Map<string, ClientTransaction<Dest>>();
  /** RFC 2543 INVITE server transactions by `rfc2543AckKey`, for ACK matching (§17.2.3). */
  private readonly rfc2543Invites = new Map<string, ServerInviteTransaction<Dest>>();
  private readonly ctx: TransactionContext<Dest>;
  private readonly tu: TransactionLayerUser<Dest>;

  constructor(transport: TransactionTransport<Dest>, tu: TransactionLayerUser<Dest>, options: Partial<TransactionLayerOptions> = {}) {
    const o: TransactionLayerOptions = { ...DEFAULT_TRANSACTION_LAYER_OPTIONS, ...options };
    const d = o.tryingDelay;
    if (d !== false && (typeof d !== "number" || !Number.isFinite(d) || d < 0)) {
      throw new TransactionError(`TransactionLayer: tryingDelay must be false or a number of milliseconds >= 0, got ${String(d)}`);
    }
    this.tu = tu;
    this.ctx = {
      transport,
      clock: o.clock,
      timers: o.timers,
      tryingDelay: d,
      owner: { release: (tx) => this.release(tx) },
    };
  }

  /** Server transactions held. */
  get serverCount(): number {
    return this.servers.size;
  }

  /** Client transactions held. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** All transactions held. */
  get size(): number {
    return this.servers.size + this.clients.size;
  }

  /**
   * A request from the transport layer (RFC 3261 §18.2.1: "the server transport attempts to
   * match the request to a server transaction"). `source` is where responses to it go (the edge
   * applies §18.2.2 when making it); `reliable` says whether that transport is reliable.
   */
  receiveRequest(req: SipRequest, source: Dest, reliable: boolean): RequestDisposition {
    const key = serverTransactionKey(req);
    const method = req.method;
    if (method === "ACK") {
      const tx = this.matchAck(req, key);
      if (tx === undefined) {
        // §17.2.3 / RFC 6026 §8.10: a request that matches no transaction goes to the core; for an
        // ACK that is the ACK of a 2xx, which the UAS core or proxy core handles.
        this.tu.onAck(req, source, undefined);
        return "ack";
      }
      tx.receiveRequest(req, source);
      return "matched";
    }
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      // §17.2.3: "If a request matches a server transaction, the request is passed to that
      // transaction" — a retransmission, absorbed or answered with the last response.
      existing.receiveRequest(req, source);
      return "matched";
    }
    // Kept as long as the transaction (64*T1 after its final response): a key of its own, not
    // slices of the request's text (ownText); lookups use the slices and allocate nothing more.
    const id = ownText(key);
    let tx: ServerTransaction<Dest>;
    if (method === "INVITE") {
      const invite = new ServerInviteTransaction(this.ctx, req, source, reliable, this.tu, id);
      if (!isRfc3261Branch(req.topVia?.branch)) this.rfc2543Invites.set(ownText(rfc2543AckKey(req)), invite);
      tx = invite;
    } else {
      tx = new ServerNonInviteTransaction(this.ctx, req, source, reliable, this.tu, id);
    }
    this.servers.set(id, tx);
    this.tu.onRequest(tx, req);
    return "created";
  }

  /**
   * A response from the transport layer (§18.1.2): passed to the client transaction it matches
   * (§17.1.3), otherwise to `onStrayResponse`. Returns whether a transaction matched.
   */
  receiveResponse(res: SipResponse): boolean {
    const key = clientTransactionKey(res);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx === undefined) {
      this.tu.onStrayResponse(res);
      return false;
    }
    tx.receiveResponse(res);
    return true;
  }

  /**
   * Starts a client transaction for a request of the TU and sends it to `dest`. The request needs
   * an RFC 3261 branch that no other client transaction of this layer uses. ACK is refused: the
   * INVITE client transaction sends the ACK for a non-2xx itself (§17.1.1.3) and the ACK for a 2xx
   * is sent by the TU straight to the transport (§13.2.2.4).
   */
  sendRequest(req: SipRequest, dest: Dest, reliable: boolean, user: ClientTransactionUser<Dest>): ClientTransaction<Dest> {
    const method = req.method;
    if (method === "ACK") throw new TransactionError("sendRequest: ACK is not sent in a client transaction (RFC 3261 §17.1.1.3, §13.2.2.4)");
    const branch = req.topVia?.branch;
    if (!isRfc3261Branch(branch)) {
      throw new TransactionError(`sendRequest: the top Via branch must start with ${BRANCH_MAGIC_COOKIE} (RFC 3261 §8.1.1.7), got ${String(branch)}`);
    }
    if (req.cseq.method !== method) throw new TransactionError(`sendRequest: CSeq method ${req.cseq.method} differs from ${method}`);
    const key = ownText(clientTransactionKey(req) as string);
    if (this.clients.has(key)) throw new TransactionError(`sendRequest: a ${method} client transaction with branch ${branch} exists already`);
    const tx =
      method === "INVITE"
        ? new ClientInviteTransaction(this.ctx, req, dest, reliable, user, key)
        : new ClientNonInviteTransaction(this.ctx, req, dest, reliable, user, key);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * The INVITE server transaction a CANCEL targets (RFC 3261 §9.2: the transaction the CANCEL
   * would match were its method INVITE), or undefined when there is none (the TU answers the
   * CANCEL with 481).
   */
  findInviteServerTransaction(cancel: SipRequest): ServerInviteTransaction<Dest> | undefined {
    const tx = this.servers.get(cancelTargetKey(cancel));
    return tx instanceof ServerInviteTransaction ? tx : undefined;
  }

  /** Terminates every transaction (shutdown): timers stop, no timeouts are reported. */
  terminateAll(): void {
    for (const tx of [...this.servers.values(), ...this.clients.values()]) tx.terminate();
  }

  private matchAck(ack: SipRequest, key: string): ServerInviteTransaction<Dest> | undefined {
    if (isRfc3261Branch(ack.topVia?.branch)) {
      // §17.2.3: the ACK for a non-2xx carries the INVITE's branch; `key` is the INVITE's key.
      const tx = this.servers.get(key);
      return tx instanceof ServerInviteTransaction ? tx : undefined;
    }
    // §17.2.3, RFC 2543 fallback: "[...] and the To tag of the ACK matches the To tag of the
    // response sent by the server transaction."
    const tx = this.rfc2543Invites.get(key);
    const sent = tx?.lastResponse;
    if (tx === undefined || sent === undefined || sent.status < 200) return undefined;
    return sent.to.tag === ack.to.tag ? tx : undefined;
  }

  private release(tx: Transaction<Dest>): void {
    const key = tx.id;
    if (tx instanceof ClientInviteTransaction || tx instanceof ClientNonInviteTransaction) {
      if (this.clients.get(key) === tx) this.clients.delete(key);
      return;
    }
    if (this.servers.get(key) === tx) this.servers.delete(key);
    if (tx instanceof ServerInviteTransaction && !isRfc3261Branch(tx.request.topVia?.branch)) {
      const ackKey = rfc2543AckKey(tx.request);
      if (this.rfc2543Invites.get(ackKey) === tx) this.rfc2543Invites.delete(ackKey);
    }
  }
}

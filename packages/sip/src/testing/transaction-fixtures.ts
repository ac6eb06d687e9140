// Test fixtures for the transaction tests: a recording transport, recording TUs and messages.
// Not exported from the package.
import { createResponse } from "../message/build.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { parseMessage } from "../message/parse.js";
import { sip } from "./sip-text.js";
import { VirtualClock, type Clock } from "../transaction/clock.js";
import { deriveTimers, type TimerConfig } from "../transaction/timers.js";
import type { TransactionContext, TransactionTransport } from "../transaction/transaction.js";
import type { ClientTransaction, ClientTransactionUser, ServerTransaction, ServerTransactionUser } from "../transaction/transaction-user.js";
import type { ServerInviteTransaction } from "../transaction/server-invite.js";
import type { TransactionLayerUser } from "../transaction/transaction-layer.js";

export interface Sent {
  at: number;
  dest: string;
  msg: SipRequest | SipResponse;
}

/** Records every message sent, parsed, with the virtual time; can be told to fail. */
export class RecordingTransport implements TransactionTransport<string> {
  readonly sent: Sent[] = [];
  /** "throw": send() throws; "reject": send() returns a rejected promise (after recording). */
  fail: "throw" | "reject" | undefined;

  constructor(private readonly clock: Clock) {}

  send(bytes: Buffer, dest: string): void | Promise<void> {
    if (this.fail === "throw") throw new Error("socket closed");
    this.sent.push({ at: this.clock.now(), dest, msg: parseMessage(bytes) });
    if (this.fail === "reject") return Promise.reject(new Error("connection reset"));
    return undefined;
  }

  /** Start lines: "INVITE", "ACK", "486"... */
  get lines(): string[] {
    return this.sent.map((s) => (s.msg.isRequest ? s.msg.method : String(s.msg.status)));
  }

  get times(): number[] {
    return this.sent.map((s) => s.at);
  }

  last(): SipRequest | SipResponse {
    const s = this.sent[this.sent.length - 1];
    if (s === undefined) throw new Error("nothing sent");
    return s.msg;
  }

  clear(): void {
    this.sent.length = 0;
  }
}

/** A client TU that records what it is told, as "response 180", "timeout", "transport-error", "terminated". */
export class RecordingClientUser implements ClientTransactionUser<string> {
  readonly events: string[] = [];
  readonly responses: SipResponse[] = [];
  readonly errors: unknown[] = [];

  onResponse(res: SipResponse, _tx: ClientTransaction<string>): void {
    this.events.push(`response ${res.status}`);
    this.responses.push(res);
  }
  onTimeout(_tx: ClientTransaction<string>): void {
    this.events.push("timeout");
  }
  onTransportError(err: unknown, _tx: ClientTransaction<string>): void {
    this.events.push("transport-error");
    this.errors.push(err);
  }
  onTerminated(_tx: ClientTransaction<string>): void {
    this.events.push("terminated");
  }
}

/** A server TU (and layer TU) that records what it is told. */
export class RecordingServerUser implements ServerTransactionUser<string>, TransactionLayerUser<string> {
  readonly events: string[] = [];
  readonly acks: { ack: SipRequest; source: string; tx: ServerInviteTransaction<string> | undefined }[] = [];
  readonly requests: { tx: ServerTransaction<string>; req: SipRequest }[] = [];
  readonly stray: SipResponse[] = [];
  /** Called from onRequest, e.g. to answer synchronously. */
  onNewRequest: ((tx: ServerTransaction<string>, req: SipRequest) => void) | undefined;

  onRequest(tx: ServerTransaction<string>, req: SipRequest): void {
    this.events.push(`request ${req.method}`);
    this.requests.push({ tx, req });
    this.onNewRequest?.(tx, req);
  }
  onAck(ack: SipRequest, source: string, tx: ServerInviteTransaction<string> | undefined): void {
    this.events.push(tx === undefined ? "ack (no transaction)" : "ack");
    this.acks.push({ ack, source, tx });
  }
  onStrayResponse(res: SipResponse): void {
    this.events.push(`stray ${res.status}`);
    this.stray.push(res);
  }
  onTimeout(_tx: ServerInviteTransaction<string>): void {
    this.events.push("timeout");
  }
  onTransportError(_err: unknown, _tx: ServerTransaction<string>): void {
    this.events.push("transport-error");
  }
  onTerminated(_tx: ServerTransaction<string>): void {
    this.events.push("terminated");
  }
}

export interface Harness {
  clock: VirtualClock;
  transport: RecordingTransport;
  ctx: TransactionContext<string>;
}

export function harness(options: { timers?: TimerConfig; tryingDelay?: number | false } = {}): Harness {
  const clock = new VirtualClock();
  const transport = new RecordingTransport(clock);
  const ctx: TransactionContext<string> = {
    transport,
    clock,
    timers: deriveTimers(options.timers),
    tryingDelay: options.tryingDelay === undefined ? 200 : options.tryingDelay,
  };
  return { clock, transport, ctx };
}

export interface RequestOptions {
  branch?: string | null;
  /** Replaces the whole top Via value. */
  via?: string;
  uri?: string;
  toTag?: string;
  fromTag?: string;
  callId?: string;
  seq?: number;
  cseqMethod?: string;
}

/**
 * A request as a UAC in RFC 3261 §24.2 would send it, through one proxy (two Vias), with a Route.
 * `branch: null` leaves the branch out (an RFC 2543 client).
 */
export function request(method: string, o: RequestOptions = {}): SipRequest {
  const branch = o.branch === undefined ? "z9hG4bK776asdhds" : o.branch;
  const via = o.via ?? `SIP/2.0/UDP pc33.atlanta.example.com:5060${branch === null ? "" : `;branch=${branch}`}`;
  const toTag = o.toTag === undefined ? "" : `;tag=${o.toTag}`;
  const text =
    `${method} ${o.uri ?? "sip:bob@biloxi.example.com"} SIP/2.0\n` +
    `Via: ${via}\n` +
    `Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101\n` +
    `Max-Forwards: 69\n` +
    `Route: <sip:p2.biloxi.example.com;lr>\n` +
    `To: Bob <sip:bob@biloxi.example.com>${toTag}\n` +
    `From: Alice <sip:alice@atlanta.example.com>;tag=${o.fromTag ?? "1928301774"}\n` +
    `Call-ID: ${o.callId ?? "a84b4c76e66710@pc33.atlanta.example.com"}\n` +
    `CSeq: ${o.seq ?? 314159} ${o.cseqMethod ?? method}\n` +
    `Contact: <sip:alice@pc33.atlanta.example.com>\n` +
    `Content-Length: 0\n\n`;
  const m = parseMessage(sip(text));
  if (!m.isRequest) throw new Error("not a request");
  return m;
}

/** A response to `req` as the far end would send it. */
export function response(req: SipRequest, status: number, toTag = "a6c85cf"): SipResponse {
  return createResponse(req, status, { toTag });
}

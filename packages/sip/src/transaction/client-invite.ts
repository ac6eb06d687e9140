import { TransactionError } from "../errors.js";
import { createAck } from "../message/build.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { waitTime } from "./timers.js";
import { Transaction, type TransactionContext } from "./transaction.js";
import { clientTransactionKey } from "./transaction-key.js";
import { TransactionState } from "./transaction-state.js";
import type { ClientTransactionUser } from "./transaction-user.js";

const S = TransactionState;

/**
 * The INVITE client transaction of RFC 3261 §17.1.1 (Figure 5), with the Accepted state of
 * RFC 6026 §7.2: Calling → Proceeding → Completed (non-2xx, ACK sent here) or Accepted (2xx,
 * ACKed by the TU) → Terminated.
 */
export class ClientInviteTransaction<Dest> extends Transaction<Dest> {
  readonly user: ClientTransactionUser<Dest>;
  /** The ACK for the non-2xx final response, re-sent on each retransmission of that response. */
  private ack: Buffer | undefined;
  private started = false;

  constructor(
    ctx: TransactionContext<Dest>,
    request: SipRequest,
    dest: Dest,
    reliable: boolean,
    user: ClientTransactionUser<Dest>,
    id?: string,
  ) {
    if (request.method !== "INVITE") throw new TransactionError(`ClientInviteTransaction: ${request.method} is not an INVITE`);
    const key = id ?? clientTransactionKey(request);
    if (key === undefined) throw new TransactionError("ClientInviteTransaction: the request's top Via has no branch");
    // §17.1.1.2: "The initial state, "calling", MUST be entered when the TU initiates a new client
    // transaction with an INVITE request."
    super(ctx, request, dest, reliable, S.Calling, key);
    this.user = user;
  }

  /** Sends the INVITE and starts Timers A and B. Called once, by whoever created the transaction. */
  start(): void {
    switch (this.current) {
      case S.Calling: {
        if (this.started) throw new TransactionError("ClientInviteTransaction.start: already started");
        this.started = true;
        const timers = this.ctx.timers;
        // §17.1.1.2: "If an unreliable transport is being used, the client transaction MUST start
        // timer A with a value of T1. If a reliable transport is being used, the client transaction
        // SHOULD NOT start timer A [...]. For any transport, the client transaction MUST start timer
        // B with a value of 64*T1 seconds."
        if (!this.reliable) {
          this.interval = timers.A;
          this.sendTimer = this.ctx.clock.setTimer(timers.A, ClientInviteTransaction.timerAFired, this);
        }
        this.endTimer = this.ctx.clock.setTimer(timers.B, ClientInviteTransaction.timerBFired, this);
        // §17.1.1.2: "The client transaction MUST pass the request to the transport layer for
        // transmission."
        this.send(this.requestBytes);
        return;
      }
      case S.Proceeding:
      case S.Completed:
      case S.Accepted:
      case S.Terminated:
        throw new TransactionError(`ClientInviteTransaction.start: already started (state ${this.current})`);
      default:
        throw this.unexpectedState("start");
    }
  }

  /** A response the transport layer matched to this transaction (§17.1.3). */
  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this.current) {
      case S.Calling:
      case S.Proceeding:
        if (status < 200) {
          // §17.1.1.2: "If the client transaction receives a provisional response while in the
          // "Calling" state, it transitions to the "Proceeding" state. In the "Proceeding" state,
          // the client transaction SHOULD NOT retransmit the request any longer. Furthermore, the
          // provisional response MUST be passed to the TU. Any further provisional responses MUST
          // be passed up to the TU while in the "Proceeding" state." Timer B only acts in Calling.
          this.stopTimers();
          this.current = S.Proceeding;
          this.user.onResponse(res, this);
        } else if (status < 300) {
          // RFC 6026 §8.4: "When a 2xx response is received while in either the "Calling" or
          // "Proceeding" states, the client transaction MUST transition to the "Accepted" state,
          // and Timer M MUST be started with a value of 64*T1. The 2xx response MUST be
          // passed up to the TU. The client transaction MUST NOT generate an ACK to the 2xx
          // response -- its handling is delegated to the TU."
          this.stopTimers();
          this.current = S.Accepted;
          this.endTimer = this.ctx.clock.setTimer(this.ctx.timers.M, ClientInviteTransaction.timerMFired, this);
          this.user.onResponse(res, this);
          this.linger();
        } else {
          // §17.1.1.2: "When in either the "Calling" or "Proceeding" states, reception of a
          // response with status code from 300-699 MUST cause the client transaction to transition
          // to "Completed". The client transaction MUST pass the received response up to the TU,
          // and the client transaction MUST generate an ACK request, even if the transport is
          // reliable [...]. The client transaction SHOULD start timer D when it enters the
          // "Completed" state, with a value of at least 32 seconds for unreliable transports, and
          // a value of zero seconds for reliable transports."
          this.stopTimers();
          this.current = S.Completed;
          const ack = createAck(this.request, res).bytes;
          this.ack = ack;
          const d = waitTime(this.ctx.timers, "D", this.reliable);
          if (d > 0) this.endTimer = this.ctx.clock.setTimer(d, ClientInviteTransaction.timerDFired, this);
          this.user.onResponse(res, this);
          this.linger();
          // "The ACK MUST be sent to the same address, port, and transport to which the original
          // request was sent."
          if (this.isTerminated() || !this.send(ack)) return;
          if (d === 0 && !this.isTerminated()) this.end();
        }
        return;
      case S.Completed:
        if (status >= 300) {
          // §17.1.1.2: "Any retransmissions of the final response that are received while in the
          // "Completed" state MUST cause the ACK to be re-passed to the transport layer for
          // retransmission, but the newly received response MUST NOT be passed up to the TU."
          if (this.ack !== undefined) this.send(this.ack);
        } else if (status >= 200) {
          // A 2xx from another branch of a forked INVITE after a non-2xx: a 2xx must reach the
          // TU (§13.2.2.4 UAC: ACK it; §16.7 step 5 proxy: forward it); the state does not change.
          this.user.onResponse(res, this);
        }
        // A late provisional response is discarded.
        return;
      case S.Accepted:
        // RFC 6026 §8.4: "Any 2xx responses that match this client transaction and that are
        // received while in the "Accepted" state MUST be passed up to the TU. The client
        // transaction MUST NOT generate an ACK to the 2xx response. The client transaction takes
        // no further action." Other responses are discarded.
        if (status >= 200 && status < 300) this.user.onResponse(res, this);
        return;
      case S.Terminated:
        // §17.1.1.2: the transaction no longer exists; the layer does not route here.
        return;
      default:
        throw this.unexpectedState("response");
    }
  }

  private timerA(): void {
    this.sendTimer = undefined;
    switch (this.current) {
      case S.Calling:
        // §17.1.1.2: "When timer A fires, the client transaction MUST retransmit the request by
        // passing it to the transport layer, and MUST reset the timer with a value of 2*T1. [...]
        // This process MUST continue so that the request is retransmitted with intervals that
        // double after each transmission." Not capped: Timer B ends it.
        this.interval *= 2;
        this.sendTimer = this.ctx.clock.setTimer(this.interval, ClientInviteTransaction.timerAFired, this);
        this.send(this.requestBytes);
        return;
      case S.Proceeding:
      case S.Completed:
      case S.Accepted:
      case S.Terminated:
        // Timer A is stopped on leaving Calling.
        return;
      default:
        throw this.unexpectedState("Timer A");
    }
  }

  private timerB(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Calling:
        // §17.1.1.2: "If the client transaction is still in the "Calling" state when timer B
        // fires, the client transaction SHOULD inform the TU that a timeout has occurred. The
        // client transaction MUST NOT generate an ACK."
        this.enterTerminated();
        this.user.onTimeout(this);
        this.user.onTerminated?.(this);
        return;
      case S.Proceeding:
      case S.Completed:
      case S.Accepted:
      case S.Terminated:
        // Timer B is stopped on leaving Calling.
        return;
      default:
        throw this.unexpectedState("Timer B");
    }
  }

  private timerD(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Completed:
        // §17.1.1.2: "If timer D fires while the client transaction is in the "Completed" state,
        // the client transaction MUST move to the terminated state."
        this.end();
        return;
      case S.Calling:
      case S.Proceeding:
      case S.Accepted:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer D");
    }
  }

  private timerM(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Accepted:
        // RFC 6026 §8.4: "If Timer M fires while the client transaction is in the "Accepted"
        // state, the client transaction MUST move to the "Terminated" state."
        this.end();
        return;
      case S.Calling:
      case S.Proceeding:
      case S.Completed:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer M");
    }
  }

  protected transportError(err: unknown): void {
    switch (this.current) {
      case S.Calling:
      case S.Proceeding:
      case S.Completed:
        // §17.1.4: "In general, the client transaction SHOULD inform the TU that a transport
        // failure has occurred, and the client transaction SHOULD transition directly to the
        // "Terminated" state."
        this.enterTerminated();
        this.user.onTransportError(err, this);
        this.user.onTerminated?.(this);
        return;
      case S.Accepted:
        // Nothing is sent in Accepted: a late failure of an earlier send changes nothing for a TU
        // that already has its 2xx.
        return;
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("transport error");
    }
  }

  protected notifyTerminated(): void {
    this.user.onTerminated?.(this);
  }

  // Timer callbacks get the transaction as argument: arming a timer allocates no closure.
  private static timerAFired<D>(tx: ClientInviteTransaction<D>): void {
    tx.timerA();
  }

  private static timerBFired<D>(tx: ClientInviteTransaction<D>): void {
    tx.timerB();
  }

  private static timerDFired<D>(tx: ClientInviteTransaction<D>): void {
    tx.timerD();
  }

  private static timerMFired<D>(tx: ClientInviteTransaction<D>): void {
    tx.timerM();
  }
}


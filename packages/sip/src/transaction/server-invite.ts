import { TransactionError } from "../errors.js";
import { createResponse } from "../message/build.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { KeptMessage } from "./kept-message.js";
import { waitTime } from "./timers.js";
import { Transaction, type TransactionContext } from "./transaction.js";
import { serverTransactionKey } from "./transaction-key.js";
import { TransactionState } from "./transaction-state.js";
import type { ServerTransactionUser } from "./transaction-user.js";

const S = TransactionState;

/**
 * The INVITE server transaction of RFC 3261 §17.2.1 (Figure 7), with the Accepted state of
 * RFC 6026 §7.1: Proceeding → Completed (non-2xx) → Confirmed (ACK) → Terminated, or
 * Proceeding → Accepted (2xx) → Terminated. It sends 100 Trying itself when the TU is slow.
 */
export class ServerInviteTransaction<Dest> extends Transaction<Dest> {
  readonly user: ServerTransactionUser<Dest>;
  private last: KeptMessage<SipResponse> | undefined;

  constructor(
    ctx: TransactionContext<Dest>,
    request: SipRequest,
    dest: Dest,
    reliable: boolean,
    user: ServerTransactionUser<Dest>,
    id?: string,
  ) {
    if (request.method !== "INVITE") throw new TransactionError(`ServerInviteTransaction: ${request.method} is not an INVITE`);
    // §17.2.1: "When a server transaction is constructed for a request, it enters the
    // "Proceeding" state."
    super(ctx, request, dest, reliable, S.Proceeding, id ?? serverTransactionKey(request));
    this.user = user;
    // §17.2.1: "The server transaction MUST generate a 100 (Trying) response unless it knows that
    // the TU will generate a provisional or final response within 200 ms".
    const delay = ctx.tryingDelay;
    if (delay !== false) this.sendTimer = ctx.clock.setTimer(delay, ServerInviteTransaction.tryingTimerFired, this);
  }

  /** The most recent response sent: retransmitted on request retransmissions. */
  get lastResponse(): SipResponse | undefined {
    return this.last?.message;
  }

  /** A retransmission of the INVITE, or an ACK, that the transport layer matched here (§17.2.3). */
  receiveRequest(req: SipRequest, source: Dest): void {
    const method = req.method;
    if (method === "ACK") return this.receiveAck(req, source);
    if (method !== "INVITE") throw new TransactionError(`ServerInviteTransaction: a ${method} does not belong to an INVITE transaction`);
    switch (this.current) {
      case S.Proceeding:
        // §17.2.1: "If a request retransmission is received while in the "Proceeding" state, the
        // most recent provisional response that was received from the TU MUST be passed to the
        // transport layer for retransmission."
        if (this.last !== undefined) this.send(this.last.bytes);
        return;
      case S.Completed:
        // §17.2.1: "while in the "Completed" state, if a request retransmission is received, the
        // server SHOULD pass the response to the transport for retransmission."
        if (this.last !== undefined) this.send(this.last.bytes);
        return;
      case S.Confirmed:
        // §17.2.1: the "Confirmed" state absorbs what arrives late; the ACK has been received.
        return;
      case S.Accepted:
        // RFC 6026 §7.1: "While in the "Accepted" state, any retransmissions of the INVITE
        // received will match this transaction state machine and will be absorbed by the machine
        // without changing its state. These retransmissions are not passed onto the TU."
        return;
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("INVITE");
    }
  }

  private receiveAck(ack: SipRequest, source: Dest): void {
    switch (this.current) {
      case S.Proceeding:
        // No final response has been sent: there is nothing for this ACK to acknowledge.
        return;
      case S.Completed: {
        // §17.2.1: "If an ACK is received while the server transaction is in the "Completed"
        // state, the server transaction MUST transition to the "Confirmed" state. As Timer G is
        // ignored in this state, any retransmissions of the response will cease. [...] When this
        // state is entered, timer I is set to fire in T4 seconds for unreliable transports, and
        // zero seconds for reliable transports."
        this.stopTimers();
        this.current = S.Confirmed;
        const i = waitTime(this.ctx.timers, "I", this.reliable);
        if (i > 0) this.endTimer = this.ctx.clock.setTimer(i, ServerInviteTransaction.timerIFired, this);
        else this.end();
        return;
      }
      case S.Confirmed:
        // §17.2.1: "The purpose of the "Confirmed" state is to absorb any additional ACK messages
        // that arrive, triggered from retransmissions of the final response."
        return;
      case S.Accepted:
        // RFC 6026 §7.1: "Any ACKs received from the network while in the "Accepted" state MUST
        // be passed directly to the TU and not absorbed."
        this.user.onAck(ack, source, this);
        return;
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("ACK");
    }
  }

  /**
   * Sends a response from the TU. Throws `TransactionError` when the state does not allow it: a
   * provisional or non-2xx final after a final response, anything once terminated.
   */
  respond(res: SipResponse): void {
    const status = res.status;
    if (res.cseq.method !== "INVITE") {
      throw new TransactionError(`ServerInviteTransaction.respond: response CSeq method ${res.cseq.method} is not INVITE`);
    }
    switch (this.current) {
      case S.Proceeding:
        if (status < 200) {
          // §17.2.1: "The TU passes any number of provisional responses to the server
          // transaction. So long as the server transaction is in the "Proceeding" state, each of
          // these MUST be passed to the transport layer for transmission." The TU has answered,
          // so the transaction's own 100 Trying is no longer due.
          this.stopSendTimer();
          this.last = new KeptMessage(res);
          this.send(res.bytes);
        } else if (status < 300) {
          // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx response to
          // the server transaction, the server transaction MUST pass this response to the
          // transport layer for transmission. It is not retransmitted by the server transaction;
          // retransmissions of 2xx responses are handled by the TU. The server transaction MUST
          // then transition to the "Accepted" state." RFC 6026 §8.7: "When the INVITE server
          // transaction enters the "Accepted" state, Timer L MUST be set to fire in 64*T1 for all
          // transports."
          this.stopTimers();
          this.current = S.Accepted;
          this.last = new KeptMessage(res);
          this.endTimer = this.ctx.clock.setTimer(this.ctx.timers.L, ServerInviteTransaction.timerLFired, this);
          this.send(res.bytes);
          this.linger(this.last);
        } else {
          // §17.2.1: "While in the "Proceeding" state, if the TU passes a response with status
          // code from 300 to 699 to the server transaction, the response MUST be passed to the
          // transport layer for transmission, and the state machine MUST enter the "Completed"
          // state. For unreliable transports, timer G is set to fire in T1 seconds, and is not set
          // to fire for reliable transports. [...] When the "Completed" state is entered, timer H
          // MUST be set to fire in 64*T1 seconds for all transports."
          this.stopTimers();
          this.current = S.Completed;
          this.last = new KeptMessage(res);
          const timers = this.ctx.timers;
          if (!this.reliable) {
            this.interval = timers.G;
            this.sendTimer = this.ctx.clock.setTimer(timers.G, ServerInviteTransaction.timerGFired, this);
          }
          this.endTimer = this.ctx.clock.setTimer(timers.H, ServerInviteTransaction.timerHFired, this);
          this.send(res.bytes);
          this.linger(this.last);
        }
        return;
      case S.Accepted:
        // RFC 6026 §7.1: "The server transaction MUST NOT generate 2xx retransmissions on its
        // own. Any retransmission of the 2xx response passed from the TU to the transaction while
        // in the "Accepted" state MUST be passed to the transport layer for transmission." The
        // same goes for the 2xx of other branches a proxy forwards.
        if (status < 200 || status >= 300) throw this.illegal(status);
        this.last = new KeptMessage(res);
        this.send(res.bytes);
        this.last.shed();
        return;
      case S.Completed:
      case S.Confirmed:
      case S.Terminated:
        // §17.2.1: once a non-2xx final response is sent, the transaction only retransmits it.
        throw this.illegal(status);
      default:
        throw this.unexpectedState("response from TU");
    }
  }

  private tryingTimer(): void {
    this.sendTimer = undefined;
    switch (this.current) {
      case S.Proceeding:
        // §17.2.1: "send 100 if TU won't in 200 ms" (Figure 7). The timer is stopped when the TU
        // sends a response, so none has been sent yet.
        if (this.last === undefined) {
          const trying = createResponse(this.request, 100);
          this.last = new KeptMessage(trying);
          this.send(trying.bytes);
        }
        return;
      case S.Completed:
      case S.Confirmed:
      case S.Accepted:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("100 Trying delay");
    }
  }

  private timerG(): void {
    this.sendTimer = undefined;
    switch (this.current) {
      case S.Completed:
        // §17.2.1: "If timer G fires, the response is passed to the transport layer once more for
        // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds. From then on, when
        // timer G fires, the response is passed to the transport again for transmission, and
        // timer G is reset with a value that doubles, unless that value exceeds T2, in which case
        // it is reset with the value of T2."
        this.interval = Math.min(2 * this.interval, this.ctx.timers.t2);
        this.sendTimer = this.ctx.clock.setTimer(this.interval, ServerInviteTransaction.timerGFired, this);
        if (this.last !== undefined) this.send(this.last.bytes);
        return;
      case S.Proceeding:
      case S.Confirmed:
      case S.Accepted:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer G");
    }
  }

  private timerH(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Completed:
        // §17.2.1: "If timer H fires while in the "Completed" state, it implies that the ACK was
        // never received. In this case, the server transaction MUST transition to the
        // "Terminated" state, and MUST indicate to the TU that a transaction failure has
        // occurred."
        this.enterTerminated();
        this.user.onTimeout(this);
        this.user.onTerminated?.(this);
        return;
      case S.Proceeding:
      case S.Confirmed:
      case S.Accepted:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer H");
    }
  }

  private timerI(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Confirmed:
        // §17.2.1: "Once timer I fires, the server MUST transition to the "Terminated" state."
        this.end();
        return;
      case S.Proceeding:
      case S.Completed:
      case S.Accepted:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer I");
    }
  }

  private timerL(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Accepted:
        // RFC 6026 §7.1: "When Timer L fires and the state machine is in the "Accepted" state,
        // the machine MUST transition to the "Terminated" state."
        this.end();
        return;
      case S.Proceeding:
      case S.Completed:
      case S.Confirmed:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer L");
    }
  }

  protected transportError(err: unknown): void {
    switch (this.current) {
      case S.Proceeding:
      case S.Completed:
      case S.Confirmed:
      case S.Accepted:
        // RFC 6026 §7.1: "A server transaction MUST NOT discard transaction state based only on
        // encountering a non-recoverable transport error when sending a response. Instead, the
        // associated INVITE server transaction state machine MUST remain in its current state.
        // (Timers will eventually cause it to transition to the "Terminated" state)." RFC 6026
        // §8.8 (§17.2.4): "the server transaction SHOULD inform the TU that a failure has
        // occurred, and MUST remain in the current state."
        this.user.onTransportError(err, this);
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

  private illegal(status: number): TransactionError {
    return new TransactionError(`ServerInviteTransaction.respond: cannot send ${status} in state ${this.current}`);
  }

  // Timer callbacks get the transaction as argument: arming a timer allocates no closure.
  private static timerGFired<D>(tx: ServerInviteTransaction<D>): void {
    tx.timerG();
  }

  private static timerHFired<D>(tx: ServerInviteTransaction<D>): void {
    tx.timerH();
  }

  private static timerIFired<D>(tx: ServerInviteTransaction<D>): void {
    tx.timerI();
  }

  private static timerLFired<D>(tx: ServerInviteTransaction<D>): void {
    tx.timerL();
  }

  private static tryingTimerFired<D>(tx: ServerInviteTransaction<D>): void {
    tx.tryingTimer();
  }
}


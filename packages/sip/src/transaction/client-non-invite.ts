import { TransactionError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { waitTime } from "./timers.js";
import { Transaction, type TransactionContext } from "./transaction.js";
import { clientTransactionKey } from "./transaction-key.js";
import { TransactionState } from "./transaction-state.js";
import type { ClientTransactionUser } from "./transaction-user.js";

const S = TransactionState;

/**
 * The non-INVITE client transaction of RFC 3261 §17.1.2 (Figure 6): Trying → Proceeding →
 * Completed → Terminated, with Timer E retransmissions capped at T2 and Timer F as the timeout.
 */
export class ClientNonInviteTransaction<Dest> extends Transaction<Dest> {
  readonly user: ClientTransactionUser<Dest>;
  private started = false;

  constructor(
    ctx: TransactionContext<Dest>,
    request: SipRequest,
    dest: Dest,
    reliable: boolean,
    user: ClientTransactionUser<Dest>,
    id?: string,
  ) {
    const method = request.method;
    if (method === "INVITE" || method === "ACK") {
      throw new TransactionError(`ClientNonInviteTransaction: ${method} cannot use a non-INVITE client transaction`);
    }
    const key = id ?? clientTransactionKey(request);
    if (key === undefined) throw new TransactionError("ClientNonInviteTransaction: the request's top Via has no branch");
    // §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client transaction
    // with a request."
    super(ctx, request, dest, reliable, S.Trying, key);
    this.user = user;
  }

  /** Sends the request and starts Timers E and F. Called once, by whoever created the transaction. */
  start(): void {
    switch (this.current) {
      case S.Trying: {
        if (this.started) throw new TransactionError("ClientNonInviteTransaction.start: already started");
        this.started = true;
        const timers = this.ctx.timers;
        // §17.1.2.2: "When entering this state, the client transaction SHOULD set timer F to fire
        // in 64*T1 seconds. The request MUST be passed to the transport layer for transmission. If
        // an unreliable transport is in use, the client transaction MUST set timer E to fire in T1
        // seconds."
        this.endTimer = this.ctx.clock.setTimer(timers.F, ClientNonInviteTransaction.timerFFired, this);
        if (!this.reliable) {
          this.interval = timers.E;
          this.sendTimer = this.ctx.clock.setTimer(timers.E, ClientNonInviteTransaction.timerEFired, this);
        }
        this.send(this.requestBytes);
        return;
      }
      case S.Proceeding:
      case S.Completed:
      case S.Terminated:
        throw new TransactionError(`ClientNonInviteTransaction.start: already started (state ${this.current})`);
      default:
        throw this.unexpectedState("start");
    }
  }

  /** A response the transport layer matched to this transaction (§17.1.3). */
  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this.current) {
      case S.Trying:
      case S.Proceeding:
        if (status < 200) {
          // §17.1.2.2: "If a provisional response is received while in the "Trying" state, the
          // response MUST be passed to the TU, and then the client transaction SHOULD move to the
          // "Proceeding" state." In Proceeding: "any further provisional responses MUST be passed
          // up to the TU". Timers E and F keep running.
          this.current = S.Proceeding;
          this.user.onResponse(res, this);
        } else {
          // §17.1.2.2: "If a final response (status codes 200-699) is received while in the
          // "Trying" [or "Proceeding"] state, the response MUST be passed to the TU, and the
          // client transaction MUST transition to the "Completed" state. [...] Once the client
          // transaction enters the "Completed" state, it MUST set Timer K to fire in T4 seconds
          // for unreliable transports, and zero seconds for reliable transports."
          this.stopTimers();
          this.current = S.Completed;
          const k = waitTime(this.ctx.timers, "K", this.reliable);
          if (k > 0) this.endTimer = this.ctx.clock.setTimer(k, ClientNonInviteTransaction.timerKFired, this);
          this.user.onResponse(res, this);
          this.linger();
          if (k === 0 && !this.isTerminated()) this.end();
        }
        return;
      case S.Completed:
        // §17.1.2.2: "The "Completed" state exists to buffer any additional response
        // retransmissions that may be received": they are absorbed.
        return;
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("response");
    }
  }

  private timerE(): void {
    this.sendTimer = undefined;
    switch (this.current) {
      case S.Trying:
        // §17.1.2.2: "If timer E fires while still in this state, the timer is reset, but this
        // time with a value of MIN(2*T1, T2). When the timer fires again, it is reset to a
        // MIN(4*T1, T2). This process continues so that retransmissions occur with an
        // exponentially increasing interval that caps at T2."
        this.interval = Math.min(2 * this.interval, this.ctx.timers.t2);
        this.sendTimer = this.ctx.clock.setTimer(this.interval, ClientNonInviteTransaction.timerEFired, this);
        this.send(this.requestBytes);
        return;
      case S.Proceeding:
        // §17.1.2.2: "If Timer E fires while in the "Proceeding" state, the request MUST be passed
        // to the transport layer for retransmission, and Timer E MUST be reset with a value of T2
        // seconds."
        this.interval = this.ctx.timers.t2;
        this.sendTimer = this.ctx.clock.setTimer(this.interval, ClientNonInviteTransaction.timerEFired, this);
        this.send(this.requestBytes);
        return;
      case S.Completed:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer E");
    }
  }

  private timerF(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Trying:
      case S.Proceeding:
        // §17.1.2.2: "If Timer F fires while the client transaction is still in the "Trying"
        // state, the client transaction SHOULD inform the TU about the timeout, and then it SHOULD
        // enter the "Terminated" state. [...] If timer F fires while in the "Proceeding" state,
        // the TU MUST be informed of a timeout, and the client transaction MUST transition to the
        // terminated state."
        this.enterTerminated();
        this.user.onTimeout(this);
        this.user.onTerminated?.(this);
        return;
      case S.Completed:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer F");
    }
  }

  private timerK(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Completed:
        // §17.1.2.2: "If Timer K fires while in this state, the client transaction MUST
        // transition to the "Terminated" state."
        this.end();
        return;
      case S.Trying:
      case S.Proceeding:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer K");
    }
  }

  protected transportError(err: unknown): void {
    switch (this.current) {
      case S.Trying:
      case S.Proceeding:
        // §17.1.4: "In general, the client transaction SHOULD inform the TU that a transport
        // failure has occurred, and the client transaction SHOULD transition directly to the
        // "Terminated" state."
        this.enterTerminated();
        this.user.onTransportError(err, this);
        this.user.onTerminated?.(this);
        return;
      case S.Completed:
        // Nothing is sent in Completed; a late failure of an earlier send is moot.
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
  private static timerEFired<D>(tx: ClientNonInviteTransaction<D>): void {
    tx.timerE();
  }

  private static timerFFired<D>(tx: ClientNonInviteTransaction<D>): void {
    tx.timerF();
  }

  private static timerKFired<D>(tx: ClientNonInviteTransaction<D>): void {
    tx.timerK();
  }
}


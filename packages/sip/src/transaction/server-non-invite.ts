import { TransactionError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { KeptMessage } from "./kept-message.js";
import { waitTime } from "./timers.js";
import { Transaction, type TransactionContext } from "./transaction.js";
import { serverTransactionKey } from "./transaction-key.js";
import { TransactionState } from "./transaction-state.js";
import type { ServerTransactionUser } from "./transaction-user.js";

const S = TransactionState;

/**
 * The non-INVITE server transaction of RFC 3261 §17.2.2 (Figure 8): Trying → Proceeding →
 * Completed → Terminated. CANCEL is one of these (§9.2), as is every request but INVITE and ACK.
 */
export class ServerNonInviteTransaction<Dest> extends Transaction<Dest> {
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
    const method = request.method;
    if (method === "INVITE" || method === "ACK") {
      throw new TransactionError(`ServerNonInviteTransaction: ${method} cannot use a non-INVITE server transaction`);
    }
    // §17.2.2: "The state machine is initialized in the "Trying" state and is passed a request
    // other than INVITE or ACK when initialized. This request is passed up to the TU."
    super(ctx, request, dest, reliable, S.Trying, id ?? serverTransactionKey(request));
    this.user = user;
  }

  /** The most recent response sent: retransmitted on request retransmissions. */
  get lastResponse(): SipResponse | undefined {
    return this.last?.message;
  }

  /** A retransmission of the request that the transport layer matched here (§17.2.3). */
  receiveRequest(req: SipRequest, _source: Dest): void {
    if (req.method !== this.method) {
      throw new TransactionError(`ServerNonInviteTransaction: a ${req.method} does not belong to a ${this.method} transaction`);
    }
    switch (this.current) {
      case S.Trying:
        // §17.2.2: "Once in the "Trying" state, any further request retransmissions are
        // discarded."
        return;
      case S.Proceeding:
        // §17.2.2: "If a retransmission of the request is received while in the "Proceeding"
        // state, the most recently sent provisional response MUST be passed to the transport
        // layer for retransmission."
        if (this.last !== undefined) this.send(this.last.bytes);
        return;
      case S.Completed:
        // §17.2.2: "While in the "Completed" state, the server transaction MUST pass the final
        // response to the transport layer for retransmission whenever a retransmission of the
        // request is received."
        if (this.last !== undefined) this.send(this.last.bytes);
        return;
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("request");
    }
  }

  /**
   * Sends a response from the TU. Throws `TransactionError` after a final response, where
   * §17.2.2 has the transaction discard what the TU passes ("Any other final responses passed
   * by the TU to the server transaction MUST be discarded while in the "Completed" state"): the
   * response is not sent either way, and the TU learns of its mistake.
   */
  respond(res: SipResponse): void {
    const status = res.status;
    if (res.cseq.method !== this.method) {
      throw new TransactionError(
        `ServerNonInviteTransaction.respond: response CSeq method ${res.cseq.method} is not ${this.method}`,
      );
    }
    switch (this.current) {
      case S.Trying:
      case S.Proceeding:
        if (status < 200) {
          // §17.2.2: "While in the "Trying" state, if the TU passes a provisional response to the
          // server transaction, the server transaction MUST enter the "Proceeding" state. The
          // response MUST be passed to the transport layer for transmission. Any further
          // provisional responses that are received from the TU while in the "Proceeding" state
          // MUST be passed to the transport layer for transmission."
          this.current = S.Proceeding;
          this.last = new KeptMessage(res);
          this.send(res.bytes);
        } else {
          // §17.2.2: "If the TU passes a final response (status codes 200-699) to the server while
          // in the "Proceeding" state, the transaction MUST enter the "Completed" state, and the
          // response MUST be passed to the transport layer for transmission." (Figure 8: the same
          // from "Trying".) "When the server transaction enters the "Completed" state, it MUST set
          // Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds for
          // reliable transports."
          this.current = S.Completed;
          this.last = new KeptMessage(res);
          const j = waitTime(this.ctx.timers, "J", this.reliable);
          if (j > 0) this.endTimer = this.ctx.clock.setTimer(j, ServerNonInviteTransaction.timerJFired, this);
          this.send(res.bytes);
          this.linger(this.last);
          if (j === 0 && !this.isTerminated()) this.end();
        }
        return;
      case S.Completed:
      case S.Terminated:
        throw new TransactionError(`ServerNonInviteTransaction.respond: cannot send ${status} in state ${this.current}`);
      default:
        throw this.unexpectedState("response from TU");
    }
  }

  private timerJ(): void {
    this.endTimer = undefined;
    switch (this.current) {
      case S.Completed:
        // §17.2.2: "The server transaction remains in this state until Timer J fires, at which
        // point it MUST transition to the "Terminated" state."
        this.end();
        return;
      case S.Trying:
      case S.Proceeding:
      case S.Terminated:
        return;
      default:
        throw this.unexpectedState("Timer J");
    }
  }

  protected transportError(err: unknown): void {
    switch (this.current) {
      case S.Trying:
      case S.Proceeding:
      case S.Completed:
        // RFC 6026 §8.8, replacing the end of RFC 3261 §17.2.4: "the server transaction SHOULD
        // inform the TU that a failure has occurred, and MUST remain in the current state." It
        // keeps absorbing retransmissions of the request; Timer J (after the final response) ends it.
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

  // Timer callbacks get the transaction as argument: arming a timer allocates no closure.
  private static timerJFired<D>(tx: ServerNonInviteTransaction<D>): void {
    tx.timerJ();
  }
}


import { TransactionError } from "../errors.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import type { Clock, TimerHandle } from "./clock.js";
import type { TransactionTimers } from "./timers.js";
import { KeptMessage } from "./kept-message.js";
import { TransactionState } from "./transaction-state.js";

/**
 * What the transactions need from the transport layer below them (owned here, implemented by the
 * edge). `Dest` is the edge's own address or flow type; the transactions only hand it back.
 */
export interface TransactionTransport<Dest> {
  /**
   * Writes one message. A failure is reported by throwing or by returning a rejected promise; the
   * transaction then informs its TU (RFC 3261 §17.1.4, §17.2.4).
   */
  send(bytes: Buffer, dest: Dest): void | Promise<void>;
}

/** Told when a transaction ends, so that whoever indexes it (the layer) can forget it. */
export interface TransactionOwner<Dest> {
  /** Called once, when the transaction enters Terminated, before the TU's `onTerminated`. */
  release(tx: Transaction<Dest>): void;
}

/** What every transaction of one layer shares; one object per layer, not per transaction. */
export interface TransactionContext<Dest> {
  readonly transport: TransactionTransport<Dest>;
  readonly clock: Clock;
  readonly timers: TransactionTimers;
  /**
   * Server INVITE transactions send 100 Trying themselves when the TU has sent no response this
   * many milliseconds after the request arrived (RFC 3261 §17.2.1); `false` never does.
   */
  readonly tryingDelay: number | false;
  readonly owner?: TransactionOwner<Dest> | undefined;
}

/**
 * What the four state machines share: the request, where to send, the two timer slots and the
 * transport-error plumbing. Each subclass holds its RFC 3261 §17 state machine.
 */
export abstract class Transaction<Dest> {
  /** The matching key (transaction-key.ts) the layer indexes this transaction under. */
  readonly id: string;
  /** The request that created the transaction: parsed, or only its bytes once the transaction waits. */
  private readonly kept: KeptMessage<SipRequest>;
  /** The request's method. */
  readonly method: string;
  /** Where this transaction sends: the request's next hop (client) or where responses go (server). */
  readonly dest: Dest;
  /** Reliable transports skip retransmissions and the D, I, J, K waits (RFC 3261 §17). */
  readonly reliable: boolean;
  protected readonly ctx: TransactionContext<Dest>;
  protected current: TransactionState;
  /** Timer A, E, G or the 100 Trying delay: the timers that make the transaction send. */
  protected sendTimer: TimerHandle | undefined;
  /** Timer B, D, F, H, I, J, K, L or M: the timers that end a state. */
  protected endTimer: TimerHandle | undefined;
  /** The interval Timer A, E or G runs with next. */
  protected interval = 0;

  protected constructor(
    ctx: TransactionContext<Dest>,
    request: SipRequest,
    dest: Dest,
    reliable: boolean,
    initial: TransactionState,
    id: string,
  ) {
    this.ctx = ctx;
    this.kept = new KeptMessage(request);
    this.method = request.method;
    this.dest = dest;
    this.reliable = reliable;
    this.current = initial;
    this.id = id;
  }

  get state(): TransactionState {
    return this.current;
  }

  /** The request that created the transaction (parsed again on demand once the transaction waits). */
  get request(): SipRequest {
    return this.kept.message;
  }

  /** The request's bytes, as sent or received: what retransmissions send. */
  protected get requestBytes(): Buffer {
    return this.kept.bytes;
  }

  /**
   * Abandons the transaction: timers stop, the state becomes Terminated and `onTerminated` is
   * called, without a timeout being reported. For shutdown, or for a TU that gives up on a server
   * transaction a transport error left waiting. A no-op once terminated.
   */
  terminate(): void {
    if (this.current !== TransactionState.Terminated) this.end();
  }

  /** The "transport error" input of the state machine. */
  protected abstract transportError(err: unknown): void;

  /** Tells the TU that the transaction has terminated. */
  protected abstract notifyTerminated(): void;

  /**
   * Passes bytes to the transport. Returns false when the transport failed synchronously, in which
   * case the transport-error input has already run (and may have terminated the transaction).
   */
  protected send(bytes: Buffer): boolean {
    let result: void | Promise<void>;
    try {
      result = this.ctx.transport.send(bytes, this.dest);
    } catch (err) {
      this.transportError(err);
      return false;
    }
    if (result != null && typeof (result as Promise<void>).then === "function") {
      (result as Promise<void>).then(undefined, (err: unknown) => this.transportError(err));
    }
    return true;
  }

  /**
   * Entering a state that only waits (Completed, Accepted, Confirmed: up to 64*T1 over UDP) the
   * transaction keeps its messages to match and retransmit, not to read them: they keep their
   * bytes only (KeptMessage), which is most of what a waiting transaction would cost in memory.
   */
  protected linger(last?: KeptMessage<SipRequest | SipResponse>): void {
    this.kept.shed();
    last?.shed();
  }

  /** True once terminated; a method, so the check is not narrowed away after a callback ran. */
  protected isTerminated(): boolean {
    return this.current === TransactionState.Terminated;
  }

  protected stopTimers(): void {
    const clock = this.ctx.clock;
    if (this.sendTimer !== undefined) {
      clock.clearTimer(this.sendTimer);
      this.sendTimer = undefined;
    }
    if (this.endTimer !== undefined) {
      clock.clearTimer(this.endTimer);
      this.endTimer = undefined;
    }
  }

  protected stopSendTimer(): void {
    if (this.sendTimer !== undefined) {
      this.ctx.clock.clearTimer(this.sendTimer);
      this.sendTimer = undefined;
    }
  }

  /** Stops the timers, enters Terminated and releases the transaction from its owner. */
  /** For a state machine's `default` branch: a state that machine never enters. */
  protected unexpectedState(input: string): TransactionError {
    return new TransactionError(`${this.constructor.name}: state ${String(this.current)} is not one of its states (input: ${input})`);
  }

  protected enterTerminated(): void {
    this.stopTimers();
    this.current = TransactionState.Terminated;
    this.ctx.owner?.release(this);
  }

  /** Enters Terminated and tells the TU. */
  protected end(): void {
    this.enterTerminated();
    this.notifyTerminated();
  }
}

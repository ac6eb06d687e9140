import type { SipRequest, SipResponse } from "../message/message.js";
import type { ClientInviteTransaction } from "./client-invite.js";
import type { ClientNonInviteTransaction } from "./client-non-invite.js";
import type { ServerInviteTransaction } from "./server-invite.js";
import type { ServerNonInviteTransaction } from "./server-non-invite.js";

export type ClientTransaction<Dest> = ClientInviteTransaction<Dest> | ClientNonInviteTransaction<Dest>;
export type ServerTransaction<Dest> = ServerInviteTransaction<Dest> | ServerNonInviteTransaction<Dest>;
export type AnyTransaction<Dest> = ClientTransaction<Dest> | ServerTransaction<Dest>;

/**
 * The transaction user (UAC core or proxy core) of a client transaction, as the transaction
 * sees it. Callbacks run synchronously, after the transaction has changed state; they must not throw.
 */
export interface ClientTransactionUser<Dest> {
  /** A response the state machine passes up (RFC 3261 §17.1.1.2, §17.1.2.2; RFC 6026 §7.2). */
  onResponse(res: SipResponse, tx: ClientTransaction<Dest>): void;
  /** Timer B or F fired without a final response (§17.1.1.2, §17.1.2.2). */
  onTimeout(tx: ClientTransaction<Dest>): void;
  /** The transport failed to send (§17.1.4); the transaction is terminated. */
  onTransportError(err: unknown, tx: ClientTransaction<Dest>): void;
  /** The transaction entered Terminated (after any onTimeout / onTransportError). */
  onTerminated?(tx: ClientTransaction<Dest>): void;
}

/**
 * The transaction user (UAS core or proxy core) of a server transaction, as the transaction sees
 * it. Callbacks run synchronously, after the transaction has changed state; they must not throw.
 */
export interface ServerTransactionUser<Dest> {
  /**
   * An ACK that reached an INVITE server transaction in the Accepted state: the ACK for a 2xx,
   * which RFC 6026 §7.1 says is "passed directly to the TU and not absorbed".
   */
  onAck(ack: SipRequest, source: Dest, tx: ServerInviteTransaction<Dest>): void;
  /** Timer H fired: the ACK for a non-2xx final response never came (§17.2.1). */
  onTimeout(tx: ServerInviteTransaction<Dest>): void;
  /**
   * A response could not be sent (§17.2.4). RFC 6026 §8.8: the transaction stays in its state so
   * that it still absorbs retransmissions; its timers end it.
   */
  onTransportError(err: unknown, tx: ServerTransaction<Dest>): void;
  onTerminated?(tx: ServerTransaction<Dest>): void;
}

// RFC 3261 §17 transactions, as updated by RFC 6026.
export { systemClock, VirtualClock, type Clock, type TimerHandle } from "./clock.js";
export { deriveTimers, waitTime, DEFAULT_TIMERS, DEFAULT_TRYING_DELAY, type TimerConfig, type TransactionTimers } from "./timers.js";
export { TransactionState } from "./transaction-state.js";
export { Transaction, type TransactionContext, type TransactionOwner, type TransactionTransport } from "./transaction.js";
export type {
  AnyTransaction,
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
} from "./transaction-user.js";
export { ClientInviteTransaction } from "./client-invite.js";
export { ClientNonInviteTransaction } from "./client-non-invite.js";
export { ServerInviteTransaction } from "./server-invite.js";
export { ServerNonInviteTransaction } from "./server-non-invite.js";
export {
  serverTransactionKey,
  clientTransactionKey,
  cancelTargetKey,
  rfc2543AckKey,
  isRfc3261Branch,
} from "./transaction-key.js";
export {
  TransactionLayer,
  DEFAULT_TRANSACTION_LAYER_OPTIONS,
  type TransactionLayerOptions,
  type TransactionLayerUser,
  type RequestDisposition,
} from "./transaction-layer.js";

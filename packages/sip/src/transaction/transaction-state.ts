/**
 * The states of the four transaction state machines of RFC 3261 §17 (Figures 5-8), with the
 * "Accepted" state that RFC 6026 §7 adds to both INVITE machines. Each machine uses a subset:
 *
 * - client INVITE: Calling, Proceeding, Completed, Accepted, Terminated
 * - client non-INVITE: Trying, Proceeding, Completed, Terminated
 * - server INVITE: Proceeding, Completed, Confirmed, Accepted, Terminated
 * - server non-INVITE: Trying, Proceeding, Completed, Terminated
 */
export enum TransactionState {
  Calling = "Calling",
  Trying = "Trying",
  Proceeding = "Proceeding",
  Completed = "Completed",
  Confirmed = "Confirmed",
  Accepted = "Accepted",
  Terminated = "Terminated",
}

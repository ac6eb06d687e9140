import type { TransactionTransport } from "@sipfleet/sip";
import type { RequestOrigin } from "./flow.js";

/**
 * The transport below the transaction layer: a server transaction's `Dest` is the request's
 * origin, whose link (UDP socket or TCP connection) writes to the reply address (RFC 3261
 * §18.2.2). A closed connection throws, which the transaction reports as a transport error.
 */
export const flowTransport: TransactionTransport<RequestOrigin> = {
  send(bytes: Buffer, dest: RequestOrigin): void {
    dest.link.send(bytes, dest.replyIp, dest.replyPort);
  },
};

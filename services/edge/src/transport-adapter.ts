import type { TransactionTransport } from "@sipfleet/sip";
import { FlowClosedError } from "./errors.js";
import type { LocalLinks } from "./flow-links.js";
import type { RequestOrigin } from "./flow.js";

/**
 * The transport below the server transactions: a transaction's `Dest` is the request's origin,
 * whose link (UDP socket or connection) writes to the reply address (RFC 3261 §18.2.2). When the
 * request's TCP or TLS connection has closed, the response goes over a connection to the address
 * the origin names for that (reused or opened, `LocalLinks.hopTo`); when there is none, or it
 * cannot be opened, the send fails and the transaction reports a transport error.
 */
export function responseTransport(links: Pick<LocalLinks, "hopTo">): TransactionTransport<RequestOrigin> {
  return {
    send(bytes: Buffer, dest: RequestOrigin): void | Promise<void> {
      try {
        dest.link.send(bytes, dest.replyIp, dest.replyPort);
        return;
      } catch (e) {
        if (!(e instanceof FlowClosedError) || dest.reconnect === undefined) throw e;
      }
      return links.hopTo(dest.reconnect).then((hop) => {
        if (typeof hop === "string") throw new FlowClosedError(hop);
        hop.link.send(bytes, hop.ip, hop.port);
      });
    },
  };
}

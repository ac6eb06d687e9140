// A SIP client over one TLS connection for the e2e tests (sipp 3.6.1 has no TLS).
import { connect as connectTls, type TLSSocket } from "node:tls";
import { parseMessage, StreamFramer, type SipResponse } from "@sipfleet/sip";
import type { TestCertificates } from "@sipfleet/testing";

/** A SIP client on one TLS connection: every response it receives, in order, for the test to await. */
export class TlsSipClient {
  private readonly received: SipResponse[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: TLSSocket) {
    const framer = new StreamFramer({
      onMessage: (bytes) => {
        const message = parseMessage(bytes);
        // Requests (a retransmitted INVITE's 200 is a response; a BYE from the callee would be a
        // request) are not part of these flows: only responses are queued.
        if (!("status" in message)) return;
        this.received.push(message as SipResponse);
        this.waiter?.();
      },
      onPing: () => {},
    });
    socket.on("data", (chunk: Buffer) => framer.push(chunk));
  }

  /**
   * Connects to 127.0.0.1:`port`, verifying the edge's certificate with the test CA; `client`:
   * a client certificate to present (mutual TLS) and the local address to connect from.
   */
  static open(port: number, certs: TestCertificates, client: { cert?: string; key?: string; localAddress?: string } = {}): Promise<TlsSipClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: "127.0.0.1", port, ca: certs.ca.cert, ...client }, () => resolve(new TlsSipClient(socket)));
      socket.once("error", reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  send(lines: readonly string[]): void {
    this.socket.write(lines.join("\r\n") + "\r\n\r\n");
  }

  /** The next response for which `accept` holds (earlier ones are dropped); rejects after `timeoutMs`. */
  async next(accept: (r: SipResponse) => boolean, timeoutMs = 10_000): Promise<SipResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.received.shift();
      if (r !== undefined) {
        if (accept(r)) return r;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no matching response over TLS in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

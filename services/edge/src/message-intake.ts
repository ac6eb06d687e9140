import {
  frameDatagram,
  MessageTooLargeError,
  parseMessage,
  ParseError,
  validateMessage,
  type DatagramOptions,
  type HeaderList,
  type SipRequest,
  type SipResponse,
  type ValidateOptions,
  type Via,
} from "@sipfleet/sip";
import { Transport } from "@sipfleet/proto";
import type { AbuseGuard } from "./abuse-guard.js";
import type { Connection, ConnectionMessageHandler } from "./connection.js";
import type { EdgeCounters } from "./edge-stats.js";
import type { Link, RequestOrigin } from "./flow.js";
import { defaultPort, type NextHopAddress } from "./next-hop.js";
import type { EdgeLogger } from "./logger.js";
import type { PlatformView } from "./edge-directory.js";
import { isPlatformOptions } from "./options-responder.js";
import type { RequestRouter } from "./request-router.js";
import type { SipMessageLog } from "./sip-message-log.js";
import { buildResponse } from "./response-builder.js";
import type { DatagramHandler, UdpListener } from "./udp-listener.js";
import { stampTopVia, udpReplyPort } from "./via-received.js";

export interface MessageIntakeOptions {
  readonly router: RequestRouter;
  /** The served domains and own addresses of the moment (edge-directory.ts). */
  readonly platform: PlatformView;
  readonly maxMessageSize: number;
  /** More header lines: a request is answered 400, a response dropped (the parser's limit). */
  readonly maxHeaderLines: number;
  /**
   * Option tags the platform supports: a Proxy-Require outside them gets 420 with Unsupported
   * (RFC 3261 §16.3 step 5: the edge is the proxy in front of the workers).
   */
  readonly supported: readonly string[];
  readonly logger: EdgeLogger;
  readonly counters: EdgeCounters;
  /** Wall clock (Unix ms) for `Envelope.received_at_ms`. */
  readonly now: () => number;
  /** Per-source rate limit and bans (abuse-guard.ts). */
  readonly abuse: AbuseGuard;
  /** Retry-After (seconds) of the 503 a source over the rate limit gets. */
  readonly retryAfterSeconds: number;
  /** The SIP message log (sip-message-log.ts); undefined when it is off. */
  readonly messageLog?: SipMessageLog | undefined;
}

/**
 * From bytes off a socket to the transaction layer: parse once, validate (RFC 3261 §8.2, §16.3,
 * §18.1.2), answer what validation rejects statelessly, drop what cannot be answered, and hand
 * valid requests with their origin (the flow, the reply address, the stamped Via) to the
 * transaction layer. Nothing that arrives makes it throw: every failure is a response or a
 * logged drop.
 */
export class MessageIntake implements DatagramHandler, ConnectionMessageHandler {
  private readonly datagramOptions: DatagramOptions;
  private readonly validation: Partial<ValidateOptions>;
  /** RFC 3261 §16.3 step 3: the final recipient of a request may take Max-Forwards 0. */
  private readonly finalRecipient: Partial<ValidateOptions>;
  private readonly o: MessageIntakeOptions;

  constructor(options: MessageIntakeOptions) {
    this.o = options;
    this.datagramOptions = { maxSize: options.maxMessageSize, maxHeaderLines: options.maxHeaderLines };
    this.validation = { proxyRequireSupported: new Set(options.supported) };
    this.finalRecipient = { ...this.validation, allowZeroMaxForwards: true };
  }

  onDatagram(data: Buffer, link: UdpListener, remoteIp: string, remotePort: number): void {
    try {
      // A banned source gets silence, before any parsing is spent on it.
      if (this.o.abuse.isBanned(remoteIp)) return;
      let frame;
      try {
        frame = frameDatagram(data, this.datagramOptions);
      } catch (e) {
        if (e instanceof MessageTooLargeError) return this.tooLarge(data, link, remoteIp, remotePort);
        if (e instanceof ParseError) return this.drop("unparseable datagram", remoteIp, remotePort, e.message);
        throw e;
      }
      switch (frame.kind) {
        case "message":
          return this.receive(frame.message, link, remoteIp, remotePort);
        case "keep-alive":
          // A CRLF NAT keep-alive over UDP: it has done its job by arriving; nothing answers it
          // (RFC 5626 §3.5.1 keeps UDP flows alive with STUN, which has a response).
          return;
        case "stun":
          // RFC 5626 §4.4.2 STUN keep-alives: not answered yet (no STUN server in the edge).
          this.o.logger.debug?.({ remote: `${remoteIp}:${remotePort}` }, "stun message ignored");
          return;
      }
    } catch (e) {
      this.o.logger.error({ err: e, remote: `${remoteIp}:${remotePort}` }, "bug: datagram handling failed");
    }
  }

  /** One message a connection delimited: by Content-Length (TCP, TLS) or by WebSocket message. */
  onStreamMessage(bytes: Buffer, conn: Connection): void {
    try {
      if (this.o.abuse.isBanned(conn.remoteIp)) return;
      let msg;
      try {
        msg = parseMessage(bytes, this.datagramOptions);
      } catch (e) {
        // The framer delimited it, so the stream stays usable; the message itself has nothing
        // that could be answered (no end of header section, a broken start line).
        if (e instanceof ParseError) return this.drop("unparseable message", conn.remoteIp, conn.remotePort, e.message);
        throw e;
      }
      this.receive(msg, conn, conn.remoteIp, conn.remotePort);
    } catch (e) {
      this.o.logger.error({ err: e, connection: conn.id }, "bug: stream message handling failed");
    }
  }

  private receive(msg: SipRequest | SipResponse, link: Link, remoteIp: string, remotePort: number): void {
    const { counters, router } = this.o;
    this.o.messageLog?.received(msg, link.transport, remoteIp, remotePort);
    if (!msg.isRequest) {
      counters.responsesReceived++;
      const v = validateMessage(msg);
      if (!v.ok) return this.drop("invalid response", remoteIp, remotePort, v.reason);
      router.receiveResponse(msg);
      return;
    }
    counters.requestsReceived++;
    const req = msg;
    // Counted before validation: a flood of invalid requests costs as much as one of valid ones.
    const verdict = this.o.abuse.checkRequest(remoteIp, req.method === "ACK");
    if (verdict === "drop") return this.drop("request over the rate limit", remoteIp, remotePort, "edge.rateLimit");
    if (verdict === "reject") {
      // RFC 3261 §21.5.4: 503 with Retry-After tells a real client to back off for that long.
      return this.reject(req, 503, "Rate Limit Exceeded", [["Retry-After", String(this.o.retryAfterSeconds)]], link, remoteIp, remotePort);
    }
    const v = validateMessage(req, isPlatformOptions(req, this.o.platform.current.platform, link.localIp) ? this.finalRecipient : this.validation);
    if (!v.ok) {
      // RFC 3261 §17: an ACK is never answered.
      if (v.action === "drop" || req.method === "ACK") return this.drop("invalid request", remoteIp, remotePort, v.reason);
      return this.reject(req, v.status, v.reason, v.headers, link, remoteIp, remotePort);
    }
    const via = req.topVia as Via; // validated
    const origin: RequestOrigin = {
      link,
      replyIp: remoteIp,
      replyPort: link.reliable ? remotePort : udpReplyPort(via, remotePort),
      flow: link.flow(remoteIp, remotePort),
      receivedAtMs: this.o.now(),
      stampedVia: stampTopVia(via, remoteIp, remotePort),
      reconnect: reconnectAddress(link.transport, via, remoteIp),
      tlsPeerNames: link.tlsPeerNames,
    };
    router.layer.receiveRequest(req, origin, link.reliable);
  }

  /**
   * Answers a request validation rejected, without a transaction (a retransmission is rejected
   * again the same way). When its Via cannot be read the answer goes back to the source address.
   */
  private reject(req: SipRequest, status: number, reason: string, headers: HeaderList | undefined, link: Link, ip: string, port: number): void {
    let stamped: string | undefined;
    let replyPort = port;
    try {
      const via = req.topVia;
      if (via !== undefined) {
        stamped = stampTopVia(via, ip, port);
        if (!link.reliable) replyPort = udpReplyPort(via, port);
      }
    } catch {
      // The Via is what is wrong: answer the source address with the Via lines as received.
    }
    let res: SipResponse;
    try {
      res = buildResponse(req, stamped, status, headers === undefined ? { reason } : { reason, headers });
    } catch (e) {
      return this.drop("unanswerable request", ip, port, e instanceof Error ? e.message : String(e));
    }
    this.o.counters.rejected++;
    this.o.logger.debug?.({ remote: `${ip}:${port}`, status, reason }, "request rejected");
    try {
      link.send(res.bytes, ip, replyPort);
    } catch (e) {
      this.o.logger.debug?.({ err: e, remote: `${ip}:${port}` }, "rejection not sent");
    }
  }

  /** RFC 3261 §21.5.14 513 Message Too Large, for a datagram over the limit that is a request. */
  private tooLarge(data: Buffer, link: UdpListener, ip: string, port: number): void {
    let msg;
    try {
      msg = parseMessage(data, { maxSize: data.length, maxHeaderLines: this.o.maxHeaderLines });
    } catch (e) {
      return this.drop("oversized datagram", ip, port, e instanceof Error ? e.message : String(e));
    }
    if (!msg.isRequest || msg.method === "ACK" || !msg.has("via")) return this.drop("oversized datagram", ip, port, `${data.length} bytes`);
    this.reject(msg, 513, "Message Too Large", undefined, link, ip, port);
  }

  private drop(what: string, ip: string, port: number, reason: string): void {
    this.o.counters.dropped++;
    this.o.logger.debug?.({ remote: `${ip}:${port}`, reason }, `${what} dropped`);
  }
}

/**
 * RFC 3261 §18.2.2: over a reliable transport, "If that connection is no longer open, the server
 * SHOULD open a connection to the IP address in the "received" parameter, if present, using the
 * port in the "sent-by" value, or the default port for that transport, if no port is specified."
 * The received address is the source address (the edge stamps it so). Only when the Via names
 * the transport the request came over: a Via that says otherwise is not a way back to trust.
 */
function reconnectAddress(transport: Transport, via: Via, remoteIp: string): NextHopAddress | undefined {
  let kind: "tcp" | "tls";
  if (transport === Transport.TRANSPORT_TCP && via.transport === "TCP") kind = "tcp";
  else if (transport === Transport.TRANSPORT_TLS && via.transport === "TLS") kind = "tls";
  else return undefined;
  return { transport: kind, ip: remoteIp, port: via.port ?? defaultPort(kind), host: remoteIp };
}

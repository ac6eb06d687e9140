import type { Socket } from "node:net";
import { KEEP_ALIVE_PONG, ParseError, StreamFramer, type StreamFrameHandler } from "@sipfleet/sip";
import type { Flow } from "@sipfleet/proto";
import type { Connection, ConnectionMessageHandler, ConnectionOptions } from "./connection.js";
import { FlowClosedError } from "./errors.js";
import { protoFlow, Transport } from "./flow.js";
import type { EdgeLogger } from "./logger.js";
import { NO_PEER_NAMES } from "./tls-peer-names.js";

export type StreamTransport = Transport.TRANSPORT_TCP | Transport.TRANSPORT_TLS;

/**
 * One TCP or TLS connection, accepted or opened by the edge (a TLS socket is a stream like any
 * other once the handshake is done): frames its byte stream (RFC 3261 §18.3, Content-Length
 * mandatory), answers RFC 5626 §4.4.1 CRLFCRLF pings with a CRLF pong, closes when idle, and is
 * the link its requests' responses go back on.
 */
export class StreamConnection implements Connection, StreamFrameHandler {
  readonly reliable = true;
  readonly localIp: string;
  readonly localPort: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  private readonly framer: StreamFramer;
  private readonly flowValue: Flow;
  /** "tcp" or "tls", for log lines. */
  private readonly kind: string;
  private closing: Promise<void> | undefined;
  /** Runs while the framer holds part of a message: started by its first byte, not by later ones. */
  private partialTimer: NodeJS.Timeout | undefined;
  /** A message was delivered during the current `push`: a partial one after it is a new one. */
  private delivered = false;
  private readonly onPartialTimeout = (): void => {
    this.logger.debug?.(
      { connection: this.id, remote: `${this.remoteIp}:${this.remotePort}`, buffered: this.framer.buffered, partialMessageTimeoutMs: this.options.partialMessageTimeoutMs },
      `${this.kind} message not complete in time: closing`,
    );
    this.socket.destroy();
  };

  constructor(
    private readonly socket: Socket,
    readonly transport: StreamTransport,
    readonly id: string,
    edgeId: string,
    private readonly handler: ConnectionMessageHandler,
    private readonly options: ConnectionOptions,
    private readonly logger: EdgeLogger,
    /**
     * The local address the flow and the Via name, when not the socket's: a connection the edge
     * opened names the edge's listener (its own port is ephemeral, nobody can connect to it).
     */
    local?: { readonly ip: string; readonly port: number },
    /** An accepted TLS connection's verified client certificate names (tls-peer-names.ts). */
    readonly tlsPeerNames: readonly string[] = NO_PEER_NAMES,
  ) {
    this.kind = transport === Transport.TRANSPORT_TLS ? "tls" : "tcp";
    this.localIp = local?.ip ?? socket.localAddress ?? "";
    this.localPort = local?.port ?? socket.localPort ?? 0;
    this.remoteIp = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    const advertised = options.publicAddress?.of(transport, this.localPort);
    this.advertisedHost = advertised?.host ?? this.localIp;
    this.advertisedPort = advertised?.port ?? this.localPort;
    this.flowValue = protoFlow(edgeId, id, transport, this.remoteIp, this.remotePort, this.localIp, this.localPort, advertised);
    this.framer = new StreamFramer(this, { maxMessageSize: options.maxMessageSize, maxHeaderSize: options.maxHeaderSize });
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("timeout", () => {
      this.logger.debug?.({ connection: id, idleTimeoutMs: options.idleTimeoutMs }, `${this.kind} connection idle: closing`);
      socket.destroy();
    });
    socket.on("error", (err) => this.logger.debug?.({ err, connection: id }, `${this.kind} connection error`));
    socket.on("close", () => clearTimeout(this.partialTimer));
  }

  flow(): Flow {
    return this.flowValue;
  }

  get isOpen(): boolean {
    // A socket is destroyed before its "close": `destroyed` covers a closed one too.
    return !this.socket.destroyed && this.closing === undefined;
  }

  /** Called once the socket has closed, for whoever indexes the connection. */
  onClose(fn: () => void): void {
    this.socket.once("close", fn);
  }

  send(bytes: Buffer): void {
    if (!this.isOpen) throw new FlowClosedError(`connection ${this.id} is closed`);
    if (this.socket.writableLength + bytes.length > this.options.maxWriteBufferBytes) {
      // A peer that does not read its responses holds edge memory: drop it (bounded queues).
      this.logger.warn({ connection: this.id, buffered: this.socket.writableLength }, `${this.kind} peer not reading: closing`);
      this.socket.destroy();
      throw new FlowClosedError(`connection ${this.id} closed: write buffer full`);
    }
    this.options.messageLog?.sent(bytes, this.transport, this.remoteIp, this.remotePort);
    this.socket.write(bytes);
  }

  // StreamFrameHandler
  onMessage(bytes: Buffer): void {
    this.delivered = true;
    this.handler.onStreamMessage(bytes, this);
  }

  onPing(): void {
    // RFC 5626 §4.4.1: "When a server receives a double CRLF sequence from a client, it MUST
    // respond with a single CRLF sequence."
    if (this.isOpen) this.socket.write(KEEP_ALIVE_PONG);
  }

  /**
   * Ends the connection once what was written is flushed (a TLS socket sends its close_notify);
   * destroys it after the grace period.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), this.options.closeGraceMs).unref();
    });
    return this.closing;
  }

  private onData(chunk: Buffer): void {
    try {
      this.delivered = false;
      this.framer.push(chunk);
      this.trackPartial();
    } catch (e) {
      // RFC 3261 §18.3: without a usable Content-Length the stream cannot be framed any more
      // (or the message is over the size limit): the connection has to go.
      if (e instanceof ParseError) {
        this.logger.warn({ connection: this.id, remote: `${this.remoteIp}:${this.remotePort}`, reason: e.message }, `${this.kind} framing lost: closing`);
      } else {
        this.logger.error({ err: e, connection: this.id }, `${this.kind} receive failed: closing`);
      }
      this.socket.destroy();
    }
  }

  /**
   * Slowloris: a peer that sends a message a byte at a time keeps the idle timer (which any byte
   * resets) from ever firing while it holds a socket and a buffer. The deadline runs from the
   * first byte of a message to its last, whatever arrives in between; between whole messages
   * only the idle timeout applies. (A lone CR of a keep-alive split across segments counts as
   * partial too: its LF is one segment away.)
   */
  private trackPartial(): void {
    if (this.framer.buffered === 0 || this.socket.destroyed) {
      clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    } else if (this.partialTimer === undefined) {
      this.partialTimer = setTimeout(this.onPartialTimeout, this.options.partialMessageTimeoutMs);
      this.partialTimer.unref();
    } else if (this.delivered) {
      // This chunk ended a message and began the next (pipelined traffic): the deadline is the
      // new message's. Re-armed in place rather than a new timer per chunk.
      this.partialTimer.refresh();
    }
  }
}

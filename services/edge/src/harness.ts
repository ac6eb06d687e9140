// Test harness for the edge tests: an edge on loopback with a MemoryBus, a stub registrar on the
// bus, and UDP, TCP/TLS and WebSocket peers that read SIP responses. Not part of the package's API.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { WebSocket, type ClientOptions } from "ws";
import { MemoryBus, MemoryBusHub, type BusMessage } from "@sipfleet/bus";
import { parseConfig, type EdgeConfig, type EdgeTlsConfig, type ListenAddress, type ListenTransport } from "@sipfleet/config";
import type { TestCertificates } from "@sipfleet/testing";
import { Decision, Envelope, REGISTRAR_QUEUE, REGISTRAR_SUBJECT, type Respond } from "@sipfleet/proto";
import { isKeepAlive, parseMessage, StreamFramer, type SipResponse } from "@sipfleet/sip";
import { startEdge, type Edge, type StartEdgeOptions } from "./edge.js";
import type { EdgeLogger } from "./logger.js";

export const QUIET_BUS_LOGGER = { warn: () => {}, error: () => {} };

/** Collects what the edge logs, so tests can read it and the console stays clean. */
export class RecordingLogger implements EdgeLogger {
  readonly lines: { level: string; msg: string; obj: object }[] = [];
  debug(obj: object, msg: string): void {
    this.lines.push({ level: "debug", msg, obj });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: "info", msg, obj });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", msg, obj });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: "error", msg, obj });
  }
  has(level: string, pattern: RegExp): boolean {
    return this.lines.some((l) => l.level === level && pattern.test(l.msg));
  }
}

export interface TestEdge {
  readonly edge: Edge;
  /** The workers' side of the bus. */
  readonly workerBus: MemoryBus;
  readonly edgeBus: MemoryBus;
  readonly logger: RecordingLogger;
  address(transport: ListenTransport): ListenAddress;
  stop(): Promise<void>;
}

export const TEST_EDGE_CONFIG: EdgeConfig = {
  listen: [
    { transport: "udp", host: "127.0.0.1", port: 0 },
    { transport: "tcp", host: "127.0.0.1", port: 0 },
  ],
  decisionTimeoutMs: 300,
  retryAfterSeconds: 7,
  cancelRelayTimeoutMs: 300,
  maxMessageSize: 4096,
  connectTimeoutMs: 2000,
  outboundIdleTimeoutMs: 300_000,
  maxHeaderLines: 100,
  maxConnectionsPerSource: 32,
  partialMessageTimeoutMs: 10_000,
  drainInDialogMs: 0,
  // No pings unless a test asks for them (gateway-health-edge.test.ts): fake gateways of other
  // tests would see OPTIONS they do not expect.
  gatewayPing: { intervalMs: 0, failuresBeforeDown: 3 },
  // High enough that no other test meets it; abuse.test.ts sets its own.
  rateLimit: { requestsPerSecond: 1_000_000, rejectsPerSecond: 10, syncIntervalMs: 250, allow: [] },
  bans: { failuresBeforeBan: 1_000_000, windowSeconds: 600, banSeconds: 600 },
};

export async function startTestEdge(overrides: Omit<Partial<StartEdgeOptions>, "config"> & { config?: Partial<EdgeConfig> } = {}): Promise<TestEdge> {
  const hub = new MemoryBusHub();
  const edgeBus = new MemoryBus({ hub, logger: QUIET_BUS_LOGGER });
  const workerBus = new MemoryBus({ hub, logger: QUIET_BUS_LOGGER });
  const logger = new RecordingLogger();
  const { config, ...rest } = overrides;
  const edge = await startEdge({
    bus: edgeBus,
    domains: new Set(["example.com"]),
    edgeId: "edge-test",
    logger,
    stopLingerMs: 0,
    ...rest,
    config: { ...TEST_EDGE_CONFIG, ...config },
  });
  return {
    edge,
    workerBus,
    edgeBus,
    logger,
    address(transport) {
      const a = edge.addresses.find((x) => x.transport === transport);
      if (a === undefined) throw new Error(`edge has no ${transport} address`);
      return a;
    },
    async stop() {
      await edge.stop();
      await workerBus.close();
      await edgeBus.close();
    },
  };
}

export interface Asked {
  readonly envelope: Envelope;
  readonly msg: BusMessage;
}

/**
 * A registrar stand-in on the bus: records every envelope and answers with what `answer` returns
 * (a Respond, raw reply bytes, or a promise of either; `undefined` never answers).
 */
export function stubRegistrar(bus: MemoryBus, answer: (env: Envelope, n: number) => Partial<Respond> | Uint8Array | Promise<Partial<Respond> | Uint8Array> | undefined): Asked[] {
  const asked: Asked[] = [];
  bus.serve(REGISTRAR_SUBJECT, REGISTRAR_QUEUE, async (msg) => {
    const envelope = Envelope.decode(msg.data);
    asked.push({ envelope, msg });
    const a = answer(envelope, asked.length);
    if (a === undefined) return new Promise<Uint8Array>(() => {});
    const r = await a;
    if (r instanceof Uint8Array) return r;
    return Decision.encode({ action: { $case: "respond", value: Respondish(r) } }).finish();
  });
  return asked;
}

function Respondish(r: Partial<Respond>): Respond {
  return { status: 200, reason: "", headers: [], body: Buffer.alloc(0), toTag: "", credentialsFailed: false, ...r };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `cond()` holds, failing after `ms`. */
export async function eventually(cond: () => boolean, ms = 2000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A queue of received items with a timed `next()`. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.waiter?.();
  }

  get length(): number {
    return this.items.length;
  }

  async next(ms = 2000, what = "message"): Promise<T> {
    const end = Date.now() + ms;
    while (this.items.length === 0) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.items.shift() as T;
  }
}

export interface Datagram {
  readonly data: Buffer;
  readonly from: { address: string; port: number };
}

/** A UDP SIP peer on loopback. */
export class UdpPeer {
  readonly inbox = new Inbox<Datagram>();
  private constructor(
    private readonly socket: UdpSocket,
    readonly ip: string,
    readonly port: number,
  ) {}

  static async open(host = "127.0.0.1"): Promise<UdpPeer> {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    const peer = new UdpPeer(socket, host, socket.address().port);
    socket.on("message", (data, rinfo) => peer.inbox.push({ data, from: { address: rinfo.address, port: rinfo.port } }));
    return peer;
  }

  send(bytes: Buffer | string, to: ListenAddress): void {
    this.socket.send(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes, to.port, to.host);
  }

  async response(ms = 2000): Promise<SipResponse> {
    const d = await this.inbox.next(ms, "UDP response");
    return parseMessage(d.data) as SipResponse;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/**
 * `edge.tls` for the test PKI's server certificate, read by the config package's own reader (so
 * checked there, as a deployment's is). With `requireClientCert` the CA of the PKI vouches for
 * clients.
 */
export function testTlsConfig(certs: TestCertificates, mutual: { caFile?: boolean; requireClientCert?: boolean } = {}): EdgeTlsConfig {
  const withCa = mutual.caFile === true || mutual.requireClientCert === true;
  const section = {
    certFile: certs.server.certFile,
    keyFile: certs.server.keyFile,
    ...(withCa ? { caFile: certs.ca.certFile } : {}),
    requireClientCert: mutual.requireClientCert === true,
  };
  // Read by the config package, as a deployment's is: its files read and checked there, once.
  const yaml = `domains: [ { name: example.test } ]\nedge:\n  listen: "tls:127.0.0.1:5061"\n  tls: ${JSON.stringify(section)}\n`;
  const tls = parseConfig(yaml, "testTlsConfig", {}).edge.tls;
  if (tls === undefined) throw new Error("testTlsConfig: the config package read no edge.tls");
  return tls;
}

/** A TCP or TLS SIP peer: frames what it reads with the library's StreamFramer. */
export class TcpPeer {
  readonly messages = new Inbox<SipResponse>();
  pongs = 0;
  closed = false;
  private readonly framer: StreamFramer;

  private constructor(readonly socket: Socket) {
    this.framer = new StreamFramer({
      onMessage: (bytes) => this.messages.push(parseMessage(bytes) as SipResponse),
      onPing: () => {},
    });
    socket.on("data", (chunk: Buffer) => {
      // Pongs are counted off the raw bytes: a framer would read two pongs in a row as a ping.
      if (isKeepAlive(chunk)) this.pongs += chunk.length / 2;
      else this.framer.push(chunk);
    });
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {});
  }

  /** `localAddress`: the loopback address to connect from (127.0.0.2 is another source than 127.0.0.1). */
  static connect(to: ListenAddress, localAddress?: string): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: to.host, port: to.port, ...(localAddress === undefined ? {} : { localAddress }) }, () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new TcpPeer(socket));
      });
      socket.once("error", reject);
    });
  }

  /**
   * A TLS peer, resolved once the handshake is done. It trusts `options.ca` (the test CA) and
   * checks the edge's certificate against the address it connects to.
   */
  static connectTls(to: ListenAddress, options: TlsConnectionOptions): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: to.host, port: to.port, ...options }, () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new TcpPeer(socket));
      });
      socket.once("error", reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  write(bytes: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes, (err) => (err ? reject(err) : resolve())));
  }

  response(ms = 2000): Promise<SipResponse> {
    return this.messages.next(ms, "TCP response");
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A WebSocket message the edge sent: one SIP message per message (RFC 7118 §5.1). */
export interface WsFrame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** A SIP-over-WebSocket peer (the ws package's client), offering subprotocol "sip" by default. */
export class WsPeer {
  readonly frames = new Inbox<WsFrame>();
  closed = false;
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => this.frames.push({ data: data as Buffer, isBinary }));
    ws.on("close", (code) => {
      this.closed = true;
      this.closeCode = code;
    });
    ws.on("error", () => {});
  }

  /** Rejects with the HTTP status (e.g. "Unexpected server response: 400") when the upgrade is refused. */
  static connect(url: string, protocols: string[] = ["sip"], options: ClientOptions = {}): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      ws.once("open", () => {
        ws.off("error", reject);
        resolve(new WsPeer(ws));
      });
      ws.once("error", reject);
    });
  }

  /** `ws://127.0.0.1:port/` or `wss://…` for an edge address. */
  static url(a: ListenAddress, path = "/"): string {
    return `${a.transport}://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}${path}`;
  }

  send(text: string | Buffer, binary = false): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(text, { binary }, (err) => (err ? reject(err) : resolve())));
  }

  async response(ms = 2000): Promise<SipResponse> {
    const f = await this.frames.next(ms, "WebSocket message");
    return parseMessage(f.data) as SipResponse;
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface RequestSpec {
  method?: string;
  uri?: string;
  transport?: "UDP" | "TCP" | "TLS" | "WS" | "WSS";
  /** The sent-by of the top Via. */
  sentBy?: string;
  branch?: string;
  /** Via parameters after the branch, e.g. ";rport". */
  viaParams?: string;
  callId?: string;
  cseq?: number;
  maxForwards?: number | null;
  extra?: string[];
  body?: string;
  version?: string;
}

let branchSeq = 0;

/** A request as wire text (CRLF line ends, Content-Length right). */
export function request(spec: RequestSpec = {}): string {
  const method = spec.method ?? "REGISTER";
  const uri = spec.uri ?? "sip:example.com";
  const body = spec.body ?? "";
  const lines = [
    `${method} ${uri} ${spec.version ?? "SIP/2.0"}`,
    `Via: SIP/2.0/${spec.transport ?? "UDP"} ${spec.sentBy ?? "192.0.2.10:5060"};branch=${spec.branch ?? `z9hG4bK-t${++branchSeq}`}${spec.viaParams ?? ""}`,
  ];
  if (spec.maxForwards !== null) lines.push(`Max-Forwards: ${spec.maxForwards ?? 70}`);
  lines.push(
    "From: <sip:alice@example.com>;tag=from1",
    `To: <sip:alice@example.com>`,
    `Call-ID: ${spec.callId ?? `call-${branchSeq}@test`}`,
    `CSeq: ${spec.cseq ?? 1} ${method}`,
    "Contact: <sip:alice@192.0.2.10:5060>",
    ...(spec.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body, "latin1")}`,
  );
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

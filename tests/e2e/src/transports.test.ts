// Registration over every transport against the embedded platform: digest REGISTER over UDP, TCP,
// TLS, WS and WSS, each binding stored with the flow of the connection it came on. The listen
// addresses and the certificate come from the environment overrides, as a deployment sets them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { WebSocket } from "ws";
import { loadConfig } from "@sipfleet/config";
import { startEmbedded, type EmbeddedPlatform } from "@sipfleet/local";
import { createLogger } from "@sipfleet/runtime";
import { buildAuthorization, parseMessage, selectChallenge, StreamFramer, type SipResponse } from "@sipfleet/sip";
import { freePortRun, writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { DIGEST_DOMAIN, USERS, writeTestConfig } from "./fixtures.js";
import { UdpSipClient } from "./sip-udp-client.js";

/** A SIP client on one connection: sends a request, resolves with the next response. */
interface SipConnection {
  request(text: string): Promise<SipResponse>;
  close(): void;
}

function streamConnection(socket: Socket): SipConnection {
  const waiting: ((r: SipResponse) => void)[] = [];
  const framer = new StreamFramer({ onMessage: (bytes) => waiting.shift()?.(parseMessage(bytes) as SipResponse), onPing: () => {} });
  socket.on("data", (chunk: Buffer) => framer.push(chunk));
  return {
    request: (text) => new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(text);
    }),
    close: () => socket.destroy(),
  };
}

function openStream(kind: "tcp" | "tls", port: number, certs: TestCertificates): Promise<SipConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      kind === "tls"
        ? connectTls({ host: "127.0.0.1", port, ca: certs.ca.cert }, () => resolve(streamConnection(socket)))
        : connectTcp({ host: "127.0.0.1", port }, () => resolve(streamConnection(socket)));
    socket.once("error", reject);
  });
}

function openWebSocket(kind: "ws" | "wss", port: number, certs: TestCertificates): Promise<SipConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${kind}://127.0.0.1:${port}/`, ["sip"], { ca: certs.ca.cert });
    const waiting: ((r: SipResponse) => void)[] = [];
    ws.on("message", (data) => waiting.shift()?.(parseMessage(data as Buffer) as SipResponse));
    ws.once("error", reject);
    ws.once("open", () =>
      resolve({
        request: (text) => new Promise((res) => {
          waiting.push(res);
          ws.send(text);
        }),
        close: () => ws.terminate(),
      }),
    );
  });
}

/** REGISTER as a UA on `transport` would send it: its Via transport, and a .invalid host for WebSocket (RFC 7118 §5). */
function register(user: string, transport: string, cseq: number, authorization?: string): string {
  const host = transport.startsWith("WS") ? "k3j9x2.invalid" : "127.0.0.1:5099";
  const lines = [
    `REGISTER sip:${DIGEST_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${host};branch=z9hG4bK-${user}-${transport}-${cseq};rport`,
    `Max-Forwards: 70`,
    `From: <sip:${user}@${DIGEST_DOMAIN}>;tag=${user}-${transport}`,
    `To: <sip:${user}@${DIGEST_DOMAIN}>`,
    `Call-ID: ${user}-${transport}@e2e`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@${host};transport=${transport.toLowerCase()}>`,
    `Expires: 600`,
    ...(authorization === undefined ? [] : [`Authorization: ${authorization}`]),
    `Content-Length: 0`,
  ];
  return lines.join("\r\n") + "\r\n\r\n";
}

/** The 401 challenge answered with the user's password (RFC 3261 §22.2): resolves with the final response. */
async function registerWithDigest(conn: SipConnection, user: string, password: string, transport: string): Promise<SipResponse> {
  const challenged = await conn.request(register(user, transport, 1));
  assert.equal(challenged.status, 401);
  const challenge = selectChallenge(challenged.headers("WWW-Authenticate"), DIGEST_DOMAIN);
  assert.ok(challenge, "an answerable challenge");
  const authorization = buildAuthorization({ challenge, username: user, password, method: "REGISTER", uri: `sip:${DIGEST_DOMAIN}` });
  return conn.request(register(user, transport, 2, authorization));
}

describe("registration over UDP, TCP, TLS, WS and WSS (embedded)", () => {
  let certs: TestCertificates;
  let platform: EmbeddedPlatform;
  let port: number;

  before(async () => {
    certs = writeTestCertificates();
    port = await freePortRun(4);
    const env = {
      SIPFLEET_LISTEN: `udp:127.0.0.1:${port},tcp:127.0.0.1:${port},tls:127.0.0.1:${port + 1},ws:127.0.0.1:${port + 2},wss:127.0.0.1:${port + 3}`,
      SIPFLEET_TLS_CERT_FILE: certs.server.certFile,
      SIPFLEET_TLS_KEY_FILE: certs.server.keyFile,
    };
    const config = loadConfig({ path: writeTestConfig(), env });
    platform = await startEmbedded(config, createLogger("e2e", { level: "warn" }));
  });

  after(async () => {
    await platform.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it("the edge listens on every configured transport", () => {
    assert.deepEqual(
      platform.edge.addresses.map((a) => `${a.transport}:${a.port - port}`),
      ["udp:0", "tcp:0", "tls:1", "ws:2", "wss:3"],
    );
  });

  const cases = [
    { transport: "tcp", via: "TCP", offset: 0 },
    { transport: "tls", via: "TLS", offset: 1 },
    { transport: "ws", via: "WS", offset: 2 },
    { transport: "wss", via: "WSS", offset: 3 },
  ] as const;

  for (const { transport, via, offset } of cases) {
    it(`${transport}: alice registers with digest; the binding's flow is the ${transport} connection`, async () => {
      const [user, password] = USERS[0];
      const conn =
        transport === "tcp" || transport === "tls"
          ? await openStream(transport, port + offset, certs)
          : await openWebSocket(transport, port + offset, certs);
      try {
        const res = await registerWithDigest(conn, user, password, via);
        assert.equal(res.status, 200, res.reason);
        const bindings = await platform.store.lookup(`sip:${user}@${DIGEST_DOMAIN}`);
        const mine = bindings.filter((b) => b.flow.transport === transport);
        assert.equal(mine.length, 1, JSON.stringify(bindings.map((b) => b.flow)));
        const flow = mine[0]?.flow;
        assert.match(flow?.connectionId ?? "", new RegExp(`^${transport}/`));
        assert.equal(flow?.local.port, port + offset);
        assert.equal(flow?.remote.ip, "127.0.0.1");
      } finally {
        conn.close();
      }
    });
  }

  it("udp still works beside them", async () => {
    const udp = await UdpSipClient.open();
    try {
      const text = await udp.request(port, [
        `OPTIONS sip:${DIGEST_DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport`,
        `Max-Forwards: 70`,
        `From: <sip:probe@${DIGEST_DOMAIN}>;tag=p`,
        `To: <sip:${DIGEST_DOMAIN}>`,
        `Call-ID: transports-options@e2e`,
        `CSeq: 1 OPTIONS`,
        `Content-Length: 0`,
        ``,
        ``,
      ]);
      assert.match(text, /^SIP\/2\.0 200 /);
    } finally {
      udp.close();
    }
  });
});

// Registration over every transport through cluster mode (a real nats-server, redis-server and the
// location tier over gRPC): digest REGISTER over TCP, TLS, WS and WSS, each binding stored with the
// flow of the connection it came on, and OPTIONS over UDP. The listen addresses and the certificate
// reach the edge process as environment overrides (SIPFLEET_LISTEN, SIPFLEET_TLS_*), as a deployment
// sets them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { WebSocket } from "ws";
import { buildAuthorization, parseMessage, selectChallenge, StreamFramer, type SipResponse } from "@sipfleet/sip";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, USERS } from "./fixtures.js";
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

describe("registration over UDP, TCP, TLS, WS and WSS (cluster mode)", () => {
  let certs: TestCertificates | undefined;
  let t: TestCluster | undefined;

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestCluster(
      { edges: 1, registrars: 1, locations: 1 },
      {},
      {
        transports: ["tls", "ws", "wss"],
        env: { SIPFLEET_TLS_CERT_FILE: certs.server.certFile, SIPFLEET_TLS_KEY_FILE: certs.server.keyFile },
      },
    );
  });

  after(async () => {
    await t?.stop();
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
  });

  /** The edge's port on `transport` (TCP shares UDP's). */
  const portOf = (transport: "tcp" | "tls" | "ws" | "wss"): number => {
    const cluster = t as TestCluster;
    const port = transport === "tcp" ? cluster.edgePorts[0] : cluster.transportPorts[transport]?.[0];
    assert.ok(port !== undefined, `no ${transport} port`);
    return port;
  };

  // Each case connects to the port the edge was told to listen on for its transport, and the
  // binding's flow names that transport and port: every configured transport is listened on.
  for (const transport of ["tcp", "tls", "ws", "wss"] as const) {
    it(`${transport}: alice registers with digest; the binding's flow is the ${transport} connection`, async () => {
      const [user, password] = USERS[0];
      const port = portOf(transport);
      const conn =
        transport === "tcp" || transport === "tls"
          ? await openStream(transport, port, certs as TestCertificates)
          : await openWebSocket(transport, port, certs as TestCertificates);
      try {
        const res = await registerWithDigest(conn, user, password, transport.toUpperCase());
        assert.equal(res.status, 200, `${res.reason}\n${(t as TestCluster).logs.slice(-40).join("\n")}`);
        // Read back from the location tier over gRPC, as the registrars and proxies read it.
        const bindings = await (t as TestCluster).client.lookup(`sip:${user}@${DIGEST_DOMAIN}`);
        const mine = bindings.filter((b) => b.flow.transport === transport);
        assert.equal(mine.length, 1, JSON.stringify(bindings.map((b) => b.flow)));
        const flow = mine[0]?.flow;
        assert.match(flow?.connectionId ?? "", new RegExp(`^${transport}/`));
        assert.equal(flow?.local.port, port);
        assert.equal(flow?.remote.ip, "127.0.0.1");
      } finally {
        conn.close();
      }
    });
  }

  it("udp still works beside them", async () => {
    const udp = await UdpSipClient.open();
    try {
      const text = await udp.request((t as TestCluster).edgePorts[0] as number, [
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

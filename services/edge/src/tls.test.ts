import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "@sipfleet/config";
import { Transport } from "@sipfleet/proto";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { EdgeConfigError } from "./errors.js";
import { eventually, request, startTestEdge, stubRegistrar, TcpPeer, testTlsConfig, type Asked, type TestEdge } from "./harness.js";

describe("TLS configuration at start", () => {
  it("a tls or wss listener without edge.tls is refused, naming the listener", async () => {
    for (const transport of ["tls", "wss"] as const) {
      await assert.rejects(
        startTestEdge({ config: { listen: [{ transport, host: "127.0.0.1", port: 0 }] } }),
        (e: unknown) => e instanceof EdgeConfigError && e.message === `edge.tls: required by the ${transport} listener on 127.0.0.1:0`,
      );
    }
  });

  it("a trunk with inbound.tlsNames needs edge.tls.caFile: refused without it, naming the trunk's key", async () => {
    const certs = writeTestCertificates();
    try {
      const base = parseConfig(
        `domains: [ { name: example.test } ]\ntrunks:\n  - { name: plain, gateways: [ { host: 192.0.2.1 } ], inbound: { allow: [192.0.2.1] } }\n` +
          `  - { name: mtls, gateways: [ { host: 192.0.2.2 } ], inbound: { allow: [192.0.2.2], tlsNames: [sbc1.carrier.test] } }\n`,
        "test.yaml",
        {},
      );
      const listen = [{ transport: "tls" as const, host: "127.0.0.1", port: 0 }];
      for (const tls of [undefined, testTlsConfig(certs)]) {
        await assert.rejects(
          startTestEdge({ trunks: base.trunks, config: tls === undefined ? {} : { listen, tls } }),
          (e: unknown) =>
            e instanceof EdgeConfigError &&
            e.message === "trunks[1].inbound.tlsNames: needs edge.tls.caFile (and a tls or wss listener): the CA certificates the carrier's client certificate is verified against",
        );
      }
      const t = await startTestEdge({ trunks: base.trunks, config: { listen, tls: testTlsConfig(certs, { caFile: true }) } });
      await t.stop();
    } finally {
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});

describe("TLS listener", () => {
  let certs: TestCertificates;
  let t: TestEdge;
  let asked: Asked[];

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestEdge({
      tcpIdleTimeoutMs: 400,
      config: {
        listen: [
          { transport: "tcp", host: "127.0.0.1", port: 0 },
          { transport: "tls", host: "127.0.0.1", port: 0 },
        ],
        tls: testTlsConfig(certs),
      },
    });
    asked = stubRegistrar(t.workerBus, () => ({ status: 200, reason: "Registered" }));
  });

  after(async () => {
    await t.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  const connect = (options: Parameters<typeof TcpPeer.connectTls>[1] = {}): Promise<TcpPeer> =>
    TcpPeer.connectTls(t.address("tls"), { ca: certs.ca.cert, ...options });

  it("answers an OPTIONS to the platform with 200 over TLS, the certificate verified by the client", async () => {
    const peer = await connect();
    try {
      await peer.write(request({ method: "OPTIONS", transport: "TLS", sentBy: "192.0.2.10:5061" }));
      const res = await peer.response();
      assert.equal(res.status, 200);
      assert.equal(res.topVia?.received, "127.0.0.1");
    } finally {
      peer.close();
    }
  });

  it("a REGISTER's flow has transport TLS and the connection's id; keep-alive pings get pongs", async () => {
    const peer = await connect();
    try {
      await peer.write("\r\n\r\n");
      await eventually(() => peer.pongs === 1, 2000, "a pong");
      await peer.write(request({ transport: "TLS" }));
      assert.equal((await peer.response()).status, 200);
      const flow = asked.at(-1)?.envelope.flow;
      assert.equal(flow?.transport, Transport.TRANSPORT_TLS);
      assert.match(flow?.connectionId ?? "", /^tls\/[0-9a-f]+\.\d+$/);
      assert.deepEqual(flow?.remote, { ip: "127.0.0.1", port: peer.localPort });
      assert.equal(flow?.local?.port, t.address("tls").port);
    } finally {
      peer.close();
    }
  });

  it("the same framing as TCP: a message without Content-Length loses the framing and closes the connection", async () => {
    const peer = await connect();
    try {
      await peer.write(request({ transport: "TLS" }).replace(/Content-Length: 0\r\n/, ""));
      await eventually(() => peer.closed, 2000, "the connection to close");
      assert.ok(t.logger.has("warn", /tls framing lost/));
    } finally {
      peer.close();
    }
  });

  it("refuses a client whose highest version is below minVersion (TLSv1.3 here)", async () => {
    const strict = await startTestEdge({
      config: { listen: [{ transport: "tls", host: "127.0.0.1", port: 0 }], tls: { ...testTlsConfig(certs), minVersion: "TLSv1.3" } },
    });
    try {
      await assert.rejects(TcpPeer.connectTls(strict.address("tls"), { ca: certs.ca.cert, maxVersion: "TLSv1.2" }));
      const ok = await TcpPeer.connectTls(strict.address("tls"), { ca: certs.ca.cert });
      assert.equal((ok.socket as import("node:tls").TLSSocket).getProtocol(), "TLSv1.3");
      ok.close();
    } finally {
      await strict.stop();
    }
  });

  it("an idle TLS connection is closed after the idle timeout", async () => {
    const peer = await connect();
    try {
      await eventually(() => peer.closed, 5000, "the idle connection to close");
    } finally {
      peer.close();
    }
  });
});

describe("mutual TLS (requireClientCert)", () => {
  let certs: TestCertificates;
  let t: TestEdge;

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestEdge({
      config: {
        listen: [{ transport: "tls", host: "127.0.0.1", port: 0 }],
        tls: testTlsConfig(certs, { requireClientCert: true }),
      },
    });
  });

  after(async () => {
    await t.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  /** Connects and asks; resolves with the status, or "refused" when the edge drops the connection. */
  async function optionsStatus(options: Parameters<typeof TcpPeer.connectTls>[1]): Promise<number | "refused"> {
    let peer: TcpPeer;
    try {
      peer = await TcpPeer.connectTls(t.address("tls"), { ca: certs.ca.cert, ...options });
    } catch {
      return "refused";
    }
    try {
      // TLS 1.3: the client's handshake is done before the edge has checked its certificate; the
      // refusal arrives as an alert after, and the connection closes without an answer.
      await peer.write(request({ method: "OPTIONS", transport: "TLS" })).catch(() => {});
      const answered = peer.response(3000).then((r) => r.status);
      const closed = eventually(() => peer.closed, 3000, "the connection to close").then(() => "refused" as const);
      return await Promise.race([answered, closed]);
    } finally {
      peer.close();
    }
  }

  it("refuses a client without a certificate", async () => {
    assert.equal(await optionsStatus({}), "refused");
    assert.equal(t.edge.stats.requestsReceived, 0);
    await eventually(() => t.logger.lines.some((l) => /tls handshake failed/.test(l.msg) && /certificate/i.test(String((l.obj as { err?: Error }).err?.message))), 2000, "the refusal logged");
  });

  it("refuses a client whose certificate the CA did not sign", async () => {
    assert.equal(await optionsStatus({ cert: certs.stranger.cert, key: certs.stranger.key }), "refused");
    assert.equal(t.edge.stats.requestsReceived, 0);
  });

  it("serves a client with a certificate from the CA", async () => {
    assert.equal(await optionsStatus({ cert: certs.client.cert, key: certs.client.key }), 200);
  });
});

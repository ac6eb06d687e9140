import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { request, startTestEdge, stubRegistrar, TcpPeer, testTlsConfig, WsPeer, type Asked, type TestEdge } from "./harness.js";
import { certificateNames } from "./tls-peer-names.js";

describe("certificateNames (RFC 5922 §7.1)", () => {
  it("takes subjectAltName dNSName and bare sip: URI entries, lower-cased, once each; never the CN then", () => {
    assert.deepEqual(
      certificateNames("DNS:SBC1.Carrier.Example, IP Address:192.0.2.1, URI:sip:carrier.example, DNS:sbc1.carrier.example, email:noc@carrier.example", "cn.carrier.example"),
      ["sbc1.carrier.example", "carrier.example"],
    );
  });

  it("skips wildcards, sip: URIs with a user part, other schemes, and values Node had to quote", () => {
    assert.deepEqual(certificateNames('DNS:*.carrier.example, URI:sip:alice@carrier.example, URI:https://carrier.example, DNS:"a,b.example"', "cn.carrier.example"), []);
  });

  it("falls back to the (last) CN only without any subjectAltName", () => {
    assert.deepEqual(certificateNames(undefined, "Carrier.Test"), ["carrier.test"]);
    assert.deepEqual(certificateNames("", ["a.example", "b.example"]), ["b.example"]);
    assert.deepEqual(certificateNames("IP Address:192.0.2.1", "carrier.test"), [], "a subjectAltName without names: no CN");
    assert.deepEqual(certificateNames(undefined, "sipfleet test CA"), [], "a CN that is no DNS name");
  });
});

describe("TLS and WSS: the verified client certificate's names travel in the envelope", () => {
  let certs: TestCertificates;
  let t: TestEdge;
  let asked: Asked[];

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestEdge({
      config: {
        listen: [
          { transport: "tcp", host: "127.0.0.1", port: 0 },
          { transport: "tls", host: "127.0.0.1", port: 0 },
          { transport: "wss", host: "127.0.0.1", port: 0 },
        ],
        // The CA asks for a certificate; one that does not verify is let in, with no names.
        tls: testTlsConfig(certs, { caFile: true }),
      },
    });
    asked = stubRegistrar(t.workerBus, () => ({ status: 200, reason: "Registered" }));
  });

  after(async () => {
    await t.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  /** REGISTERs twice over one TLS connection and returns the names each envelope carried. */
  async function namesOverTls(client: { cert?: string; key?: string }): Promise<string[][]> {
    const peer = await TcpPeer.connectTls(t.address("tls"), { ca: certs.ca.cert, ...client });
    try {
      const seen: string[][] = [];
      for (let i = 0; i < 2; i++) {
        await peer.write(request({ transport: "TLS" }));
        assert.equal((await peer.response()).status, 200);
        seen.push(asked.at(-1)!.envelope.tlsPeerNames);
      }
      return seen;
    } finally {
      peer.close();
    }
  }

  it("a certificate from the CA with subjectAltName dNSNames: those names, on every request of the connection", async () => {
    const names = ["sbc1.carrier.test", "sbc2.carrier.test"];
    assert.deepEqual(await namesOverTls({ cert: certs.sanClient.cert, key: certs.sanClient.key }), [names, names]);
  });

  it("a certificate from the CA without subjectAltName: its CN", async () => {
    assert.deepEqual(await namesOverTls({ cert: certs.client.cert, key: certs.client.key }), [["carrier.test"], ["carrier.test"]]);
  });

  it("no certificate, or a self-signed one: no names", async () => {
    assert.deepEqual(await namesOverTls({}), [[], []]);
    assert.deepEqual(await namesOverTls({ cert: certs.stranger.cert, key: certs.stranger.key }), [[], []]);
  });

  it("plain TCP: no names", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write(request({ transport: "TCP" }));
      assert.equal((await peer.response()).status, 200);
      assert.deepEqual(asked.at(-1)!.envelope.tlsPeerNames, []);
    } finally {
      peer.close();
    }
  });

  it("wss: a certificate from the CA gives its names, a self-signed one none", async () => {
    for (const [client, expected] of [
      [certs.sanClient, ["sbc1.carrier.test", "sbc2.carrier.test"]],
      [certs.stranger, []],
    ] as const) {
      const peer = await WsPeer.connect(WsPeer.url(t.address("wss")), ["sip"], { ca: certs.ca.cert, cert: client.cert, key: client.key });
      try {
        await peer.send(request({ transport: "WSS", sentBy: "df7jal23ls0d.invalid" }));
        assert.equal((await peer.response()).status, 200);
        assert.deepEqual(asked.at(-1)!.envelope.tlsPeerNames, expected);
      } finally {
        peer.close();
      }
    }
  });
});

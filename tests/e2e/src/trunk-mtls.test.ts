// Calls from a carrier trunk bound to its client certificate (issue 5, mutual TLS) through cluster
// mode: the trunk's inbound.tlsNames make its source address alone not enough. A carrier SBC on
// TLS from the trunk's address with a certificate from the CA naming it reaches the DID's owner
// (no binding here, hence 480 from the proxy's lookup: the trunk was recognised); the same INVITE
// without a certificate, with a self-signed one, or with one naming someone else gets 403.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { newBranch, newCallId, newTag, type SipResponse } from "@sipfleet/sip";
import { writeTestCertificates, type TestCertificates } from "@sipfleet/testing";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN } from "./fixtures.js";
import { TlsSipClient } from "./tls-sip-client.js";

/** The trunk's source address (loopback). */
const CARRIER_IP = "127.0.0.91";
const DID = "+4930123400";
const CALLER = "+4915112345678";

const TRUNKS = `trunks:
  - name: mtls-carrier
    gateways:
      - { host: 127.0.0.1, port: 5091, transport: tls }
    inbound:
      allow: [${CARRIER_IP}]
      tlsNames: [sbc1.carrier.test]
    numbers:
      - { number: "${DID}", owner: alice@${DIGEST_DOMAIN} }
`;

describe("calls from a trunk with inbound.tlsNames (mutual TLS, cluster mode)", () => {
  let t: TestCluster;
  let certs: TestCertificates;

  before(async () => {
    certs = writeTestCertificates();
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 1, locations: 1 },
      { algorithms: ["MD5"], extraYaml: TRUNKS },
      {
        transports: ["tls"],
        env: { SIPFLEET_TLS_CERT_FILE: certs.server.certFile, SIPFLEET_TLS_KEY_FILE: certs.server.keyFile, SIPFLEET_TLS_CA_FILE: certs.ca.certFile },
      },
    );
  });
  after(async () => {
    await t?.stop();
    if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
  });

  /** The carrier's INVITE for the DID over a new TLS connection from the trunk's address; the final response (ACKed). */
  async function inviteDid(client: { cert?: string; key?: string }): Promise<SipResponse> {
    const conn = await TlsSipClient.open(t.transportPorts.tls?.[0] as number, certs, { ...client, localAddress: CARRIER_IP });
    try {
      const self = `${CARRIER_IP}:${conn.localPort}`;
      const branch = newBranch();
      const fromTag = newTag();
      const callId = newCallId();
      const common = [`Max-Forwards: 70`, `From: <sip:${CALLER}@${CARRIER_IP}>;tag=${fromTag}`];
      conn.send([
        `INVITE sip:${DID}@${DIGEST_DOMAIN};user=phone SIP/2.0`,
        `Via: SIP/2.0/TLS ${self};branch=${branch};rport`,
        ...common,
        `To: <sip:${DID}@${DIGEST_DOMAIN};user=phone>`,
        `Call-ID: ${callId}`,
        `CSeq: 1 INVITE`,
        `Contact: <sip:${CALLER}@${self};transport=tls>`,
        `Content-Length: 0`,
      ]);
      const final = await conn.next((r) => r.status >= 200 && r.cseq.method === "INVITE");
      // RFC 3261 §17.1.1.3: the ACK for a non-2xx, hop by hop, with the INVITE's branch.
      conn.send([`ACK sip:${DID}@${DIGEST_DOMAIN};user=phone SIP/2.0`, `Via: SIP/2.0/TLS ${self};branch=${branch};rport`, ...common, `To: ${final.header("To")}`, `Call-ID: ${callId}`, `CSeq: 1 ACK`, `Content-Length: 0`]);
      return final;
    } finally {
      conn.close();
    }
  }

  it("a certificate from the CA naming sbc1.carrier.test: the trunk's call reaches the DID's owner (480: no binding)", async () => {
    const r = await inviteDid({ cert: certs.sanClient.cert, key: certs.sanClient.key });
    assert.equal(r.status, 480, `${r.status} ${r.reason}\n--- cluster:\n${t.logs.slice(-40).join("\n")}`);
  });

  it("no certificate, a self-signed one, or one from the CA naming someone else: 403, logged by the proxy", async () => {
    for (const [what, client] of [
      ["no certificate", {}],
      ["self-signed", { cert: certs.stranger.cert, key: certs.stranger.key }],
      ["CN carrier.test", { cert: certs.client.cert, key: certs.client.key }],
    ] as const) {
      const r = await inviteDid(client);
      assert.deepEqual([r.status, r.reason], [403, "Forbidden"], what);
    }
    // The proxy's log lines come through its stdout, possibly after the 403 reached us: waited for.
    const refusals = (): string[] => t.logs.filter((l) => l.includes("without a verified client certificate naming the trunk"));
    for (const deadline = Date.now() + 10_000; refusals().length < 3 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    assert.equal(refusals().length, 3, refusals().join("\n"));
    assert.ok(refusals().some((l) => l.includes('"tlsPeerNames":["carrier.test"]')), "the names seen are logged");
  });
});

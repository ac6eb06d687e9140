import { strict as assert } from "node:assert";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Forward_Failover, type Target } from "@sipfleet/proto";
import { buildChallenge, computeHa1, createResponse, deriveTimers, parseCredentials, parseMessage, verifyCredentials, type SipRequest, type SipResponse } from "@sipfleet/sip";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import type { Trunk } from "@sipfleet/trunks";
import { startEdge, type Edge } from "./edge.js";
import { ackFor, forward, fwd, invite, next, nextRequest, nextResponse, stubProxy, type Decide } from "./forking-fixtures.js";
import { QUIET_BUS_LOGGER, RecordingLogger, request, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * A carrier's 401/407 answered with the trunk's outbound credentials (carrier-challenge.ts): a
 * test socket plays the carrier's gateway behind a stand-in proxy worker on a real NATS server;
 * it challenges with real digest challenges and checks the answers with verifyCredentials.
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the carrier challenge tests are skipped";

const USER = "acme-trunk";
const PASSWORD = "s3cret-trunk-pw";
const REALM = "carrier.test";
// Double record-route as the proxy writes it (record-route.ts): carrier side first.
const RR_CARRIER = "<sip:127.0.0.1:5070;lr;ft=carrierside>";
const RR_CALLER = "<sip:127.0.0.1:5070;lr;ft=callerside>";

function trunk(name: string, credentials: { username: string; password: string } | undefined): Trunk {
  return {
    name,
    gateways: [{ host: "127.0.0.1", port: 5090, transport: "udp", priority: 1, weight: 1 }],
    inbound: { allow: [], credentials: undefined },
    numbers: [],
    outbound: { credentials, register: undefined },
    maxConcurrentCalls: undefined,
  };
}

describe("carrier challenges: the edge answers with the trunk's outbound credentials", { skip: missing }, () => {
  let nats: EngineProcess;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let edge: Edge;
  let logger: RecordingLogger;
  let edgeAddr: { host: string; port: number };
  let caller: UdpPeer;
  let gw: UdpPeer;
  let gw2: UdpPeer;
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };

  before(async () => {
    nats = await startNatsServer();
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-carrier-auth", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "proxy-stand-in", logger: QUIET_BUS_LOGGER });
    stubProxy(workerBus, ref);
    await workerBus.flush?.();
    logger = new RecordingLogger();
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-ca",
      logger,
      stopLingerMs: 0,
      // T1 = 50 ms: answered INVITEs linger (RFC 6026 Accepted, 64*T1) only briefly at stop.
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
      trunks: [trunk("with-creds", { username: USER, password: PASSWORD }), trunk("no-creds", undefined)],
    });
    const a = edge.addresses[0];
    assert.ok(a);
    edgeAddr = { host: a.host, port: a.port };
  });

  after(async () => {
    await edge?.stop();
    await edgeBus?.close();
    await workerBus?.close();
    await nats?.stop();
  });

  beforeEach(async () => {
    [caller, gw, gw2] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  });

  afterEach(async () => {
    await Promise.all([caller.close(), gw.close(), gw2.close()]);
  });

  const to = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...edgeAddr });
  /** A gateway by address, as the proxy's outbound trunk groups target it. */
  const gateway = (peer: UdpPeer, trunkName: string): Target => ({
    requestUri: `sip:+15550100@${peer.ip}:${peer.port};transport=udp`,
    routes: [],
    recordRoutes: [RR_CARRIER, RR_CALLER],
    flow: undefined,
    trunk: trunkName,
    nextHop: undefined,
  });
  const toTrunk = (trunkName: string, peer: UdpPeer = gw): void => {
    ref.decide = (req) =>
      req.method === "MESSAGE"
        ? fwd(forward([{ targets: [{ ...gateway(peer, ""), recordRoutes: [] }] }]))
        : fwd(forward([{ targets: [gateway(peer, trunkName)] }], { failover: Forward_Failover.FAILOVER_SERVER_FAILURE }));
  };

  /** The gateway answers `req` (to the edge), with extra header lines. */
  function reply(peer: UdpPeer, req: SipRequest, status: number, headers: [string, string][] = []): SipResponse {
    const res = createResponse(req, status, { toTag: "carrier1", headers });
    peer.send(res.bytes, to());
    return res;
  }

  const challenge = (nonce: string, extra: { algorithm?: string; stale?: boolean } = {}): string =>
    buildChallenge({ realm: REALM, nonce, algorithm: extra.algorithm ?? "MD5", stale: extra.stale });

  /** Reads the gateway's next ACK and INVITE (their order on the wire is the edge's business). */
  async function ackAndInvite(peer: UdpPeer): Promise<{ ack: SipRequest; again: SipRequest }> {
    let ack: SipRequest | undefined;
    let again: SipRequest | undefined;
    while (ack === undefined || again === undefined) {
      const m = await next(peer);
      if (!m.isRequest) continue;
      if (m.method === "ACK") ack = m;
      else if (m.method === "INVITE") again = m;
    }
    return { ack, again };
  }

  function verify(req: SipRequest, header: string, algorithm: "MD5" | "SHA-256", password = PASSWORD): ReturnType<typeof verifyCredentials> {
    const value = req.header(header);
    assert.ok(value !== undefined, `${header} missing`);
    return verifyCredentials({ credentials: value, method: req.method, ha1: { [algorithm]: computeHa1(USER, REALM, password, algorithm) }, realm: REALM, requestUri: req.uriText });
  }

  it("407, then the INVITE again with Proxy-Authorization, CSeq + 1, a new branch, cso on the carrier-side Record-Route; the 200 reaches the caller with its CSeq", async () => {
    toTrunk("with-creds");
    const inv = invite("ca-407");
    caller.send(inv, to());
    const first = await nextRequest(gw, "INVITE");
    assert.equal(first.header("proxy-authorization"), undefined);
    assert.equal(first.cseq.seq, 1);
    reply(gw, first, 407, [["Proxy-Authenticate", challenge("n-407-1")]]);
    const { ack, again } = await ackAndInvite(gw);
    // §17.1.1.3: the ACK for the 407 goes to the carrier, on the first INVITE's branch.
    assert.equal(ack.topVia?.branch, first.topVia?.branch);
    assert.equal(ack.cseq.seq, 1);
    // §22.2 / §8.1.3.5: same Call-ID and From tag, CSeq + 1, a new transaction.
    assert.equal(again.callId, first.callId);
    assert.equal(again.from.tag, first.from.tag);
    assert.equal(again.cseq.seq, 2);
    assert.notEqual(again.topVia?.branch, first.topVia?.branch);
    const ok = verify(again, "proxy-authorization", "MD5");
    assert.ok(ok.ok, `the carrier accepts the credentials: ${JSON.stringify(ok)}`);
    assert.equal(verify(again, "proxy-authorization", "MD5", "wrong-password").ok, false, "the check tells a wrong password");
    const creds = parseCredentials(again.header("proxy-authorization") as string);
    assert.equal(creds.username, USER);
    assert.equal(creds.qop, "auth");
    assert.equal(creds.nc, "00000001");
    assert.ok((creds.cnonce ?? "").length > 0);
    // The offset rides on the value facing the carrier; the caller-side value is untouched.
    const rr = again.headers("record-route");
    assert.deepEqual(rr.slice(0, 2), [RR_CARRIER.replace(">", ";cso=1>"), RR_CALLER]);
    assert.deepEqual(first.headers("record-route").slice(0, 2), [RR_CARRIER, RR_CALLER]);

    reply(gw, again, 180);
    const ringing = await nextResponse(caller);
    assert.equal(ringing.status, 180, "the 407 never reaches the caller");
    assert.equal(ringing.cseq.seq, 1, "the caller sees its own CSeq");
    reply(gw, again, 200);
    const answered = await nextResponse(caller, 200);
    assert.equal(answered.cseq.seq, 1);
    assert.equal(answered.cseq.method, "INVITE");
    assert.ok(logger.lines.every((r) => !JSON.stringify(r).includes(PASSWORD)), "the password is never logged");
  });

  it("401 with qop and SHA-256 preferred over MD5 (RFC 8760): answered with Authorization using SHA-256", async () => {
    toTrunk("with-creds");
    const inv = invite("ca-401");
    caller.send(inv, to());
    const first = await nextRequest(gw, "INVITE");
    reply(gw, first, 401, [
      ["WWW-Authenticate", challenge("n-401-1", { algorithm: "SHA-256" })],
      ["WWW-Authenticate", challenge("n-401-1", { algorithm: "MD5" })],
    ]);
    const { again } = await ackAndInvite(gw);
    assert.equal(again.header("proxy-authorization"), undefined);
    const creds = parseCredentials(again.header("authorization") as string);
    assert.equal(creds.algorithm, "SHA-256");
    assert.equal(creds.qop, "auth");
    assert.equal(creds.nc, "00000001");
    const ok = verify(again, "authorization", "SHA-256");
    assert.ok(ok.ok, JSON.stringify(ok));
    reply(gw, again, 486);
    const final = await nextResponse(caller);
    assert.equal(final.status, 486);
    assert.equal(final.cseq.seq, 1);
    caller.send(ackFor(inv, final), to());
  });

  it("a second challenge for the same realm is not answered: the caller gets a 403, the carrier no third INVITE", async () => {
    toTrunk("with-creds");
    const inv = invite("ca-twice");
    caller.send(inv, to());
    const first = await nextRequest(gw, "INVITE");
    reply(gw, first, 407, [["Proxy-Authenticate", challenge("n-twice-1")]]);
    const { again } = await ackAndInvite(gw);
    reply(gw, again, 407, [["Proxy-Authenticate", challenge("n-twice-2")]]);
    const final = await nextResponse(caller);
    assert.equal(final.status, 403);
    assert.equal(final.header("proxy-authenticate"), undefined, "the carrier's challenge is not passed on");
    caller.send(ackFor(inv, final), to());
    // A marker through the same edge to the gateway: a third INVITE would come before it.
    caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", callId: "ca-twice-marker", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    for (;;) {
      const m = await next(gw);
      if (!m.isRequest || m.method === "ACK") continue;
      assert.equal(m.method, "MESSAGE", "no INVITE after the second challenge");
      reply(gw, m, 200);
      break;
    }
    assert.ok(logger.lines.some((r) => r.msg === "carrier challenge not answered"));
  });

  it("a re-challenge with stale=true is answered once more (CSeq + 2, cso=2)", async () => {
    toTrunk("with-creds");
    caller.send(invite("ca-stale"), to());
    const first = await nextRequest(gw, "INVITE");
    reply(gw, first, 407, [["Proxy-Authenticate", challenge("n-stale-1")]]);
    const { again } = await ackAndInvite(gw);
    reply(gw, again, 407, [["Proxy-Authenticate", challenge("n-stale-2", { stale: true })]]);
    const third = (await ackAndInvite(gw)).again;
    assert.equal(third.cseq.seq, 3);
    assert.equal(parseCredentials(third.header("proxy-authorization") as string).nonce, "n-stale-2");
    assert.equal(third.headers("proxy-authorization").length, 1, "the stale answer replaces the old one");
    assert.equal(third.headers("record-route")[0], RR_CARRIER.replace(">", ";cso=2>"));
    reply(gw, third, 200);
    assert.equal((await nextResponse(caller, 200)).cseq.seq, 1);
  });

  it("the caller's CANCEL after the re-send cancels the authenticated branch", async () => {
    toTrunk("with-creds");
    const inv = invite("ca-cancel");
    caller.send(inv, to());
    const first = await nextRequest(gw, "INVITE");
    reply(gw, first, 407, [["Proxy-Authenticate", challenge("n-cancel-1")]]);
    const { again } = await ackAndInvite(gw);
    reply(gw, again, 180);
    await nextResponse(caller, 180);
    const branch = parseMessage(Buffer.from(inv, "latin1")).topVia?.branch as string;
    caller.send(request({ method: "CANCEL", uri: "sip:bob@example.com", callId: "ca-cancel", branch, viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    assert.equal((await nextResponse(caller, 200)).cseq.method, "CANCEL");
    const cancel = await nextRequest(gw, "CANCEL");
    // §9.1: the CANCEL matches the re-sent INVITE: its branch and its CSeq number.
    assert.equal(cancel.topVia?.branch, again.topVia?.branch);
    assert.equal(cancel.cseq.seq, 2);
    reply(gw, cancel, 200);
    reply(gw, again, 487);
    const final = await nextResponse(caller);
    assert.equal(final.status, 487);
    assert.equal(final.cseq.seq, 1);
    assert.equal(final.cseq.method, "INVITE");
    caller.send(ackFor(inv, final), to());
  });

  it("a trunk without outbound credentials: the 407 reaches the caller as the carrier sent it", async () => {
    toTrunk("no-creds");
    const inv = invite("ca-nocreds");
    caller.send(inv, to());
    const first = await nextRequest(gw, "INVITE");
    const ch = challenge("n-nocreds");
    reply(gw, first, 407, [["Proxy-Authenticate", ch]]);
    const final = await nextResponse(caller);
    assert.equal(final.status, 407);
    assert.equal(final.header("proxy-authenticate"), ch);
    caller.send(ackFor(inv, final), to());
  });

  it("a trunk added at runtime (applyConfig): its credentials answer the carrier's 407, where before the 407 reached the caller", async () => {
    const original = edge.trunks;
    toTrunk("added-later");
    const inv = invite("ca-added-before");
    caller.send(inv, to());
    const first = await nextRequest(gw, "INVITE");
    reply(gw, first, 407, [["Proxy-Authenticate", challenge("n-added-1")]]);
    const refused = await nextResponse(caller);
    assert.equal(refused.status, 407, "an unknown trunk has no credentials");
    caller.send(ackFor(inv, refused), to());

    await edge.applyConfig({ domains: ["example.com"], trunks: [...original, trunk("added-later", { username: USER, password: PASSWORD })] });
    try {
      const inv2 = invite("ca-added-after");
      caller.send(inv2, to());
      const second = await nextRequest(gw, "INVITE");
      reply(gw, second, 407, [["Proxy-Authenticate", challenge("n-added-2")]]);
      const { again } = await ackAndInvite(gw);
      assert.ok(verify(again, "proxy-authorization", "MD5").ok, "answered with the added trunk's credentials");
      reply(gw, again, 200);
      assert.equal((await nextResponse(caller, 200)).status, 200);
    } finally {
      await edge.applyConfig({ domains: ["example.com"], trunks: original });
    }
  });

  it("in a dialog: a challenged re-INVITE is passed on (its route set cannot carry a new offset), a challenged BYE is answered", async () => {
    ref.decide = () => fwd(forward([{ targets: [{ ...gateway(gw, "with-creds"), recordRoutes: [] }] }]));
    const inDialog = (method: string, cseq: number): string =>
      request({ method, uri: `sip:+15550100@${gw.ip}:${gw.port}`, callId: "ca-in-dialog", cseq, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
        "To: <sip:alice@example.com>",
        "To: <sip:alice@example.com>;tag=carrier1",
      );
    const reinvite = inDialog("INVITE", 5);
    caller.send(reinvite, to());
    const ri = await nextRequest(gw, "INVITE");
    reply(gw, ri, 407, [["Proxy-Authenticate", challenge("n-ri")]]);
    const passed = await nextResponse(caller);
    assert.equal(passed.status, 407);
    caller.send(ackFor(reinvite, passed).replace("CSeq: 1 ACK", "CSeq: 5 ACK"), to());

    caller.send(inDialog("BYE", 6), to());
    const bye = await nextRequest(gw, "BYE");
    assert.equal(bye.cseq.seq, 6);
    reply(gw, bye, 401, [["WWW-Authenticate", challenge("n-bye")]]);
    const again = await nextRequest(gw, "BYE");
    assert.equal(again.cseq.seq, 7);
    assert.notEqual(again.topVia?.branch, bye.topVia?.branch);
    assert.ok(verify(again, "authorization", "MD5").ok);
    reply(gw, again, 200);
    const ok = await nextResponse(caller, 200);
    assert.equal(ok.cseq.seq, 6);
    assert.equal(ok.cseq.method, "BYE");
  });

  it("a dialog-creating INVITE without Record-Route values (nowhere to keep the offset): the 407 is passed on", async () => {
    ref.decide = () => fwd(forward([{ targets: [{ ...gateway(gw, "with-creds"), recordRoutes: [] }] }]));
    const inv = invite("ca-no-rr");
    caller.send(inv, to());
    reply(gw, await nextRequest(gw, "INVITE"), 407, [["Proxy-Authenticate", challenge("n-no-rr")]]);
    const final = await nextResponse(caller);
    assert.equal(final.status, 407);
    caller.send(ackFor(inv, final), to());
  });

  it("Forward.cseq_offset: an in-dialog BYE goes out with CSeq + offset, its 200 comes back with the caller's CSeq; the ACK for a 2xx is shifted too", async () => {
    ref.decide = () => fwd(forward([{ targets: [{ ...gateway(gw, ""), recordRoutes: [] }] }], { cseqOffset: 1 }));
    const inDialog = (method: string, cseq: number): string =>
      request({ method, uri: `sip:+15550100@${gw.ip}:${gw.port}`, callId: "ca-dialog", cseq, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
        "To: <sip:alice@example.com>",
        "To: <sip:alice@example.com>;tag=carrier1",
      );
    caller.send(inDialog("ACK", 1), to());
    const ack = await nextRequest(gw, "ACK");
    assert.equal(ack.cseq.seq, 2);
    caller.send(inDialog("BYE", 2), to());
    const bye = await nextRequest(gw, "BYE");
    assert.equal(bye.cseq.seq, 3);
    reply(gw, bye, 200);
    const ok = await nextResponse(caller, 200);
    assert.equal(ok.cseq.seq, 2);
    assert.equal(ok.cseq.method, "BYE");
  });
});

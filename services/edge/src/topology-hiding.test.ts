import { strict as assert } from "node:assert";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Forward_CarrierSide, type Target } from "@sipfleet/proto";
import { CONTACT_TOKEN_PARAM, ContactMasks } from "@sipfleet/routing";
import { createResponse, deriveTimers, parseUri, SipUri, type SipRequest } from "@sipfleet/sip";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { startEdge, type Edge } from "./edge.js";
import { forward, fwd, next, nextRequest, nextResponse, stubProxy, udpFlow, type Decide } from "./forking-fixtures.js";
import { QUIET_BUS_LOGGER, RecordingLogger, request, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * Topology hiding toward carriers (topology-hiding.ts): a test socket plays a carrier's gateway,
 * another the user (whose Via stack and Contact name a private network, 192.0.2.10), behind a
 * stand-in proxy worker on a real NATS server. The stand-in restores masked Request-URIs with the
 * same ContactMasks and secret as the proxy (services/proxy topology-hiding.ts, tested there).
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the topology hiding tests are skipped";

const SECRET = "the platform's shared secret, 32+ characters long";
const PRIVATE = "192.0.2.10";
const PHONE_BRANCH = "z9hG4bKphone-behind-a-pbx";
const USER_CONTACT_URI = `sip:alice@${PRIVATE}:5062;ob`;
const USER_CONTACT = `<${USER_CONTACT_URI}>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>";reg-id=1`;
const RR_CARRIER = "<sip:127.0.0.1:5070;lr;ft=carrierside>";
const RR_CALLER = "<sip:127.0.0.1:5070;lr;ft=callerside>";

describe("topology hiding: what a carrier sees of the user's side", { skip: missing }, () => {
  let nats: EngineProcess;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let edge: Edge;
  let edgeAddr: { host: string; port: number };
  let user: UdpPeer;
  let gw: UdpPeer;
  const masks = new ContactMasks(SECRET);
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };

  before(async () => {
    nats = await startNatsServer();
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-topology", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "proxy-stand-in", logger: QUIET_BUS_LOGGER });
    stubProxy(workerBus, ref);
    await workerBus.flush?.();
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-th",
      logger: new RecordingLogger(),
      stopLingerMs: 0,
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
      sharedSecret: SECRET,
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
    [user, gw] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  });

  afterEach(async () => {
    await Promise.all([user.close(), gw.close()]);
  });

  const to = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...edgeAddr });
  const gateway = (): Target => ({
    requestUri: `sip:+15550100@${gw.ip}:${gw.port}`,
    routes: [],
    recordRoutes: [RR_CARRIER, RR_CALLER],
    flow: undefined,
    trunk: "carrier",
    nextHop: undefined,
  });
  const toUser = (uri: string): Target => ({ requestUri: uri, routes: [], recordRoutes: [], flow: udpFlow("edge-th", edgeAddr, user), trunk: "", nextHop: undefined });

  /** A request from the user behind a PBX at a private address: two Vias, a Contact with device parameters. */
  function fromUser(method: string, callId: string, branch: string, extra: string[] = []): string {
    return request({ method, uri: "sip:+15550100@example.com", callId, branch, viaParams: ";rport", sentBy: `127.0.0.1:${user.port}`, extra })
      .replace(/(Via: [^\r]*\r\n)/, `$1Via: SIP/2.0/UDP ${PRIVATE}:5062;branch=${PHONE_BRANCH};received=10.1.1.1\r\n`)
      .replace(`Contact: <sip:alice@192.0.2.10:5060>`, `Contact: ${USER_CONTACT}`);
  }

  function sipUri(text: string): SipUri {
    const uri = parseUri(text);
    assert.ok(uri instanceof SipUri, text);
    return uri;
  }

  /** The original URI a masked Contact of this edge carries. */
  function unmask(uriText: string): string {
    const uri = sipUri(uriText);
    const token = uri.params.get(CONTACT_TOKEN_PARAM);
    assert.equal(typeof token, "string", `no ${CONTACT_TOKEN_PARAM} in ${uriText}`);
    const original = masks.decode(token as string);
    assert.ok(original !== undefined, "the token does not decode");
    return original;
  }

  function assertMasked(contact: string | undefined): void {
    assert.ok(contact !== undefined, "no Contact");
    const m = /^<([^>]*)>$/.exec(contact);
    assert.ok(m, `Contact ${contact} is a bare masked URI`);
    const uri = sipUri(m[1]!);
    assert.equal(uri.host, edgeAddr.host);
    assert.equal(uri.port, edgeAddr.port);
    assert.equal(unmask(m[1]!), USER_CONTACT_URI);
  }

  it("a call to a carrier: one Via and a masked Contact at the gateway; the caller's Vias back on the 200; the carrier's BYE reaches the caller", async () => {
    ref.decide = (req) => {
      if (req.to.tag === undefined) return fwd(forward([{ targets: [gateway()] }], { carrierSide: Forward_CarrierSide.CARRIER_SIDE_BRANCHES }));
      // The proxy's in-dialog decision: the masked Request-URI restored, the carrier upstream.
      const token = sipUri(req.uriText).params.get(CONTACT_TOKEN_PARAM) as string;
      return fwd(forward([{ targets: [toUser(masks.decode(token) ?? "")] }], { carrierSide: Forward_CarrierSide.CARRIER_SIDE_UPSTREAM }));
    };
    const inviteText = fromUser("INVITE", "th-out-1@pbx", "z9hG4bKcaller-out-1");
    user.send(inviteText, to());

    const atGw = await nextRequest(gw, "INVITE");
    const wire = atGw.bytes.toString("latin1");
    assert.equal(atGw.via.length, 1, "only the edge's Via reaches the carrier");
    assert.equal(atGw.via[0]!.host, edgeAddr.host);
    assert.equal(atGw.via[0]!.port, edgeAddr.port);
    assertMasked(atGw.header("Contact"));
    for (const leak of [PRIVATE, PHONE_BRANCH, "z9hG4bKcaller-out-1", `127.0.0.1:${user.port}`, "+sip.instance", "urn:uuid"]) {
      assert.ok(!wire.includes(leak), `the carrier sees ${leak}:\n${wire}`);
    }

    const ok = createResponse(atGw, 200, { toTag: "carrier-tag", headers: [["Contact", `<sip:+15550100@${gw.ip}:${gw.port}>`]] });
    gw.send(ok.bytes, to());
    const atUser = await nextResponse(user, 200);
    assert.deepEqual(
      atUser.via.map((v) => v.branch),
      ["z9hG4bKcaller-out-1", PHONE_BRANCH],
      "the 200 carries the caller's own Via stack",
    );
    assert.equal(atUser.via[0]!.params.get("received"), "127.0.0.1");
    assert.equal(atUser.via[1]!.params.get("received"), "10.1.1.1");
    assert.equal(atUser.cseq.seq, 1);

    // The carrier hangs up: its BYE goes to the masked remote target (RFC 3261 §12.1.2).
    const masked = /^<([^>]*)>$/.exec(atGw.header("Contact") ?? "")![1]!;
    const bye = [
      `BYE ${masked} SIP/2.0`,
      `Via: SIP/2.0/UDP ${gw.ip}:${gw.port};branch=z9hG4bKcarrier-bye-1;rport`,
      "Max-Forwards: 70",
      `Route: ${RR_CARRIER},${RR_CALLER}`,
      `From: <sip:+15550100@carrier.test>;tag=carrier-tag`,
      `To: <sip:alice@example.com>;tag=from1`,
      "Call-ID: th-out-1@pbx",
      "CSeq: 1 BYE",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    gw.send(bye, to());
    const byeAtUser = await nextRequest(user, "BYE");
    assert.equal(byeAtUser.uriText, USER_CONTACT_URI, "the caller gets the Request-URI it put in its Contact");
    // Its 200 (with a Contact, as some UAs send) reaches the carrier masked.
    const byeOk = createResponse(byeAtUser, 200, { headers: [["Contact", USER_CONTACT]] });
    user.send(byeOk.bytes, to());
    const okAtGw = await nextResponse(gw, 200);
    assertMasked(okAtGw.header("Contact"));
    assert.ok(!okAtGw.bytes.toString("latin1").includes(PRIVATE));
    assert.equal(okAtGw.via.length, 1);
    assert.equal(okAtGw.via[0]!.branch, "z9hG4bKcarrier-bye-1");
  });

  it("a call from a carrier: the user's 180 and 200 reach the carrier with the Contact masked", async () => {
    ref.decide = () => fwd(forward([{ targets: [toUser(`sip:alice@${PRIVATE}:5062`)] }], { carrierSide: Forward_CarrierSide.CARRIER_SIDE_UPSTREAM }));
    const inviteText = [
      `INVITE sip:+4930123@127.0.0.1 SIP/2.0`,
      `Via: SIP/2.0/UDP ${gw.ip}:${gw.port};branch=z9hG4bKcarrier-in-1;rport`,
      "Max-Forwards: 70",
      "From: <sip:+15550100@carrier.test>;tag=c-in",
      "To: <sip:+4930123@example.com>",
      "Call-ID: th-in-1@carrier",
      "CSeq: 7 INVITE",
      `Contact: <sip:+15550100@${gw.ip}:${gw.port}>`,
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    gw.send(inviteText, to());
    const atUser = await nextRequest(user, "INVITE");
    for (const status of [180, 200]) {
      const res = createResponse(atUser, status, { toTag: "user-tag", headers: [["Contact", USER_CONTACT]] });
      user.send(res.bytes, to());
      const atGw = await nextResponse(gw, status);
      assertMasked(atGw.header("Contact"));
      const wire = atGw.bytes.toString("latin1");
      for (const leak of [PRIVATE, "+sip.instance", `127.0.0.1:${user.port}`]) assert.ok(!wire.includes(leak), `the carrier sees ${leak}:\n${wire}`);
      assert.deepEqual(atGw.via.map((v) => v.branch), ["z9hG4bKcarrier-in-1"]);
    }
  });

  it("the caller's ACK for a carrier's 2xx (stateless) goes with the edge's Via only", async () => {
    ref.decide = () => fwd(forward([{ targets: [{ ...gateway(), recordRoutes: [] }] }], { carrierSide: Forward_CarrierSide.CARRIER_SIDE_BRANCHES }));
    const ack = fromUser("ACK", "th-ack-1@pbx", "z9hG4bKcaller-ack-1").replace("To: <sip:alice@example.com>", "To: <sip:alice@example.com>;tag=carrier-tag");
    user.send(ack, to());
    let m;
    do m = await next(gw);
    while (!m.isRequest);
    assert.equal((m as SipRequest).method, "ACK");
    assert.equal(m.via.length, 1);
    assertMasked(m.header("Contact"));
    assert.ok(!m.bytes.toString("latin1").includes(PRIVATE));
  });

  it("without a carrier side nothing is hidden (a user-to-user call)", async () => {
    ref.decide = () => fwd(forward([{ targets: [{ ...gateway(), trunk: "" }] }]));
    user.send(fromUser("INVITE", "th-plain-1@pbx", "z9hG4bKcaller-plain-1"), to());
    const atGw = await nextRequest(gw, "INVITE");
    assert.equal(atGw.via.length, 3);
    assert.equal(atGw.header("Contact"), USER_CONTACT);
    gw.send(createResponse(atGw, 486, { toTag: "x" }).bytes, to());
    const res = await nextResponse(user, 486);
    assert.equal(res.via.length, 2);
  });
});

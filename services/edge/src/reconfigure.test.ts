import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import { parseMessage, type SipResponse } from "@sipfleet/sip";
import { ATTR_SIP_CALL_ID, ATTR_SIP_TRUNK } from "@sipfleet/telemetry";
import { captureSpans } from "@sipfleet/telemetry/testing";
import { parseSubnet, type Subnet, type Trunk } from "@sipfleet/trunks";
import { FakeGateway, FakeRegistrar } from "./carrier-fixtures.js";
import { EdgeConfigError } from "./errors.js";
import { eventually, request, sleep, startTestEdge, stubRegistrar, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * Edge.applyConfig: domains and trunks taken while the edge runs (a configuration change from the
 * Kubernetes custom resources), against real sockets: carriers registering and being pinged on
 * loopback, a UA's requests answered by the edge or its (stub) workers.
 */

const DOMAINS = ["example.com"];

function subnet(text: string): Subnet {
  const p = parseSubnet(text);
  if ("problem" in p) throw new Error(p.problem);
  return p.subnet;
}

function trunk(name: string, gatewayPort: number, extra: { allow?: string[]; register?: Trunk["outbound"]["register"]; password?: string; tlsNames?: string[] } = {}): Trunk {
  return {
    name,
    gateways: [{ host: "127.0.0.1", port: gatewayPort, transport: "udp", priority: 1, weight: 1 }],
    inbound: { allow: (extra.allow ?? []).map(subnet), credentials: undefined, ...(extra.tlsNames === undefined ? {} : { tlsNames: extra.tlsNames }) },
    numbers: [],
    outbound: { credentials: extra.password === undefined ? undefined : { username: "acme", password: extra.password }, register: extra.register },
    maxConcurrentCalls: undefined,
  };
}

/** Every response a peer gets until `quietMs` pass without one. */
async function drain(peer: UdpPeer, quietMs = 700): Promise<SipResponse[]> {
  const out: SipResponse[] = [];
  for (;;) {
    try {
      out.push(parseMessage((await peer.inbox.next(quietMs, "response")).data) as SipResponse);
    } catch {
      return out;
    }
  }
}

describe("edge applying new domains and trunks without a restart (applyConfig)", () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it("a trunk added: requests from its source are the trunk's (span attribute, exempt from the rate limit)", async () => {
    const spans = captureSpans();
    cleanup.push(() => spans.shutdown());
    const t = await startTestEdge({ tracer: spans.tracer, config: { rateLimit: { requestsPerSecond: 3, rejectsPerSecond: 100, syncIntervalMs: 100, allow: [] } } });
    cleanup.push(() => t.stop());
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
    const carrier = await UdpPeer.open("127.0.0.1");
    cleanup.push(() => carrier.close());
    const burst = async (tag: string): Promise<SipResponse[]> => {
      for (let i = 0; i < 10; i++) carrier.send(request({ sentBy: `127.0.0.1:${carrier.port}`, callId: `${tag}-${i}` }), t.address("udp"));
      return drain(carrier);
    };
    const trunkOf = (callId: string): unknown => spans.spans().find((s) => s.kind === SpanKind.SERVER && s.attributes[ATTR_SIP_CALL_ID] === callId)?.attributes[ATTR_SIP_TRUNK];

    const before = await burst("before");
    assert.ok(before.filter((r) => r.status === 503).length > 0, `an unknown source is rate limited: ${before.map((r) => r.status).join(",")}`);
    await eventually(() => spans.spans().some((s) => s.attributes[ATTR_SIP_CALL_ID] === "before-0"), 5000, "span of the first request");
    assert.equal(trunkOf("before-0"), undefined);

    await t.edge.applyConfig({ domains: DOMAINS, trunks: [trunk("lab-carrier", 5099, { allow: ["127.0.0.1/32"] })] });
    assert.deepEqual(t.edge.trunks.map((x) => x.name), ["lab-carrier"]);
    const afterApply = await burst("after");
    assert.deepEqual(afterApply.map((r) => r.status), Array(10).fill(200), "the trunk's source is exempt from the rate limit");
    await eventually(() => spans.spans().some((s) => s.attributes[ATTR_SIP_CALL_ID] === "after-0"), 5000, "span of a request after the change");
    assert.equal(trunkOf("after-0"), "lab-carrier");
    assert.ok(t.logger.has("info", /^configuration applied: domains and trunks$/));
  });

  it("a trunk with outbound.register added registers with the carrier; removed, it unregisters (Expires: 0) and stops refreshing", async () => {
    const registrar = await FakeRegistrar.open({ realm: "carrier.example", username: "acme", password: "secret" });
    cleanup.push(() => registrar.close());
    const t = await startTestEdge();
    cleanup.push(() => t.stop());
    const registering = trunk("carrier", registrar.peer.port, { password: "secret", register: { aor: "sip:acme@carrier.example", expires: 2, interval: 1 } });
    await sleep(300);
    assert.equal(registrar.registers.length, 0, "nothing registers before the trunk exists");

    await t.edge.applyConfig({ domains: DOMAINS, trunks: [registering] });
    await eventually(() => registrar.verified.filter((v) => v).length >= 2, 10_000, "a registration and a refresh");
    assert.ok(registrar.registers.every((r) => r.expires === 2));

    const before = registrar.registers.length;
    await t.edge.applyConfig({ domains: DOMAINS, trunks: [] });
    const unregistering = registrar.registers.slice(before).filter((r) => r.expires === 0);
    assert.ok(unregistering.length >= 1, "Expires: 0 sent when the trunk was removed");
    assert.ok(registrar.verified[registrar.verified.length - 1], "the unregistration was authenticated");
    const afterRemoval = registrar.registers.length;
    // Two refresh intervals: a registration still running would have sent again.
    await sleep(2500);
    assert.equal(registrar.registers.length, afterRemoval, "no REGISTER after the trunk was removed");
  });

  it("changed credentials restart that trunk's registration (unregister with the old, register with the new); an unchanged one is left alone", async () => {
    const registrar = await FakeRegistrar.open({ realm: "carrier.example", username: "acme", password: "new-secret" });
    cleanup.push(() => registrar.close());
    const register = { aor: "sip:acme@carrier.example", expires: 3600, interval: 3000 };
    const t = await startTestEdge({ trunks: [trunk("carrier", registrar.peer.port, { password: "old-secret", register })] });
    cleanup.push(() => t.stop());
    await eventually(() => t.logger.has("warn", /^carrier registration failed$/), 10_000, "the old password refused");
    await t.edge.applyConfig({ domains: DOMAINS, trunks: [trunk("carrier", registrar.peer.port, { password: "new-secret", register })] });
    await eventually(() => registrar.verified.some((v) => v), 10_000, "registered with the new password");
    await eventually(() => t.logger.has("info", /^registered with carrier$/), 5000, "registered logged");
    const count = registrar.registers.length;
    await t.edge.applyConfig({ domains: ["example.com", "other.example"], trunks: [trunk("carrier", registrar.peer.port, { password: "new-secret", register })] });
    await sleep(300);
    assert.equal(registrar.registers.length, count, "an unchanged trunk's registration is not restarted");
  });

  it("gateway pings start for an added trunk and stop for a removed one", async () => {
    const gateway = await FakeGateway.open();
    cleanup.push(() => gateway.close());
    const t = await startTestEdge({ config: { gatewayPing: { intervalMs: 200, failuresBeforeDown: 3 } } });
    cleanup.push(() => t.stop());
    await sleep(300);
    assert.equal(gateway.pings.size, 0);
    await t.edge.applyConfig({ domains: DOMAINS, trunks: [trunk("carrier", gateway.port)] });
    await eventually(() => gateway.pings.size >= 2, 5000, "pings to the added trunk's gateway");
    await t.edge.applyConfig({ domains: DOMAINS, trunks: [] });
    const pinged = gateway.pings.size;
    // Several intervals: a pinger still running would have sent a new ping in each.
    await sleep(1000);
    assert.equal(gateway.pings.size, pinged, "no ping after the trunk was removed");
    assert.equal(t.edge.gatewayHealth.isDown(`udp|127.0.0.1|${gateway.port}`), false);
  });

  it("a domain added: an OPTIONS to it is answered by the edge, where before it went to the workers (none: 503)", async () => {
    const t = await startTestEdge();
    cleanup.push(() => t.stop());
    const ua = await UdpPeer.open();
    cleanup.push(() => ua.close());
    ua.send(request({ method: "OPTIONS", uri: "sip:new.example", viaParams: ";rport" }), t.address("udp"));
    assert.equal((await ua.response()).status, 503);
    await t.edge.applyConfig({ domains: ["example.com", "New.Example"], trunks: [] });
    assert.deepEqual([...t.edge.domains].sort(), ["example.com", "new.example"]);
    ua.send(request({ method: "OPTIONS", uri: "sip:new.example", viaParams: ";rport" }), t.address("udp"));
    assert.equal((await ua.response()).status, 200);
    // And a domain removed is no longer the platform's.
    await t.edge.applyConfig({ domains: ["new.example"], trunks: [] });
    ua.send(request({ method: "OPTIONS", uri: "sip:example.com", viaParams: ";rport" }), t.address("udp"));
    assert.equal((await ua.response()).status, 503);
  });

  it("a change to listen addresses is logged as needing a restart; the domains and trunks of the same change are applied", async () => {
    const t = await startTestEdge();
    cleanup.push(() => t.stop());
    const bound = t.edge.addresses;
    const config = { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp" as const, host: "127.0.0.1", port: 5999 }], decisionTimeoutMs: 999 };
    await t.edge.applyConfig({ domains: ["example.com", "new.example"], trunks: [], config });
    const warned = t.logger.lines.find((l) => /next start/.test(l.msg));
    assert.ok(warned !== undefined, "restart needed logged");
    assert.deepEqual((warned.obj as { changed: string[] }).changed, ["edge.decisionTimeoutMs", "edge.listen"]);
    assert.deepEqual(t.edge.addresses, bound, "still bound where it was");
    const ua = await UdpPeer.open();
    cleanup.push(() => ua.close());
    ua.send(request({ method: "OPTIONS", uri: "sip:new.example", viaParams: ";rport" }), t.address("udp"));
    assert.equal((await ua.response()).status, 200);
  });

  it("trunks this edge cannot serve (inbound.tlsNames without edge.tls.caFile) are refused whole: nothing changes", async () => {
    const t = await startTestEdge({ trunks: [trunk("kept", 5098)] });
    cleanup.push(() => t.stop());
    assert.throws(() => t.edge.applyConfig({ domains: ["new.example"], trunks: [trunk("mtls", 5097, { allow: ["127.0.0.1/32"], tlsNames: ["sbc.carrier.example"] })] }), EdgeConfigError);
    assert.deepEqual(t.edge.trunks.map((x) => x.name), ["kept"]);
    assert.deepEqual([...t.edge.domains], ["example.com"]);
  });
});

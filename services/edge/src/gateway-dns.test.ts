import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Forward_Failover, Transport as WireTransport, type Target } from "@sipfleet/proto";
import { deriveTimers, type SipRequest } from "@sipfleet/sip";
import { systemDnsLookup } from "@sipfleet/sip-dns";
import { hasBinary, startDnsServer, startNatsServer, type DnsRecord, type DnsServer, type EngineProcess } from "@sipfleet/testing";
import type { Trunk } from "@sipfleet/trunks";
import { startEdge, type Edge } from "./edge.js";
import { forward, fwd, invite, nextResponse, stubProxy, type Decide } from "./forking-fixtures.js";
import { serverKey } from "./gateway-health.js";
import { FakeGateway, FakeRegistrar } from "./carrier-fixtures.js";
import { eventually, QUIET_BUS_LOGGER, RecordingLogger, startTestEdge, TEST_EDGE_CONFIG, UdpPeer, type TestEdge } from "./harness.js";

/*
 * The edge locates a trunk gateway named by a domain with RFC 3263, through node:dns asking a DNS
 * server on loopback (startDnsServer): `carrier.test` has no NAPTR and its SRV (_sip._udp) names
 * two fake UDP gateways. Both are pinged, each kept under its own server key; one that stops
 * answering is the only one marked down, and a call whose Forward has one group per located
 * server (as the proxy writes it, Target.next_hop) skips it. REGISTER to a carrier named by SRV
 * reaches the fake registrar, after the first (silent) server of the SRV set.
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the gateway DNS tests are skipped";
const PING = { intervalMs: 200, failuresBeforeDown: 2 };

function zone(servers: readonly { name: string; port: number }[], domain = "carrier.test"): DnsRecord[] {
  return [
    ...servers.map((s, i) => ({ name: `_sip._udp.${domain}`, type: "SRV" as const, priority: i + 1, weight: 0, port: s.port, target: s.name })),
    ...servers.map((s) => ({ name: s.name, type: "A" as const, address: "127.0.0.1" })),
  ];
}

describe("gateway health: a gateway named by a domain is pinged at every server DNS locates", { skip: missing }, () => {
  let nats: EngineProcess;
  let dns: DnsServer;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let edge: Edge;
  let edgeAddr: { host: string; port: number };
  let gw1: FakeGateway;
  let gw2: FakeGateway;
  let logger: RecordingLogger;
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };

  before(async () => {
    nats = await startNatsServer();
    [gw1, gw2] = await Promise.all([FakeGateway.open(), FakeGateway.open()]);
    dns = await startDnsServer(zone([{ name: "gw1.carrier.test", port: gw1.port }, { name: "gw2.carrier.test", port: gw2.port }]));
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-dns", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "proxy-stand-in", logger: QUIET_BUS_LOGGER });
    stubProxy(workerBus, ref);
    await workerBus.flush?.();
    const trunk: Trunk = {
      name: "carrier",
      gateways: [{ host: "carrier.test", port: undefined, transport: undefined, priority: 1, weight: 1 }],
      inbound: { allow: [], credentials: undefined }, numbers: [], outbound: { credentials: undefined, register: undefined }, maxConcurrentCalls: undefined,
    };
    logger = new RecordingLogger();
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }], gatewayPing: PING },
      domains: new Set(["example.com"]),
      edgeId: "edge-dns",
      logger,
      stopLingerMs: 0,
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
      trunks: [trunk],
      // No cache: a change of the zone shows at the next ping round.
      dns: systemDnsLookup([dns.address]),
    });
    const a = edge.addresses[0];
    assert.ok(a);
    edgeAddr = { host: a.host, port: a.port };
    // As the proxy writes a named gateway (gateway-servers.ts, gatewayGroups): one serial group
    // per located server, the Request-URI keeping the domain, the server in next_hop.
    const located = (g: FakeGateway): Target => ({
      requestUri: "sip:+15550100@carrier.test",
      routes: [],
      recordRoutes: [],
      flow: undefined,
      trunk: "carrier",
      nextHop: { transport: WireTransport.TRANSPORT_UDP, ip: "127.0.0.1", port: g.port, serverName: "carrier.test" },
    });
    ref.decide = () =>
      fwd(
        forward(
          [
            { targets: [located(gw1)], provisionalTimeoutMs: 3000 },
            { targets: [located(gw2)], provisionalTimeoutMs: 3000 },
          ],
          { failover: Forward_Failover.FAILOVER_SERVER_FAILURE },
        ),
      );
  });

  after(async () => {
    await edge?.stop();
    await Promise.all([gw1?.close(), gw2?.close()]);
    await edgeBus?.close();
    await workerBus?.close();
    await nats?.stop();
    await dns?.close();
  });

  const key = (g: FakeGateway): string => serverKey("udp", "127.0.0.1", g.port);

  async function call(callId: string, expect: FakeGateway): Promise<SipRequest> {
    const caller = await UdpPeer.open();
    try {
      caller.send(invite(callId), { transport: "udp", ...edgeAddr });
      let got = await expect.invites.next(5000, `INVITE at gateway ${expect.port}`);
      while (got.req.callId !== callId) got = await expect.invites.next(5000, `INVITE at gateway ${expect.port}`);
      expect.reply(got.req, 486, got.from);
      assert.equal((await nextResponse(caller, undefined, 5000)).status, 486);
      return got.req;
    } finally {
      await caller.close();
    }
  }

  it("both servers of the SRV set are pinged, each under its own key; the OPTIONS names the domain", async () => {
    await eventually(() => gw1.options > 0 && gw2.options > 0, 5000, "pings at both servers");
    await eventually(() => edge.gatewayHealth.describe(key(gw1)) !== undefined && edge.gatewayHealth.describe(key(gw2)) !== undefined, 5000, "both recorded");
    assert.ok(dns.questions.some((q) => q === "SRV _sip._udp.carrier.test"), `SRV asked: ${dns.questions.join(", ")}`);
    assert.equal(edge.gatewayHealth.isDown(key(gw1)), false);
    assert.equal(edge.gatewayHealth.isDown(key(gw2)), false);
  });

  it("one server stops answering: only it is marked down, and the call skips it to the other", async () => {
    gw1.answering = false;
    await eventually(() => edge.gatewayHealth.isDown(key(gw1)), 10_000, "server 1 down");
    assert.equal(edge.gatewayHealth.isDown(key(gw2)), false, "the other server of the same name stays up");
    const down = logger.lines.filter((l) => l.msg.startsWith("gateway down"));
    assert.equal(down.length, 1);
    assert.deepEqual((down[0]!.obj as { gateway: string; name: string }).gateway, key(gw1));
    assert.equal((down[0]!.obj as { name: string }).name, "carrier.test");

    const req = await call("dns-skip", gw2);
    assert.equal(req.uriText, "sip:+15550100@carrier.test");
    // Groups are serial: had server 1 been sent the INVITE, it would have come before server 2's.
    assert.equal(gw1.inviteCallIds.has("dns-skip"), false, "server 1 got no INVITE while down");
    gw1.answering = true;
    await eventually(() => !edge.gatewayHealth.isDown(key(gw1)), 10_000, "server 1 up again");
  });

  it("a server that leaves the SRV set is no longer pinged and its state is forgotten", async () => {
    dns.setRecords(zone([{ name: "gw1.carrier.test", port: gw1.port }]));
    await eventually(() => edge.gatewayHealth.describe(key(gw2)) === undefined, 10_000, "server 2 forgotten");
    const before = gw2.options;
    const pingsAt1 = gw1.options;
    await eventually(() => gw1.options >= pingsAt1 + 3, 10_000, "server 1 still pinged");
    // Retransmissions of a ping in flight when it was forgotten may still arrive; no new round reaches it.
    assert.ok(gw2.options - before <= 8, `server 2 got ${gw2.options - before} OPTIONS after it left DNS`);
  });
});

describe("carrier registration: a registrar named by SRV", () => {
  let dns: DnsServer;
  let registrar: FakeRegistrar;
  let silent: UdpPeer;
  let t: TestEdge | undefined;
  after(async () => {
    await t?.stop();
    await registrar?.close();
    await silent?.close();
    await dns?.close();
  });

  it("tries the SRV set's servers in order (RFC 3263 §4.3): the silent first, then the registrar, which then gets the refreshes", async () => {
    registrar = await FakeRegistrar.open();
    silent = await UdpPeer.open();
    dns = await startDnsServer(zone([{ name: "dead.registrar.test", port: silent.port }, { name: "live.registrar.test", port: registrar.peer.port }], "registrar.test"));
    t = await startTestEdge({
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
      dns: systemDnsLookup([dns.address]),
      trunks: [
        {
          name: "carrier",
          gateways: [{ host: "registrar.test", port: undefined, transport: "udp", priority: 1, weight: 1 }],
          inbound: { allow: [], credentials: undefined },
          numbers: [],
          outbound: { credentials: undefined, register: { aor: "sip:acme@registrar.test", expires: 2, interval: 1 } },
          maxConcurrentCalls: undefined,
        },
      ],
    });
    await eventually(() => registrar.registers.length >= 2, 20_000, "a registration and a refresh at the live server");
    assert.ok(t.logger.has("info", /^registered with carrier$/));
    const silentGot = silent.inbox.length;
    assert.ok(silentGot >= 1, "the first server of the SRV set was tried first");
    // The refreshes go to the server that answered, without waiting out the silent one again.
    const n = registrar.registers.length;
    await eventually(() => registrar.registers.length >= n + 2, 20_000, "two more refreshes");
    assert.equal(silent.inbox.length, silentGot, "no REGISTER to the silent server once the live one answered");
    const first = registrar.registers[0]!;
    assert.equal(first.uriText, "sip:registrar.test");
    assert.ok(dns.questions.includes("SRV _sip._udp.registrar.test"), `SRV asked: ${dns.questions.join(", ")}`);
    const cseqs = registrar.registers.map((r) => r.cseq.seq);
    assert.deepEqual(cseqs, [...cseqs].sort((a, b) => a - b));
    assert.equal(new Set(cseqs).size, cseqs.length, "a new CSeq per REGISTER, the one to the next server included");
    console.log(`# REGISTER: ${silentGot} datagrams at the silent first server, then ${registrar.registers.length} REGISTERs at the live one (CSeqs ${cseqs.join(",")})`);
  });
});

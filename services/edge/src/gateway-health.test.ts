import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { Target } from "@sipfleet/proto";
import { VirtualClock } from "@sipfleet/sip";
import type { Gateway, Trunk } from "@sipfleet/trunks";
import { Transport as WireTransport } from "@sipfleet/proto";
import type { SipServer } from "@sipfleet/sip-dns";
import {
  GatewayHealth,
  GatewayPinger,
  groupAllDown,
  pingAlive,
  serverKey,
  skipsDownGroups,
  targetGatewayKey,
  type PingOutcome,
} from "./gateway-health.js";
import { buildPing, gatewayUri } from "./gateway-ping.js";
import { RecordingLogger } from "./harness.js";
import type { Hop } from "./hop.js";
import { Transport, type Link } from "./flow.js";

const gw = (host: string, port?: number, transport?: Gateway["transport"]): Gateway => ({ host, port, transport, priority: 1, weight: 1 });
const trunk = (name: string, gateways: Gateway[]): Trunk => ({ name, gateways, inbound: { allow: [], credentials: undefined }, numbers: [], outbound: { credentials: undefined, register: undefined }, maxConcurrentCalls: undefined });
const target = (requestUri: string, trunkName = "carrier"): Target => ({ requestUri, routes: [], recordRoutes: [], flow: undefined, trunk: trunkName, nextHop: undefined });

describe("gateway health: what a ping's outcome says", () => {
  it("any final response but 408 and 5xx is alive; 501 (no OPTIONS) is alive; no response is not", () => {
    for (const s of [200, 202, 302, 401, 403, 404, 405, 407, 481, 486, 501, 603]) assert.equal(pingAlive(s), true, String(s));
    for (const s of [undefined, 100, 180, 408, 500, 502, 503, 504, 580]) assert.equal(pingAlive(s), false, String(s));
  });
});

describe("gateway health: the state machine (injected clock)", () => {
  it("up until failuresBeforeDown pings fail in a row; down until one is answered", () => {
    const clock = new VirtualClock(1000);
    const h = new GatewayHealth(3, clock);
    const k = serverKey("udp", "192.0.2.1", 5060);
    assert.equal(h.isDown(k), false, "never probed: up");
    h.pinged(k);
    assert.equal(h.recordPing(k, false), undefined);
    h.pinged(k);
    assert.equal(h.recordPing(k, false), undefined);
    // An answer in between starts the count again.
    h.pinged(k);
    assert.equal(h.recordPing(k, true), undefined);
    for (let i = 1; i <= 2; i++) {
      h.pinged(k);
      assert.equal(h.recordPing(k, false), undefined, `failure ${i} of 3`);
    }
    clock.advance(500);
    h.pinged(k);
    assert.deepEqual(h.recordPing(k, false), { key: k, state: "down", failures: 3, pings: 6 });
    assert.equal(h.isDown(k), true);
    assert.equal(h.describe(k)?.since, 1500);
    // Further failures change nothing (the change is reported once).
    h.pinged(k);
    assert.equal(h.recordPing(k, false), undefined);
    clock.advance(250);
    h.pinged(k);
    assert.deepEqual(h.recordPing(k, true), { key: k, state: "up", failures: 0, pings: 8 });
    assert.equal(h.isDown(k), false);
    assert.equal(h.describe(k)?.since, 1750);
    assert.equal(h.recordPing(k, true), undefined);
  });

  it("failuresBeforeDown 1: the first failed ping marks it down", () => {
    const h = new GatewayHealth(1, new VirtualClock());
    assert.equal(h.recordPing("k", false)?.state, "down");
  });

  it("finds a target's server by its Request-URI for a gateway by IP, defaults filled in as its pings are keyed", () => {
    const clock = new VirtualClock();
    const h = new GatewayHealth(1, clock);
    h.recordPing(serverKey("tcp", "192.0.2.1", 5070), false);
    h.recordPing(serverKey("udp", "2001:db8::1", 5060), false);
    h.recordPing(serverKey("tls", "192.0.2.9", 5061), false);
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070;transport=tcp")), true);
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070;transport=TCP")), true);
    // No port, no transport: UDP 5060, as an IP-literal gateway is pinged (RFC 3263 §4.1, §4.2).
    assert.equal(h.targetDown(target("sip:+4930123@[2001:db8::1]")), true);
    assert.equal(h.targetDown(target("sip:+4930123@[2001:db8::1]:5060;transport=udp")), true);
    // TLS without a port: 5061.
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.9;transport=tls")), true);
    // Another port, another transport: another server.
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5071;transport=tcp")), false);
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070")), false);
    // Not a trunk's gateway: never down.
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070;transport=tcp", "")), false);
    assert.equal(targetGatewayKey(target("not a uri")), undefined);
    // A name without a next hop: no ping knows which server it reaches.
    assert.equal(targetGatewayKey(target("sip:+4930123@carrier.example")), undefined);
  });

  it("finds a target located by the proxy by its next hop, not by the domain of its Request-URI", () => {
    const h = new GatewayHealth(1, new VirtualClock());
    h.recordPing(serverKey("udp", "192.0.2.71", 5090), false);
    const located = (ip: string, port: number): Target => ({
      ...target("sip:+4930123@carrier.example"),
      nextHop: { transport: WireTransport.TRANSPORT_UDP, ip, port, serverName: "carrier.example" },
    });
    assert.equal(targetGatewayKey(located("192.0.2.71", 5090)), "udp|192.0.2.71|5090");
    assert.equal(h.targetDown(located("192.0.2.71", 5090)), true);
    assert.equal(h.targetDown(located("192.0.2.72", 5090)), false, "the other server of the same domain");
    assert.equal(h.targetDown(located("192.0.2.71", 5091)), false);
  });

  it("skips down groups only while some group is usable (all down: all tried)", () => {
    const down = (t: Target): boolean => t.requestUri.includes("down");
    const up1 = { targets: [target("sip:1@up")] };
    const down1 = { targets: [target("sip:1@down1")] };
    const down2 = { targets: [target("sip:1@down2")] };
    const user = { targets: [target("sip:bob@down-host", "")] };
    assert.equal(groupAllDown(down1.targets, down), true);
    assert.equal(groupAllDown([...down1.targets, ...up1.targets], down), false);
    assert.equal(groupAllDown(user.targets, down), false, "not a gateway");
    assert.equal(groupAllDown([], down), false);
    assert.equal(skipsDownGroups([down1, up1], down), true);
    assert.equal(skipsDownGroups([down1, down2], down), false);
    assert.equal(skipsDownGroups([down1, { targets: [] }, user], down), true);
    assert.equal(skipsDownGroups([up1], down), false);
  });
});

describe("gateway health: the pinger (injected clock, stand-in locator and sender)", () => {
  interface Sent {
    gateway: Gateway;
    server: SipServer;
    done: (o: PingOutcome) => void;
    cancelled: boolean;
  }

  /** Lets the locator's promises settle (the clock is virtual; locating is a microtask here). */
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  const server = (ip: string, port = 5060, transport: SipServer["transport"] = "udp", serverName = ip): SipServer => ({ transport, ip, port, serverName });
  /** RFC 3263 for an IP literal, as locateSipServers answers without DNS. */
  const ipServer = (g: Gateway): SipServer => server(g.host, g.port ?? (g.transport === "tls" ? 5061 : 5060), g.transport ?? "udp");

  function setup(
    config = { intervalMs: 1000, failuresBeforeDown: 2 },
    trunks = [trunk("a", [gw("192.0.2.1", 5060, "udp"), gw("192.0.2.2")]), trunk("b", [gw("192.0.2.1", 5060, "udp")])],
    names: Record<string, SipServer[] | Error> = {},
  ) {
    const clock = new VirtualClock();
    const health = new GatewayHealth(config.failuresBeforeDown, clock);
    const sent: Sent[] = [];
    const logger = new RecordingLogger();
    const located: string[] = [];
    const pinger = new GatewayPinger({
      trunks,
      config,
      health,
      clock,
      logger,
      locate: async (g) => {
        located.push(g.host);
        const n = names[g.host];
        if (n === undefined) return [ipServer(g)];
        if (n instanceof Error) throw n;
        return n;
      },
      send: (gateway, srv, done) => {
        const s: Sent = { gateway, server: srv, done, cancelled: false };
        sent.push(s);
        return () => {
          s.cancelled = true;
        };
      },
    });
    return { clock, health, sent, logger, pinger, located, names };
  }

  it("pings each distinct gateway at start and every interval; an unanswered ping fails when the next is due", async () => {
    const { clock, health, sent, logger, pinger } = setup();
    assert.equal(pinger.size, 2, "192.0.2.1:5060 of two trunks is pinged once");
    pinger.start();
    await settle();
    assert.deepEqual(sent.map((s) => s.gateway.host), ["192.0.2.1", "192.0.2.2"]);
    const k1 = serverKey("udp", "192.0.2.1", 5060);
    const k2 = serverKey("udp", "192.0.2.2", 5060);
    sent[1]!.done({ status: 200, detail: "200 OK" });
    // gw1 stays silent: at 1000 its ping is abandoned (failure 1), at 2000 again (failure 2: down).
    clock.advance(1000);
    await settle();
    assert.equal(sent[0]!.cancelled, true);
    assert.equal(sent.length, 4);
    assert.equal(health.isDown(k1), false);
    sent[3]!.done({ status: 404, detail: "404 Not Found" });
    clock.advance(1000);
    await settle();
    assert.equal(health.isDown(k1), true);
    assert.equal(health.isDown(k2), false);
    const downLine = logger.lines.filter((l) => l.msg.startsWith("gateway down"));
    assert.equal(downLine.length, 1);
    assert.deepEqual(downLine[0]!.obj, { gateway: k1, trunks: ["a", "b"], last: "no final response within 1000 ms", pings: 2, failures: 2 });
    console.log(`# gateway 1 marked down at t=${clock.now()} ms after 2 pings sent, both unanswered (interval 1000 ms, failuresBeforeDown 2)`);
    // A 503 answer is a failure too; it stays down, logged once.
    sent[4]!.done({ status: 503, detail: "503 Service Unavailable" });
    clock.advance(1000);
    await settle();
    assert.equal(logger.lines.filter((l) => l.msg.startsWith("gateway down")).length, 1);
    // It answers: up again at once.
    const last = sent.filter((s) => s.gateway.host === "192.0.2.1").at(-1)!;
    last.done({ status: 200, detail: "200 OK" });
    assert.equal(health.isDown(k1), false);
    assert.equal(logger.lines.filter((l) => l.msg.startsWith("gateway up")).length, 1);
    pinger.stop();
    const n = sent.length;
    clock.advance(5000);
    await settle();
    assert.equal(sent.length, n, "no ping after stop");
    assert.equal(clock.pending, 0);
  });

  it("a named gateway: every located server is pinged and kept under its own key; one failing marks only it down", async () => {
    const a = server("192.0.2.71", 5090, "udp", "carrier.example");
    const b = server("192.0.2.72", 5090, "udp", "carrier.example");
    const { clock, health, sent, logger, pinger, located } = setup({ intervalMs: 1000, failuresBeforeDown: 1 }, [trunk("c", [gw("carrier.example")])], { "carrier.example": [a, b] });
    pinger.start();
    await settle();
    assert.deepEqual(sent.map((s) => `${s.gateway.host} ${s.server.ip}:${s.server.port}`), ["carrier.example 192.0.2.71:5090", "carrier.example 192.0.2.72:5090"]);
    sent[1]!.done({ status: 200, detail: "200 OK" });
    clock.advance(1000);
    await settle();
    // Located again at each round.
    assert.deepEqual(located, ["carrier.example", "carrier.example"]);
    assert.equal(health.isDown(serverKey("udp", "192.0.2.71", 5090)), true);
    assert.equal(health.isDown(serverKey("udp", "192.0.2.72", 5090)), false);
    const down = logger.lines.filter((l) => l.msg.startsWith("gateway down"));
    assert.deepEqual(down.map((l) => l.obj), [{ gateway: "udp|192.0.2.71|5090", name: "carrier.example", trunks: ["c"], last: "no final response within 1000 ms", pings: 1, failures: 1 }]);
    pinger.stop();
  });

  it("a server DNS no longer locates is forgotten; a DNS failure keeps pinging the servers last located", async () => {
    const a = server("192.0.2.71", 5090);
    const b = server("192.0.2.72", 5090);
    const { clock, health, sent, pinger, names } = setup({ intervalMs: 1000, failuresBeforeDown: 1 }, [trunk("c", [gw("carrier.example")])], { "carrier.example": [a, b] });
    pinger.start();
    await settle();
    clock.advance(1000); // both unanswered: down
    await settle();
    assert.equal(health.isDown(serverKey("udp", "192.0.2.72", 5090)), true);
    // DNS does not answer: the servers it had are still pinged.
    names["carrier.example"] = new Error("SERVFAIL");
    sent.length = 0;
    clock.advance(1000);
    await settle();
    assert.deepEqual(sent.map((s) => s.server.ip), ["192.0.2.71", "192.0.2.72"]);
    assert.deepEqual(pinger.serverKeys.sort(), ["udp|192.0.2.71|5090", "udp|192.0.2.72|5090"]);
    // DNS answers with one server only: the other is no longer pinged and its state is gone.
    names["carrier.example"] = [a];
    sent.length = 0;
    clock.advance(1000);
    await settle();
    assert.deepEqual(sent.map((s) => s.server.ip), ["192.0.2.71"]);
    assert.deepEqual(pinger.serverKeys, ["udp|192.0.2.71|5090"]);
    assert.equal(health.describe(serverKey("udp", "192.0.2.72", 5090)), undefined);
    assert.equal(health.isDown(serverKey("udp", "192.0.2.72", 5090)), false);
    pinger.stop();
  });

  it("new trunks (setTrunks): an added gateway is pinged at once, a removed one's pings stop and its state is forgotten; in-flight pings are not failures", async () => {
    const { clock, health, sent, pinger } = setup({ intervalMs: 1000, failuresBeforeDown: 1 });
    pinger.start();
    await settle();
    const k1 = serverKey("udp", "192.0.2.1", 5060);
    const k2 = serverKey("udp", "192.0.2.2", 5060);
    const k3 = serverKey("udp", "192.0.2.3", 5060);
    sent[1]!.done({ status: 200, detail: "200 OK" });
    clock.advance(1000);
    await settle();
    assert.equal(health.isDown(k1), true, "unanswered: down (failuresBeforeDown 1)");
    const before = sent.length;
    // Same gateways for the same trunks: nothing happens before the interval.
    pinger.setTrunks([trunk("a", [gw("192.0.2.1", 5060, "udp"), gw("192.0.2.2")]), trunk("b", [gw("192.0.2.1", 5060, "udp")])]);
    await settle();
    assert.equal(sent.length, before);
    pinger.setTrunks([trunk("a", [gw("192.0.2.2")]), trunk("c", [gw("192.0.2.3")])]);
    await settle();
    assert.deepEqual(sent.slice(before).map((s) => s.gateway.host), ["192.0.2.2", "192.0.2.3"], "a round at once, the removed gateway not in it");
    assert.equal(health.isDown(k1), false, "the removed gateway's state is forgotten");
    assert.equal(health.describe(k1), undefined);
    assert.equal(health.isDown(k2), false, "a ping abandoned by the early round is no failure");
    assert.equal(pinger.size, 2);
    pinger.setTrunks([]);
    await settle();
    const last = sent.length;
    clock.advance(5000);
    await settle();
    assert.equal(sent.length, last, "no trunks: no pings");
    assert.equal(health.describe(k3), undefined);
    pinger.stop();
  });

  it("interval 0: nothing is pinged, every gateway counts as up", async () => {
    const { clock, health, sent, pinger } = setup({ intervalMs: 0, failuresBeforeDown: 1 });
    pinger.start();
    clock.advance(10_000);
    await settle();
    assert.equal(sent.length, 0);
    assert.equal(pinger.size, 0);
    assert.equal(health.isDown(serverKey("udp", "192.0.2.1", 5060)), false);
  });

  it("a ping that fails inside send (a refused connection) counts at once and is not left pending", async () => {
    const clock = new VirtualClock();
    const health = new GatewayHealth(1, clock);
    const pinger = new GatewayPinger({
      trunks: [trunk("a", [gw("192.0.2.5", undefined, "tcp")])],
      config: { intervalMs: 1000, failuresBeforeDown: 1 },
      health,
      clock,
      logger: new RecordingLogger(),
      locate: async (g) => [server(g.host, 5060, "tcp")],
      send: (_g, _s, done) => {
        done({ status: undefined, detail: "connection refused" });
        return () => assert.fail("a settled ping is not cancelled");
      },
    });
    pinger.start();
    await settle();
    assert.equal(health.isDown(serverKey("tcp", "192.0.2.5", 5060)), true);
    clock.advance(1000);
    await settle();
    pinger.stop();
  });
});

describe("gateway health: the OPTIONS ping request", () => {
  it("Max-Forwards 70, own Call-ID and From tag, To the gateway's URI, Via of the hop's transport", () => {
    const link = { transport: Transport.TRANSPORT_TCP, reliable: true, localIp: "127.0.0.1", localPort: 5080, advertisedHost: "127.0.0.1", advertisedPort: 5080, send: () => {} } as unknown as Link;
    const hop: Hop = { link, ip: "192.0.2.1", port: 5070 };
    const g = gw("192.0.2.1", 5070, "tcp");
    const a = buildPing(g, hop, "z9hG4bK-a");
    const b = buildPing(g, hop, "z9hG4bK-b");
    assert.equal(a.method, "OPTIONS");
    assert.equal(a.uri.toString(), "sip:192.0.2.1:5070;transport=tcp");
    assert.equal(a.maxForwards, 70);
    assert.equal(a.to.uri.toString(), "sip:192.0.2.1:5070;transport=tcp");
    assert.equal(a.to.tag, undefined);
    assert.ok(a.from.tag !== undefined && a.from.tag !== b.from.tag);
    assert.notEqual(a.callId, b.callId);
    assert.equal(a.topVia?.branch, "z9hG4bK-a");
    assert.equal(a.topVia?.transport, "TCP");
    assert.equal(gatewayUri(gw("2001:db8::1")), "sip:[2001:db8::1]");
  });
});

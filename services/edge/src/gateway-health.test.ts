import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { Target } from "@sipfleet/proto";
import { VirtualClock } from "@sipfleet/sip";
import type { Gateway, Trunk } from "@sipfleet/trunks";
import {
  gatewayKey,
  GatewayHealth,
  GatewayPinger,
  groupAllDown,
  pingAlive,
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
    const k = gatewayKey("192.0.2.1", 5060, "udp");
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

  it("finds a target's gateway by its Request-URI, as the proxy writes it", () => {
    const clock = new VirtualClock();
    const h = new GatewayHealth(1, clock);
    h.recordPing(gatewayKey("192.0.2.1", 5070, "tcp"), false);
    h.recordPing(gatewayKey("2001:db8::1", undefined, undefined), false);
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070;transport=tcp")), true);
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070;transport=TCP")), true);
    assert.equal(h.targetDown(target("sip:+4930123@[2001:db8::1]")), true);
    // Another port, another transport: another gateway.
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5071;transport=tcp")), false);
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070")), false);
    // Not a trunk's gateway: never down.
    assert.equal(h.targetDown(target("sip:+4930123@192.0.2.1:5070;transport=tcp", "")), false);
    assert.equal(targetGatewayKey(target("not a uri")), undefined);
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

describe("gateway health: the pinger (injected clock, stand-in sender)", () => {
  interface Sent {
    gateway: Gateway;
    done: (o: PingOutcome) => void;
    cancelled: boolean;
  }

  function setup(config = { intervalMs: 1000, failuresBeforeDown: 2 }) {
    const clock = new VirtualClock();
    const health = new GatewayHealth(config.failuresBeforeDown, clock);
    const sent: Sent[] = [];
    const logger = new RecordingLogger();
    const pinger = new GatewayPinger({
      trunks: [trunk("a", [gw("192.0.2.1", 5060, "udp"), gw("192.0.2.2")]), trunk("b", [gw("192.0.2.1", 5060, "udp")])],
      config,
      health,
      clock,
      logger,
      send: (gateway, done) => {
        const s: Sent = { gateway, done, cancelled: false };
        sent.push(s);
        return () => {
          s.cancelled = true;
        };
      },
    });
    return { clock, health, sent, logger, pinger };
  }

  it("pings each distinct gateway at start and every interval; an unanswered ping fails when the next is due", () => {
    const { clock, health, sent, logger, pinger } = setup();
    assert.equal(pinger.size, 2, "192.0.2.1:5060 of two trunks is pinged once");
    pinger.start();
    assert.deepEqual(sent.map((s) => s.gateway.host), ["192.0.2.1", "192.0.2.2"]);
    const k1 = gatewayKey("192.0.2.1", 5060, "udp");
    const k2 = gatewayKey("192.0.2.2", undefined, undefined);
    sent[1]!.done({ status: 200, detail: "200 OK" });
    // gw1 stays silent: at 1000 its ping is abandoned (failure 1), at 2000 again (failure 2: down).
    clock.advance(1000);
    assert.equal(sent[0]!.cancelled, true);
    assert.equal(sent.length, 4);
    assert.equal(health.isDown(k1), false);
    sent[3]!.done({ status: 404, detail: "404 Not Found" });
    clock.advance(1000);
    assert.equal(health.isDown(k1), true);
    assert.equal(health.isDown(k2), false);
    const downLine = logger.lines.filter((l) => l.msg.startsWith("gateway down"));
    assert.equal(downLine.length, 1);
    assert.deepEqual(downLine[0]!.obj, { gateway: k1, trunks: ["a", "b"], last: "no final response within 1000 ms", pings: 2, failures: 2 });
    console.log(`# gateway 1 marked down at t=${clock.now()} ms after 2 pings sent, both unanswered (interval 1000 ms, failuresBeforeDown 2)`);
    // A 503 answer is a failure too; it stays down, logged once.
    sent[4]!.done({ status: 503, detail: "503 Service Unavailable" });
    clock.advance(1000);
    assert.equal(logger.lines.filter((l) => l.msg.startsWith("gateway down")).length, 1);
    // It answers: up again at once.
    const last = sent.filter((s) => s.gateway.host === "192.0.2.1").at(-1)!;
    last.done({ status: 200, detail: "200 OK" });
    assert.equal(health.isDown(k1), false);
    assert.equal(logger.lines.filter((l) => l.msg.startsWith("gateway up")).length, 1);
    pinger.stop();
    const n = sent.length;
    clock.advance(5000);
    assert.equal(sent.length, n, "no ping after stop");
    assert.equal(clock.pending, 0);
  });

  it("interval 0: nothing is pinged, every gateway counts as up", () => {
    const { clock, health, sent, pinger } = setup({ intervalMs: 0, failuresBeforeDown: 1 });
    pinger.start();
    clock.advance(10_000);
    assert.equal(sent.length, 0);
    assert.equal(pinger.size, 0);
    assert.equal(health.isDown(gatewayKey("192.0.2.1", 5060, "udp")), false);
  });

  it("a ping that fails inside send (no address) counts at once and is not left pending", () => {
    const clock = new VirtualClock();
    const health = new GatewayHealth(1, clock);
    const pinger = new GatewayPinger({
      trunks: [trunk("a", [gw("gw.invalid")])],
      config: { intervalMs: 1000, failuresBeforeDown: 1 },
      health,
      clock,
      logger: new RecordingLogger(),
      send: (_g, done) => {
        done({ status: undefined, detail: "cannot resolve gw.invalid" });
        return () => assert.fail("a settled ping is not cancelled");
      },
    });
    pinger.start();
    assert.equal(health.isDown(gatewayKey("gw.invalid", undefined, undefined)), true);
    clock.advance(1000);
    pinger.stop();
  });
});

describe("gateway health: the OPTIONS ping request", () => {
  it("Max-Forwards 70, own Call-ID and From tag, To the gateway's URI, Via of the hop's transport", () => {
    const link = { transport: Transport.TRANSPORT_TCP, reliable: true, localIp: "127.0.0.1", localPort: 5080, send: () => {} } as unknown as Link;
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

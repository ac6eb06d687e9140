import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Forward_Failover, type Target } from "@sipfleet/proto";
import { deriveTimers } from "@sipfleet/sip";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import type { Trunk } from "@sipfleet/trunks";
import { FakeGateway } from "./carrier-fixtures.js";
import { startEdge, type Edge } from "./edge.js";
import { forward, fwd, invite, nextResponse, stubProxy, type Decide } from "./forking-fixtures.js";
import { serverKey } from "./gateway-health.js";
import { eventually, QUIET_BUS_LOGGER, RecordingLogger, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * Gateway health end to end inside one edge: two fake UDP gateways of one trunk that answer
 * OPTIONS while told to, a stand-in proxy worker (real NATS) that forwards INVITEs to them in two
 * serial groups as the proxy does for a trunk (FAILOVER_SERVER_FAILURE, Target.trunk set). A
 * gateway that stops answering OPTIONS is marked down and skipped (it receives no INVITE); when
 * it answers again the next call uses it.
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the gateway health tests are skipped";
const PING = { intervalMs: 200, failuresBeforeDown: 2 };

describe("gateway health: OPTIONS pings mark a gateway down, calls skip it until it answers", { skip: missing }, () => {
  let nats: EngineProcess;
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
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-health", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "proxy-stand-in", logger: QUIET_BUS_LOGGER });
    stubProxy(workerBus, ref);
    await workerBus.flush?.();
    [gw1, gw2] = await Promise.all([FakeGateway.open(), FakeGateway.open()]);
    const trunk: Trunk = {
      name: "carrier",
      gateways: [gw1, gw2].map((g) => ({ host: "127.0.0.1", port: g.port, transport: "udp" as const, priority: 1, weight: 1 })),
      inbound: { allow: [], credentials: undefined }, numbers: [], outbound: { credentials: undefined, register: undefined }, maxConcurrentCalls: undefined,
    };
    logger = new RecordingLogger();
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }], gatewayPing: PING },
      domains: new Set(["example.com"]),
      edgeId: "edge-health",
      logger,
      stopLingerMs: 0,
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
      trunks: [trunk],
    });
    const a = edge.addresses[0];
    assert.ok(a);
    edgeAddr = { host: a.host, port: a.port };
    const gatewayTarget = (g: FakeGateway): Target => ({ requestUri: g.uri(), routes: [], recordRoutes: [], flow: undefined, trunk: "carrier", nextHop: undefined });
    // As the proxy's outbound trunk groups: one serial group per gateway, trunk failover.
    ref.decide = () =>
      fwd(
        forward(
          [
            { targets: [gatewayTarget(gw1)], provisionalTimeoutMs: 3000 },
            { targets: [gatewayTarget(gw2)], provisionalTimeoutMs: 3000 },
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
  });

  const key = (g: FakeGateway): string => serverKey("udp", "127.0.0.1", g.port);
  const edgeTo = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...edgeAddr });

  /** One call; the gateway that gets its INVITE answers 486, which reaches the caller (no failover). */
  async function call(callId: string, expect: FakeGateway): Promise<void> {
    const caller = await UdpPeer.open();
    try {
      caller.send(invite(callId), edgeTo());
      let got = await expect.invites.next(5000, `INVITE at gateway ${expect.port}`);
      // Retransmissions of an earlier call's INVITE may still be queued.
      while (got.req.callId !== callId) got = await expect.invites.next(5000, `INVITE at gateway ${expect.port}`);
      expect.reply(got.req, 486, got.from);
      assert.equal((await nextResponse(caller, undefined, 5000)).status, 486);
    } finally {
      await caller.close();
    }
  }

  it("both answer: the call goes to gateway 1", async () => {
    await eventually(() => gw1.options > 0 && gw2.options > 0, 5000, "first pings");
    await call("gh-up", gw1);
    assert.equal(gw2.inviteCallIds.has("gh-up"), false);
  });

  it("gateway 1 stops answering OPTIONS: marked down, the call skips it to gateway 2, then it is used again once it answers", async () => {
    gw1.answering = false;
    const before = { datagrams: gw1.options, unanswered: gw1.unanswered };
    await eventually(() => edge.gatewayHealth.isDown(key(gw1)), 10_000, "gateway 1 down");
    const down = edge.gatewayHealth.describe(key(gw1));
    console.log(
      `# gateway 1 marked down after ${gw1.unanswered - before.unanswered} unanswered pings (${gw1.options - before.datagrams} OPTIONS datagrams with retransmissions; ` +
        `interval ${PING.intervalMs} ms, failuresBeforeDown ${PING.failuresBeforeDown}; ${down?.pings} pings sent to it since start)`,
    );
    assert.equal(edge.gatewayHealth.isDown(key(gw2)), false);
    assert.equal(logger.lines.filter((l) => l.msg.startsWith("gateway down")).length, 1);

    await call("gh-skip", gw2);
    // Groups are serial: had gateway 1 been sent the INVITE, it would have come before gateway 2's.
    assert.equal(gw1.inviteCallIds.has("gh-skip"), false, "gateway 1 got no INVITE while down");

    gw1.answering = true;
    await eventually(() => !edge.gatewayHealth.isDown(key(gw1)), 10_000, "gateway 1 up again");
    assert.equal(logger.lines.filter((l) => l.msg.startsWith("gateway up")).length, 1);
    await call("gh-back", gw1);
    assert.equal(gw2.inviteCallIds.has("gh-back"), false);
  });

  it("every gateway down: tried anyway, in order (fail open)", async () => {
    gw1.answering = false;
    gw2.answering = false;
    await eventually(() => edge.gatewayHealth.isDown(key(gw1)) && edge.gatewayHealth.isDown(key(gw2)), 10_000, "both down");
    await call("gh-all-down", gw1);
    gw1.answering = true;
    gw2.answering = true;
  });
});

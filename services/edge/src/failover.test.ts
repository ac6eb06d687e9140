import { strict as assert } from "node:assert";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Forward_Failover, type Target, Transport } from "@sipfleet/proto";
import { deriveTimers } from "@sipfleet/sip";
import { freePort, hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { startEdge, type Edge } from "./edge.js";
import { ackFor, answer, forward, fwd, invite, next, nextRequest, nextResponse, stubProxy, target, udpFlow, type Decide } from "./forking-fixtures.js";
import { QUIET_BUS_LOGGER, RecordingLogger, request, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * Serial groups and Forward.failover (decision.proto): two groups of one UDP target each, played
 * by test sockets as two trunks' gateways, behind a stand-in proxy worker on a real NATS server.
 * FAILOVER_SERVER_FAILURE moves on only after a 408 or 5xx; the default after any failure.
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the failover tests are skipped";
const SERVER_FAILURE = { failover: Forward_Failover.FAILOVER_SERVER_FAILURE };

describe("serial groups: failover rules", { skip: missing }, () => {
  let nats: EngineProcess;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let edge: Edge;
  let edgeAddr: { host: string; port: number };
  let caller: UdpPeer;
  let gw1: UdpPeer;
  let gw2: UdpPeer;
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };

  before(async () => {
    nats = await startNatsServer();
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-failover", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "proxy-stand-in", logger: QUIET_BUS_LOGGER });
    stubProxy(workerBus, ref);
    await workerBus.flush?.();
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-fo",
      logger: new RecordingLogger(),
      stopLingerMs: 0,
      // T1 = 50 ms: Timer B at 3.2 s, so a silent gateway's branch ends within the run.
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
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

  // Fresh sockets per test: retransmissions of one call never reach the next test's reads.
  beforeEach(async () => {
    [caller, gw1, gw2] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  });

  afterEach(async () => {
    await Promise.all([caller.close(), gw1.close(), gw2.close()]);
  });

  const to = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...edgeAddr });
  const gateway = (peer: UdpPeer, name: string): Target => target(udpFlow("edge-fo", edgeAddr, peer), `sip:+15550100@${name}`);

  /** Two trunks in series; an ACK for a 2xx goes to the second (the only one that answers 2xx here). */
  function twoTrunks(extra: Parameters<typeof forward>[1], firstTimeoutMs = 0): void {
    ref.decide = (req) =>
      req.method === "ACK"
        ? fwd(forward([{ targets: [gateway(gw2, "gw2")] }]))
        : fwd(forward([{ targets: [gateway(gw1, "gw1")], timeoutMs: firstTimeoutMs }, { targets: [gateway(gw2, "gw2")] }], extra));
  }

  it("server failure: a 503 from the first trunk, the second is tried and its 200 reaches the caller", async () => {
    twoTrunks(SERVER_FAILURE);
    caller.send(invite("fo-503"), to());
    answer(gw1, await nextRequest(gw1, "INVITE"), 503, "g1", edgeAddr);
    answer(gw2, await nextRequest(gw2, "INVITE"), 200, "g2", edgeAddr);
    // The first final response the caller sees is the 200: the 503 stayed in the response context.
    assert.equal((await nextResponse(caller)).status, 200);
  });

  it("server failure: a 408 from the first trunk, the second is tried and its 200 reaches the caller", async () => {
    twoTrunks(SERVER_FAILURE);
    caller.send(invite("fo-408"), to());
    answer(gw1, await nextRequest(gw1, "INVITE"), 408, "g1", edgeAddr);
    answer(gw2, await nextRequest(gw2, "INVITE"), 200, "g2", edgeAddr);
    assert.equal((await nextResponse(caller)).status, 200);
  });

  it("server failure: the first trunk does not answer within the group timeout, the second is tried", async () => {
    twoTrunks(SERVER_FAILURE, 300);
    caller.send(invite("fo-silent"), to());
    await nextRequest(gw1, "INVITE");
    // gw1 stays silent (no provisional: nothing to CANCEL, §9.1); the group's time runs out.
    answer(gw2, await nextRequest(gw2, "INVITE", 3000), 200, "g2", edgeAddr);
    assert.equal((await nextResponse(caller)).status, 200);
  });

  it("server failure: the first trunk refuses the connection (a 503, §16.9), the second is tried", async () => {
    const port = await freePort();
    const refused: Target = { requestUri: `sip:+15550100@127.0.0.1:${port};transport=tcp`, routes: [], recordRoutes: [], flow: undefined, trunk: "", nextHop: undefined };
    ref.decide = () => fwd(forward([{ targets: [refused] }, { targets: [gateway(gw2, "gw2")] }], SERVER_FAILURE));
    caller.send(invite("fo-refused"), to());
    answer(gw2, await nextRequest(gw2, "INVITE"), 200, "g2", edgeAddr);
    assert.equal((await nextResponse(caller)).status, 200);
  });

  it("server failure: a 486 from the first trunk reaches the caller and the second never gets the INVITE", async () => {
    twoTrunks(SERVER_FAILURE);
    const inv = invite("fo-486");
    caller.send(inv, to());
    answer(gw1, await nextRequest(gw1, "INVITE"), 486, "g1", edgeAddr);
    const final = await nextResponse(caller);
    assert.equal(final.status, 486);
    caller.send(ackFor(inv, final), to());
    // A marker through the same edge to gw2: had the INVITE gone there, it would be read first.
    ref.decide = () => fwd(forward([{ targets: [gateway(gw2, "gw2")] }]));
    caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", callId: "fo-486-marker", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    const first = await next(gw2);
    assert.ok(first.isRequest, "gw2 got a response?");
    assert.equal(first.method, "MESSAGE");
    answer(gw2, first, 200, "g2", edgeAddr);
    assert.equal((await nextResponse(caller, 200)).cseq.method, "MESSAGE");
  });

  it("server failure: a 503 from both trunks is sent upstream as 500 (§16.7 step 6)", async () => {
    twoTrunks(SERVER_FAILURE);
    const inv = invite("fo-503-503");
    caller.send(inv, to());
    answer(gw1, await nextRequest(gw1, "INVITE"), 503, "g1", edgeAddr);
    answer(gw2, await nextRequest(gw2, "INVITE"), 503, "g2", edgeAddr);
    const final = await nextResponse(caller);
    assert.equal(final.status, 500);
    caller.send(ackFor(inv, final), to());
  });

  for (const [name, failover] of [
    ["unset", Forward_Failover.FAILOVER_UNSPECIFIED],
    ["any failure", Forward_Failover.FAILOVER_ANY_FAILURE],
  ] as const) {
    it(`${name}: a 486 from the first group, the second is tried (serial forking, RFC 3261 §16.6)`, async () => {
      twoTrunks({ failover });
      caller.send(invite(`fo-any-${failover}`), to());
      answer(gw1, await nextRequest(gw1, "INVITE"), 486, "g1", edgeAddr);
      answer(gw2, await nextRequest(gw2, "INVITE"), 200, "g2", edgeAddr);
      assert.equal((await nextResponse(caller)).status, 200);
    });
  }

  describe("provisional timeout (TargetGroup.provisional_timeout_ms)", () => {
    // RFC timers (T1 = 500 ms): a silent gateway's branch ends by Timer B only after 32 s, so a
    // second group reached within the wait below was reached by the provisional timeout.
    let rfcEdge: Edge;
    let rfcAddr: { host: string; port: number };

    before(async () => {
      rfcEdge = await startEdge({
        bus: edgeBus,
        config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
        domains: new Set(["example.com"]),
        edgeId: "edge-fo-rfc",
        logger: new RecordingLogger(),
        stopLingerMs: 0,
      });
      const a = rfcEdge.addresses[0];
      assert.ok(a);
      rfcAddr = { host: a.host, port: a.port };
    });

    after(async () => {
      await rfcEdge?.stop();
    });

    const toRfc = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...rfcAddr });
    // No flow, as the proxy's outbound trunk groups: the edge goes by the gateway's address.
    const byAddress = (peer: UdpPeer): Target => ({
      requestUri: `sip:+15550100@${peer.ip}:${peer.port};transport=udp`,
      routes: [],
      recordRoutes: [],
      flow: undefined,
      trunk: "",
      nextHop: undefined,
    });
    /**
     * Two gateways in series, 300 ms each to say anything; the ACK for a 2xx goes to `ackTo`, a
     * MESSAGE (the marker) to gw2.
     */
    function twoGateways(ackTo: UdpPeer): void {
      ref.decide = (req) =>
        req.method === "ACK"
          ? fwd(forward([{ targets: [byAddress(ackTo)] }]))
          : req.method === "MESSAGE"
            ? fwd(forward([{ targets: [byAddress(gw2)] }]))
            : fwd(
              forward(
                [
                  { targets: [byAddress(gw1)], provisionalTimeoutMs: 300 },
                  { targets: [byAddress(gw2)], provisionalTimeoutMs: 300 },
                ],
                SERVER_FAILURE,
              ),
            );
    }

    it("server failure: the first gateway sends nothing at all, the second is tried and its 200 reaches the caller", async () => {
      twoGateways(gw2);
      const inv = invite("fo-prov-silent");
      caller.send(inv, toRfc());
      await nextRequest(gw1, "INVITE");
      // gw1 stays silent: no 100 either. Well before Timer B (32 s) the group is given up as a 408.
      answer(gw2, await nextRequest(gw2, "INVITE", 15_000), 200, "g2", rfcAddr);
      const final = await nextResponse(caller);
      assert.equal(final.status, 200);
      caller.send(ackFor(inv, final), toRfc());
    });

    it("a 180 within the time: the first gateway rings on past it, its 200 answers, the second never gets the INVITE", async () => {
      twoGateways(gw1);
      const inv = invite("fo-prov-ringing");
      caller.send(inv, toRfc());
      const toGw1 = await nextRequest(gw1, "INVITE");
      answer(gw1, toGw1, 180, "g1", rfcAddr);
      assert.equal((await nextResponse(caller)).status, 180);
      // Rings for longer than the provisional timeout: the timer ended with the 180.
      await new Promise((resolve) => setTimeout(resolve, 900));
      answer(gw1, toGw1, 200, "g1", rfcAddr);
      const final = await nextResponse(caller);
      assert.equal(final.status, 200);
      caller.send(ackFor(inv, final), toRfc());
      // A marker through the same edge to gw2: had the INVITE gone there, it would be read first.
      caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", callId: "fo-prov-marker", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), toRfc());
      const first = await next(gw2);
      assert.ok(first.isRequest, "gw2 got a response?");
      assert.equal(first.method, "MESSAGE");
      answer(gw2, first, 200, "g2", rfcAddr);
      assert.equal((await nextResponse(caller, 200)).cseq.method, "MESSAGE");
    });
  });

  it("an unknown failover rule: the decision is refused with 500", async () => {
    ref.decide = () => fwd(forward([{ targets: [gateway(gw1, "gw1")] }], { failover: 9 as Forward_Failover }));
    caller.send(invite("fo-unknown"), to());
    assert.equal((await nextResponse(caller)).status, 500);
    assert.equal(gw1.inbox.length, 0);
  });

  it("a located next hop (Target.next_hop): sent there with the Request-URI's domain untouched, no lookup of the name", async () => {
    // `.invalid` never resolves (RFC 2606): had the edge looked the name up, the branch would fail.
    const located: Target = {
      requestUri: "sip:+15550100@carrier.invalid",
      routes: [],
      recordRoutes: [],
      flow: undefined,
      trunk: "carrier",
      nextHop: { transport: Transport.TRANSPORT_UDP, ip: gw1.ip, port: gw1.port, serverName: "carrier.invalid" },
    };
    ref.decide = () => fwd(forward([{ targets: [located] }], SERVER_FAILURE));
    caller.send(invite("fo-next-hop"), to());
    const atGateway = await nextRequest(gw1, "INVITE");
    assert.equal(atGateway.uri.toString(), "sip:+15550100@carrier.invalid");
    answer(gw1, atGateway, 486, "g1", edgeAddr);
    assert.equal((await nextResponse(caller)).status, 486);
  });
});

import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { MemoryBus, MemoryBusHub } from "@sipfleet/bus";
import { Transport, type Flow } from "@sipfleet/proto";
import { branchOwner } from "@sipfleet/routing";
import { deriveTimers, parseMessage, type SipRequest } from "@sipfleet/sip";
import { startEdge, type Edge } from "./edge.js";
import { ackFor, answer, forward, fwd, invite, next, nextRequest, nextResponse, stubProxy, target, udpFlow, type Decide } from "./forking-fixtures.js";
import { eventually, QUIET_BUS_LOGGER, RecordingLogger, request, sleep, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * The edge as a forking proxy (RFC 3261 §16.6-16.10), driven by a stand-in proxy worker on the
 * bus that returns Forward decisions, with UDP peers as the caller and the callee's devices.
 */

describe("forking proxy: one edge", () => {
  let hub: MemoryBusHub;
  let edgeBus: MemoryBus;
  let workerBus: MemoryBus;
  let edge: Edge;
  let edgeAddr: { host: string; port: number };
  let caller: UdpPeer;
  let bob1: UdpPeer;
  let bob2: UdpPeer;
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };
  let asked: SipRequest[];
  const logger = new RecordingLogger();

  before(async () => {
    hub = new MemoryBusHub();
    edgeBus = new MemoryBus({ hub, logger: QUIET_BUS_LOGGER });
    workerBus = new MemoryBus({ hub, logger: QUIET_BUS_LOGGER });
    edge = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-a",
      logger,
      stopLingerMs: 0,
      // T1 = 50 ms: Timer B/F at 3.2 s, so "nobody answers" ends within a test.
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
    });
    const a = edge.addresses[0];
    assert.ok(a);
    edgeAddr = { host: a.host, port: a.port };
    asked = stubProxy(workerBus, ref);
    [caller, bob1, bob2] = await Promise.all([UdpPeer.open(), UdpPeer.open(), UdpPeer.open()]);
  });

  after(async () => {
    await Promise.all([caller.close(), bob1.close(), bob2.close()]);
    await edge.stop();
    await Promise.all([workerBus.close(), edgeBus.close()]);
  });

  const to = (): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...edgeAddr });

  it("forks in parallel: both devices ring, one answers, the other is cancelled; the ACK for the 2xx is routed end to end", async () => {
    const rr = "<sip:127.0.0.1;lr;ft=test>";
    ref.decide = (req) => {
      if (req.method === "ACK") return fwd(forward([{ targets: [target(udpFlow("edge-a", edgeAddr, bob2), "sip:bob@127.0.0.1")] }]));
      return fwd(
        forward([
          {
            targets: [
              target(udpFlow("edge-a", edgeAddr, bob1), `sip:bob@${bob1.ip}:${bob1.port}`, [rr]),
              target(udpFlow("edge-a", edgeAddr, bob2), `sip:bob@${bob2.ip}:${bob2.port}`, [rr]),
            ],
          },
        ]),
      );
    };
    caller.send(invite("fork-1"), to());
    const [in1, in2] = await Promise.all([nextRequest(bob1, "INVITE"), nextRequest(bob2, "INVITE")]);
    // §16.6: our Via on top (naming this edge), the caller's below with received/rport stamped.
    for (const [inv, dev] of [
      [in1, bob1],
      [in2, bob2],
    ] as const) {
      assert.equal(inv.uriText, `sip:bob@${dev.ip}:${dev.port}`);
      assert.equal(branchOwner(inv.topVia?.branch), "edge-a");
      assert.equal(inv.via.length, 2);
      assert.equal(inv.via[1]?.rport, caller.port);
      assert.equal(inv.maxForwards, 69);
      assert.deepEqual(
        inv.recordRoute.map((r) => r.uriText),
        ["sip:127.0.0.1;lr;ft=test"],
      );
    }
    assert.notEqual(in1.topVia?.branch, in2.topVia?.branch);
    answer(bob1, in1, 180, "b1", edgeAddr);
    const ringing = await nextResponse(caller, 180);
    assert.equal(ringing.via.length, 1, "the platform's Via is removed (§16.7 step 3)");
    assert.equal(ringing.to.tag, "b1");
    answer(bob2, in2, 200, "b2", edgeAddr);
    const ok = await nextResponse(caller, 200);
    assert.equal(ok.to.tag, "b2");
    // §16.7 step 10: the ringing device is cancelled; it answers 487, which the edge ACKs.
    const cancel = await nextRequest(bob1, "CANCEL");
    assert.equal(cancel.topVia?.branch, in1.topVia?.branch, "the CANCEL matches the INVITE branch (§9.1)");
    answer(bob1, cancel, 200, "b1", edgeAddr);
    answer(bob1, in1, 487, "b1", edgeAddr);
    const ack487 = await nextRequest(bob1, "ACK");
    assert.equal(ack487.topVia?.branch, in1.topVia?.branch, "hop-by-hop ACK for the non-2xx (§17.1.1.3)");
    // The caller's ACK for the 2xx goes where the worker says, without a transaction.
    const ack = request({ method: "ACK", uri: "sip:bob@127.0.0.1", callId: "fork-1", viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
      "To: <sip:alice@example.com>",
      "To: <sip:alice@example.com>;tag=b2",
    );
    caller.send(ack, to());
    const acked = await nextRequest(bob2, "ACK");
    assert.equal(branchOwner(acked.topVia?.branch), "edge-a");
    assert.equal(acked.maxForwards, 69);
    await sleep(50);
    assert.equal(caller.inbox.length, 0, "nothing else reaches the caller (no 487 after the 200)");
    await eventually(() => edge.stats.forwarding === 0, 6000, "the response context to end (Timer M, 64*T1)");
  });

  it("a 6xx ends the search: the others are cancelled and the 6xx is the answer (§16.7 steps 5, 6)", async () => {
    ref.decide = () =>
      fwd(forward([{ targets: [target(udpFlow("edge-a", edgeAddr, bob1), "sip:bob@d1"), target(udpFlow("edge-a", edgeAddr, bob2), "sip:bob@d2")] }]));
    const inv = invite("fork-6xx");
    caller.send(inv, to());
    const [in1, in2] = await Promise.all([nextRequest(bob1, "INVITE"), nextRequest(bob2, "INVITE")]);
    answer(bob2, in2, 180, "b2", edgeAddr);
    await nextResponse(caller, 180);
    answer(bob1, in1, 603, "b1", edgeAddr);
    await nextRequest(bob1, "ACK");
    const cancel = await nextRequest(bob2, "CANCEL");
    answer(bob2, cancel, 200, "b2", edgeAddr);
    answer(bob2, in2, 487, "b2", edgeAddr);
    const final = await nextResponse(caller);
    assert.equal(final.status, 603);
    caller.send(ackFor(inv, final), to());
    await nextRequest(bob2, "ACK");
  });

  it("the caller's CANCEL cancels every branch; the caller gets 200 for the CANCEL and 487 for the INVITE", async () => {
    ref.decide = () =>
      fwd(forward([{ targets: [target(udpFlow("edge-a", edgeAddr, bob1), "sip:bob@d1"), target(udpFlow("edge-a", edgeAddr, bob2), "sip:bob@d2")] }]));
    const inv = invite("fork-cancel");
    caller.send(inv, to());
    const [in1, in2] = await Promise.all([nextRequest(bob1, "INVITE"), nextRequest(bob2, "INVITE")]);
    answer(bob1, in1, 180, "b1", edgeAddr);
    answer(bob2, in2, 183, "b2", edgeAddr);
    await nextResponse(caller, 180);
    await nextResponse(caller, 183);
    const branch = parseMessage(Buffer.from(inv, "latin1")).topVia?.branch as string;
    caller.send(
      request({ method: "CANCEL", uri: "sip:bob@example.com", callId: "fork-cancel", branch, viaParams: ";rport", sentBy: "127.0.0.1:5999" }),
      to(),
    );
    const cancelOk = await nextResponse(caller, 200);
    assert.equal(cancelOk.cseq.method, "CANCEL");
    const [c1, c2] = await Promise.all([nextRequest(bob1, "CANCEL"), nextRequest(bob2, "CANCEL")]);
    answer(bob1, c1, 200, "b1", edgeAddr);
    answer(bob2, c2, 200, "b2", edgeAddr);
    answer(bob1, in1, 487, "b1", edgeAddr);
    answer(bob2, in2, 487, "b2", edgeAddr);
    const final = await nextResponse(caller);
    assert.equal(final.status, 487);
    assert.equal(final.cseq.method, "INVITE");
    caller.send(ackFor(inv, final), to());
  });

  it("serial groups: the first rings too long, is cancelled, and the second answers", async () => {
    ref.decide = () =>
      fwd(
        forward([
          { targets: [target(udpFlow("edge-a", edgeAddr, bob1), "sip:bob@d1")], timeoutMs: 150 },
          { targets: [target(udpFlow("edge-a", edgeAddr, bob2), "sip:bob@d2")] },
        ]),
      );
    const inv = invite("serial-1");
    caller.send(inv, to());
    const in1 = await nextRequest(bob1, "INVITE");
    answer(bob1, in1, 180, "b1", edgeAddr);
    await nextResponse(caller, 180);
    const cancel = await nextRequest(bob1, "CANCEL");
    const in2 = await nextRequest(bob2, "INVITE");
    answer(bob1, cancel, 200, "b1", edgeAddr);
    answer(bob1, in1, 487, "b1", edgeAddr);
    answer(bob2, in2, 486, "b2", edgeAddr);
    // The abandoned group's 487 is the platform's doing: the caller hears the second group's 486.
    const final = await nextResponse(caller);
    assert.equal(final.status, 486);
    caller.send(ackFor(inv, final), to());
  });

  it("nobody answers: 408 when the branches time out (§16.7 step 6)", async () => {
    ref.decide = () => fwd(forward([{ targets: [target(udpFlow("edge-a", edgeAddr, bob1), "sip:bob@d1")] }]));
    caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    await nextRequest(bob1, "MESSAGE");
    const final = await nextResponse(caller, undefined, 6000);
    assert.equal(final.status, 408);
    // Timer E retransmitted the MESSAGE to the silent device meanwhile.
    assert.ok(bob1.inbox.length > 0);
    while (bob1.inbox.length > 0) await bob1.inbox.next();
  });

  it("a non-INVITE request: the first 2xx is the answer", async () => {
    ref.decide = () => fwd(forward([{ targets: [target(udpFlow("edge-a", edgeAddr, bob1), "sip:bob@d1")] }], { removeHeaders: ["X-Secret"], addHeaders: [{ name: "X-Added", value: "1" }] }));
    caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999", extra: ["X-Secret: s", "X-Unknown: kept as is"] }), to());
    const msg = await nextRequest(bob1, "MESSAGE");
    assert.equal(msg.header("X-Secret"), undefined);
    assert.equal(msg.header("X-Added"), "1");
    assert.equal(msg.header("X-Unknown"), "kept as is");
    answer(bob1, msg, 202, "b1", edgeAddr);
    assert.equal((await nextResponse(caller)).status, 202);
  });

  it("in-dialog requests leave in the order they came, whatever order their decisions come back in", async () => {
    // The ACK's decision takes longer than the BYE's right behind it.
    ref.decide = async (req) => {
      if (req.method === "ACK") await sleep(100);
      return fwd(forward([{ targets: [target(udpFlow("edge-a", edgeAddr, bob1), "sip:bob@d1")] }]));
    };
    const inDialog = (method: string, cseq: number): string =>
      request({ method, uri: "sip:bob@127.0.0.1", callId: "order-1", cseq, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
        "To: <sip:alice@example.com>",
        "To: <sip:alice@example.com>;tag=b1",
      );
    caller.send(inDialog("ACK", 1), to());
    caller.send(inDialog("BYE", 2), to());
    const first = await next(bob1);
    const second = await next(bob1);
    assert.deepEqual([first.isRequest && first.method, second.isRequest && second.method], ["ACK", "BYE"]);
    answer(bob1, second as SipRequest, 200, "b1", edgeAddr);
    assert.equal((await nextResponse(caller, 200)).cseq.method, "BYE");
  });

  it("an unusable forward decision is answered 500", async () => {
    ref.decide = () => fwd(forward([{ targets: [] }]));
    caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), to());
    assert.equal((await nextResponse(caller)).status, 500);
    assert.ok(logger.has("error", /unusable forward decision/));
    assert.ok(asked.length > 0);
  });
});

describe("forking proxy: two edges (any edge can receive anything)", () => {
  let hub: MemoryBusHub;
  const buses: MemoryBus[] = [];
  let e1: Edge;
  let e2: Edge;
  let caller: UdpPeer;
  let bob: UdpPeer;
  const ref: { decide: Decide } = { decide: () => ({ action: undefined }) };

  before(async () => {
    hub = new MemoryBusHub();
    const bus = (): MemoryBus => {
      const b = new MemoryBus({ hub, logger: QUIET_BUS_LOGGER });
      buses.push(b);
      return b;
    };
    const start = (edgeId: string): Promise<Edge> =>
      startEdge({
        bus: bus(),
        config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
        domains: new Set(["example.com"]),
        edgeId,
        logger: new RecordingLogger(),
        stopLingerMs: 0,
      });
    [e1, e2] = await Promise.all([start("e1"), start("e2")]);
    stubProxy(bus(), ref);
    [caller, bob] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  });

  after(async () => {
    await Promise.all([caller.close(), bob.close()]);
    await Promise.all([e1.stop(), e2.stop()]);
    await Promise.all(buses.map((b) => b.close()));
  });

  const addr = (e: Edge): { host: string; port: number } => {
    const a = e.addresses[0];
    assert.ok(a);
    return { host: a.host, port: a.port };
  };

  it("a request for a UA registered through another edge goes out of that edge's socket; its responses come back by the Via branch", async () => {
    const bobFlow = udpFlow("e2", addr(e2), bob);
    ref.decide = () => fwd(forward([{ targets: [target(bobFlow, "sip:bob@d1")] }]));
    const inv0 = invite("cross-1");
    caller.send(inv0, { transport: "udp", ...addr(e1) });
    const d = await bob.inbox.next(2000, "INVITE at bob");
    // Out of e2's socket (bob's NAT pinhole), with e2's address in the Via but e1 as the owner.
    assert.equal(d.from.port, addr(e2).port);
    const inv = parseMessage(d.data) as SipRequest;
    assert.equal(inv.topVia?.port, addr(e2).port);
    assert.equal(branchOwner(inv.topVia?.branch), "e1");
    // bob answers to the Via address: e2, which relays to e1, which answers the caller.
    answer(bob, inv, 180, "bb", addr(e2));
    answer(bob, inv, 486, "bb", addr(e2));
    assert.equal((await nextResponse(caller, 180)).to.tag, "bb");
    const busy = await nextResponse(caller, 486);
    caller.send(ackFor(inv0, busy), { transport: "udp", ...addr(e1) });
    // e1's client transaction sends the ACK for the 486, again through e2.
    const ack = await nextRequest(bob, "ACK");
    assert.equal(branchOwner(ack.topVia?.branch), "e1");
  });

  it("a flow that is gone on its edge: the branch fails with 430 Flow Failed (RFC 5626 §5.3)", async () => {
    const gone: Flow = { ...udpFlow("e2", addr(e2), bob), transport: Transport.TRANSPORT_TCP, connectionId: "tcp/none.1" };
    ref.decide = () => fwd(forward([{ targets: [target(gone, "sip:bob@d1")] }]));
    caller.send(request({ method: "MESSAGE", uri: "sip:bob@example.com", viaParams: ";rport", sentBy: "127.0.0.1:5999" }), { transport: "udp", ...addr(e1) });
    const final = await nextResponse(caller);
    assert.equal(final.status, 430);
    assert.equal(final.reason, "Flow Failed");
  });
});

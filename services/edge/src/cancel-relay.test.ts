import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { BusTimeoutError, NatsBus } from "@sipfleet/bus";
import { CancelRelay, CancelResult, Decision, EDGE_CANCEL_SUBJECT, Envelope, PROXY_QUEUE, PROXY_SUBJECT, Transport, type Flow } from "@sipfleet/proto";
import { createResponse, parseMessage, type SipRequest, type SipResponse } from "@sipfleet/sip";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { startEdge, type Edge } from "./edge.js";
import { forward, target } from "./forking-fixtures.js";
import { QUIET_BUS_LOGGER, RecordingLogger, request, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

/*
 * Any edge can receive anything: the caller's CANCEL reaches edge B while edge A holds the INVITE.
 * Two real edges on one real nats-server (the cluster mode's bus), a stand-in proxy worker that
 * forwards INVITEs to a UDP peer registered through edge A.
 */

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the two-edge CANCEL check is skipped";

/** The next request of `method` in call `callId` (anything else is skipped). */
async function nextRequest(peer: UdpPeer, method: string, callId: string, ms = 2000): Promise<SipRequest> {
  for (;;) {
    const m = parseMessage((await peer.inbox.next(ms, `${method} request`)).data);
    if (m.isRequest && m.method === method && m.callId === callId) return m;
  }
}

/**
 * The next response to `method` in call `callId` with `status` (any final one when none is
 * given), and the port it came from.
 */
async function nextResponseFrom(peer: UdpPeer, method: string, callId: string, status?: number, ms = 2000): Promise<{ res: SipResponse; fromPort: number }> {
  for (;;) {
    const d = await peer.inbox.next(ms, `response to ${method}`);
    const m = parseMessage(d.data);
    if (m.isRequest || m.cseq.method !== method || m.callId !== callId) continue;
    if (status === undefined ? m.status >= 200 : m.status === status) return { res: m, fromPort: d.from.port };
  }
}

async function nextResponse(peer: UdpPeer, method: string, callId: string, status?: number, ms = 2000): Promise<SipResponse> {
  return (await nextResponseFrom(peer, method, callId, status, ms)).res;
}

function answer(peer: UdpPeer, req: SipRequest, status: number, toTag: string, edge: { host: string; port: number }): void {
  peer.send(createResponse(req, status, { toTag }).bytes, { transport: "udp", host: edge.host, port: edge.port });
}

const CALLER_VIA = "127.0.0.1:5999";

function invite(callId: string, branch: string): string {
  return request({ method: "INVITE", uri: "sip:bob@example.com", callId, branch, viaParams: ";rport", sentBy: CALLER_VIA });
}

/** RFC 3261 §9.1: the CANCEL carries the INVITE's Request-URI, Call-ID, From, CSeq number and top Via. */
function cancelFor(callId: string, branch: string): string {
  return request({ method: "CANCEL", uri: "sip:bob@example.com", callId, branch, viaParams: ";rport", sentBy: CALLER_VIA });
}

/** The caller's ACK for a non-2xx final response (RFC 3261 §17.1.1.3: the INVITE's branch). */
function ackFor(callId: string, branch: string, final: SipResponse): string {
  return request({ method: "ACK", uri: "sip:bob@example.com", callId, branch, viaParams: ";rport", sentBy: CALLER_VIA }).replace(
    "To: <sip:alice@example.com>",
    `To: <sip:alice@example.com>;tag=${final.to.tag ?? ""}`,
  );
}

describe("a CANCEL received by another edge than its INVITE's (two edges, real NATS)", { skip: missing }, () => {
  let nats: EngineProcess;
  const buses: NatsBus[] = [];
  let edgeA: Edge;
  let edgeB: Edge;
  let caller: UdpPeer;
  let bob: UdpPeer;
  let decide: (req: SipRequest) => Decision | Promise<Decision>;
  let releaseDecision: (() => void) | undefined;

  const addr = (e: Edge): { host: string; port: number } => {
    const a = e.addresses.find((x) => x.transport === "udp");
    assert.ok(a);
    return { host: a.host, port: a.port };
  };
  const to = (e: Edge): { transport: "udp"; host: string; port: number } => ({ transport: "udp", ...addr(e) });

  /** bob's flow through edge A: the INVITE leaves from A's socket. */
  const bobFlow = (): Flow => ({
    edgeId: "edge-a",
    connectionId: `udp/${addr(edgeA).host}:${addr(edgeA).port}/${bob.ip}:${bob.port}`,
    transport: Transport.TRANSPORT_UDP,
    remote: { ip: bob.ip, port: bob.port },
    local: { ip: addr(edgeA).host, port: addr(edgeA).port },
  });
  const forwardToBob = (): Decision => ({
    action: { $case: "forward", value: forward([{ targets: [target(bobFlow(), `sip:bob@${bob.ip}:${bob.port}`)] }]) },
  });

  before(async () => {
    nats = await startNatsServer();
    const bus = async (name: string): Promise<NatsBus> => {
      const b = await NatsBus.connect({ servers: nats.url, name, logger: QUIET_BUS_LOGGER });
      buses.push(b);
      return b;
    };
    const start = async (edgeId: string): Promise<Edge> =>
      startEdge({
        bus: await bus(edgeId),
        config: { ...TEST_EDGE_CONFIG, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }], decisionTimeoutMs: 5000 },
        domains: new Set(["example.com"]),
        edgeId,
        logger: new RecordingLogger(),
        stopLingerMs: 0,
      });
    [edgeA, edgeB] = await Promise.all([start("edge-a"), start("edge-b")]);
    const worker = await bus("proxy-worker");
    worker.serve(PROXY_SUBJECT, PROXY_QUEUE, async (msg) => {
      const env = Envelope.decode(msg.data);
      return Decision.encode(await decide(parseMessage(Buffer.from(env.message)) as SipRequest)).finish();
    });
    await worker.flush();
    [caller, bob] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  });

  after(async () => {
    releaseDecision?.();
    await Promise.all([caller?.close(), bob?.close()]);
    await Promise.all([edgeA?.stop(), edgeB?.stop()]);
    await Promise.all(buses.map((b) => b.close()));
    await nats?.stop();
  });

  /** An INVITE through edge A that rings bob: returns what bob received. */
  async function ringingCall(callId: string, branch: string, toTag: string): Promise<SipRequest> {
    decide = () => forwardToBob();
    caller.send(invite(callId, branch), to(edgeA));
    const inv = await nextRequest(bob, "INVITE", callId);
    answer(bob, inv, 180, toTag, addr(edgeA));
    assert.equal((await nextResponse(caller, "INVITE", callId, 180)).to.tag, toTag);
    return inv;
  }

  it("INVITE ringing through edge A, CANCEL to edge B: 200 from B, the callee's branch is cancelled, 487 to the INVITE from A", async () => {
    const [callId, branch] = ["xcancel-1", "z9hG4bK-xcancel-1"];
    const inv = await ringingCall(callId, branch, "bob1");

    caller.send(cancelFor(callId, branch), to(edgeB));
    const cancelOk = await nextResponseFrom(caller, "CANCEL", callId);
    assert.equal(cancelOk.res.status, 200);
    assert.equal(cancelOk.res.to.tag, "bob1", "the To tag of the INVITE's response (§9.2)");
    // The CANCEL's transaction is edge B's own (hop by hop, §9.2): its answer leaves B's socket.
    assert.equal(cancelOk.fromPort, addr(edgeB).port);

    // Edge A cancels the ringing branch (§16.10) with the INVITE's branch (§9.1).
    const cancel = await nextRequest(bob, "CANCEL", callId);
    assert.equal(cancel.topVia?.branch, inv.topVia?.branch);
    answer(bob, cancel, 200, "bob1", addr(edgeA));
    answer(bob, inv, 487, "bob1", addr(edgeA));
    await nextRequest(bob, "ACK", callId);
    const final = await nextResponseFrom(caller, "INVITE", callId);
    assert.equal(final.res.status, 487);
    assert.equal(final.res.to.tag, "bob1");
    assert.equal(final.fromPort, addr(edgeA).port, "the INVITE is answered by the edge that holds it");
    caller.send(ackFor(callId, branch, final.res), to(edgeA));
  });

  it("a CANCEL that arrives at edge B while edge A still awaits the INVITE's decision: 200 from B, 487 from A when the decision comes, nothing forwarded", async () => {
    const [callId, branch] = ["xcancel-early", "z9hG4bK-xcancel-early"];
    let decisionAsked!: () => void;
    const asked = new Promise<void>((r) => (decisionAsked = r));
    const held = new Promise<void>((r) => (releaseDecision = r));
    decide = async () => {
      decisionAsked();
      await held;
      return forwardToBob();
    };
    caller.send(invite(callId, branch), to(edgeA));
    await asked;
    caller.send(cancelFor(callId, branch), to(edgeB));
    assert.equal((await nextResponse(caller, "CANCEL", callId)).status, 200);
    releaseDecision?.();
    // Forwarded instead, the INVITE would ring bob, who never answers: no 487 would come.
    const final = await nextResponse(caller, "INVITE", callId);
    assert.equal(final.status, 487);
    caller.send(ackFor(callId, branch, final), to(edgeA));
  });

  it("a CANCEL that matches no INVITE on any edge: 481 from the edge that received it", async () => {
    caller.send(cancelFor("xcancel-none", "z9hG4bK-xcancel-none"), to(edgeB));
    const res = await nextResponseFrom(caller, "CANCEL", "xcancel-none");
    assert.equal(res.res.status, 481);
    assert.equal(res.fromPort, addr(edgeB).port);
    caller.send(cancelFor("xcancel-none-a", "z9hG4bK-xcancel-none-a"), to(edgeA));
    assert.equal((await nextResponse(caller, "CANCEL", "xcancel-none-a")).status, 481);
  });

  it("the edge holding the INVITE ignores its own broadcast, and what it cannot read; another edge's is claimed", async () => {
    const asker = buses[0];
    assert.ok(asker);
    const [callId, branch] = ["xcancel-bus", "z9hG4bK-xcancel-bus"];
    const inv = await ringingCall(callId, branch, "bob3");
    const relay = (cancel: string, senderEdgeId: string): Uint8Array =>
      CancelRelay.encode({ cancel: Buffer.from(cancel, "latin1"), flow: undefined, senderEdgeId }).finish();
    // Edge A holds the INVITE, but a broadcast that names A as its sender is A's own.
    await assert.rejects(asker.request(EDGE_CANCEL_SUBJECT, relay(cancelFor(callId, branch), "edge-a"), { timeoutMs: 200 }), BusTimeoutError);
    await assert.rejects(asker.request(EDGE_CANCEL_SUBJECT, relay("not SIP at all", "edge-x"), { timeoutMs: 200 }), BusTimeoutError);
    // The INVITE itself relayed as if it were a CANCEL matches nothing.
    await assert.rejects(asker.request(EDGE_CANCEL_SUBJECT, relay(invite(callId, branch), "edge-x"), { timeoutMs: 200 }), BusTimeoutError);
    assert.equal(bob.inbox.length, 0, "the branch is not cancelled");
    const result = CancelResult.decode(await asker.request(EDGE_CANCEL_SUBJECT, relay(cancelFor(callId, branch), "edge-x"), { timeoutMs: 2000 }));
    assert.deepEqual(result, { matched: true, toTag: "bob3" });
    const cancel = await nextRequest(bob, "CANCEL", callId);
    answer(bob, cancel, 200, "bob3", addr(edgeA));
    answer(bob, inv, 487, "bob3", addr(edgeA));
    const final = await nextResponse(caller, "INVITE", callId);
    assert.equal(final.status, 487);
    caller.send(ackFor(callId, branch, final), to(edgeA));
  });
});

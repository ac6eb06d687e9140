import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { NatsBus } from "@sipfleet/bus";
import { Decision, Envelope, PROXY_QUEUE, PROXY_SUBJECT } from "@sipfleet/proto";
import { deriveTimers, parseMessage, type SipRequest } from "@sipfleet/sip";
import { hasBinary, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { startEdge, type Edge } from "./edge.js";
import { answer, forward, fwd, invite, nextRequest, nextResponse, target, udpFlow } from "./forking-fixtures.js";
import { eventually, QUIET_BUS_LOGGER, RecordingLogger, request, TcpPeer, TEST_EDGE_CONFIG, UdpPeer } from "./harness.js";

const missing = hasBinary("nats-server") ? false : "nats-server binary not installed: the drain checks are skipped";

/*
 * The edge's stop as a scale-in's drain, over real NATS: new dialogs are refused at once (503,
 * Retry-After), a request within a dialog is still relayed so the call can end, a TCP client's
 * connection stays open while its transaction is in hand and closes once it is answered (the UA
 * re-registers through another edge, RFC 5626 §4.4).
 */
describe("edge drain on stop", { skip: missing }, () => {
  let nats: EngineProcess;
  let edgeBus: NatsBus;
  let workerBus: NatsBus;
  let edge: Edge;
  let udpAddr: { host: string; port: number };
  let tcpAddr: { transport: "tcp"; host: string; port: number };
  let caller: UdpPeer;
  let bob: UdpPeer;
  const asked: SipRequest[] = [];
  let decide: (req: SipRequest) => Decision | Promise<Decision> = () => ({ action: undefined });

  before(async () => {
    nats = await startNatsServer();
    edgeBus = await NatsBus.connect({ servers: nats.url, name: "edge-drain", logger: QUIET_BUS_LOGGER });
    workerBus = await NatsBus.connect({ servers: nats.url, name: "worker-drain", logger: QUIET_BUS_LOGGER });
    workerBus.serve(PROXY_SUBJECT, PROXY_QUEUE, async (msg) => {
      const req = parseMessage(Buffer.from(Envelope.decode(msg.data).message)) as SipRequest;
      asked.push(req);
      return Decision.encode(await decide(req)).finish();
    });
    await workerBus.flush?.();
    edge = await startEdge({
      bus: edgeBus,
      config: {
        ...TEST_EDGE_CONFIG,
        decisionTimeoutMs: 10_000,
        listen: [
          { transport: "udp", host: "127.0.0.1", port: 0 },
          { transport: "tcp", host: "127.0.0.1", port: 0 },
        ],
      },
      domains: new Set(["example.com"]),
      edgeId: "edge-drain",
      logger: new RecordingLogger(),
      stopLingerMs: 0,
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
    });
    const u = edge.addresses.find((a) => a.transport === "udp");
    const t = edge.addresses.find((a) => a.transport === "tcp");
    assert.ok(u && t);
    udpAddr = { host: u.host, port: u.port };
    tcpAddr = { transport: "tcp", host: t.host, port: t.port };
    [caller, bob] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  });

  after(async () => {
    await Promise.all([caller?.close(), bob?.close()]);
    await edge?.stop();
    await edgeBus?.close();
    await workerBus?.close();
    await nats?.stop();
  });

  it("refuses a new INVITE with 503, relays a BYE within a dialog, closes a TCP client's connection once its transaction is answered", async () => {
    const toUdp = { transport: "udp" as const, ...udpAddr };
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const toBob = fwd(forward([{ targets: [target(udpFlow("edge-drain", udpAddr, bob), `sip:bob@${bob.ip}:${bob.port}`)] }]));
    decide = async (req) => {
      if (req.callId === "drain-tcp") {
        await released;
        return { action: { $case: "respond", value: { status: 486, reason: "", headers: [], body: Buffer.alloc(0), toTag: "busy", credentialsFailed: false } } };
      }
      return toBob;
    };

    // A TCP client's INVITE, its decision held: the stop has a request in hand.
    const tcp = await TcpPeer.connect(tcpAddr);
    let stopping: Promise<void> | undefined;
    try {
      await tcp.write(request({ method: "INVITE", uri: "sip:bob@example.com", transport: "TCP", callId: "drain-tcp", sentBy: "127.0.0.1:5999" }));
      await eventually(() => asked.some((r) => r.callId === "drain-tcp"), 3000, "the TCP INVITE's decision asked");
      stopping = edge.stop();

      // A new call: refused at once, no worker asked.
      const before = asked.length;
      caller.send(invite("drain-new"), toUdp);
      const refused = await nextResponse(caller, 503);
      assert.equal(refused.callId, "drain-new");
      assert.equal(refused.header("Retry-After"), String(TEST_EDGE_CONFIG.retryAfterSeconds));
      assert.equal(asked.length, before, "no decision asked for a new dialog");

      // A BYE within an established dialog (To tag): relayed to the callee, its answer relayed back.
      const bye = request({ method: "BYE", uri: "sip:bob@127.0.0.1", callId: "drain-call", cseq: 2, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
        "To: <sip:alice@example.com>",
        "To: <sip:alice@example.com>;tag=callee-tag",
      );
      caller.send(bye, toUdp);
      const atBob = await nextRequest(bob, "BYE");
      assert.equal(atBob.callId, "drain-call");
      answer(bob, atBob, 200, "callee-tag", udpAddr);
      const ok = await nextResponse(caller, 200);
      assert.equal(ok.callId, "drain-call");

      // The TCP client's transaction is still in hand: its connection is open.
      assert.equal(tcp.closed, false, "the connection stays while its transaction is in hand");
      release();
      const busy = await tcp.response();
      assert.equal(busy.status, 486);
      assert.equal(busy.callId, "drain-tcp");
      await eventually(() => tcp.closed, 5000, "the TCP connection closed by the edge once its transaction is answered");
      await stopping;
    } finally {
      release();
      tcp.close();
      await stopping;
    }
  });

  it("with edge.drainInDialogMs, keeps relaying in-dialog requests after every request in hand is answered, and still refuses new ones", async () => {
    const drainer = await startEdge({
      bus: edgeBus,
      config: { ...TEST_EDGE_CONFIG, drainInDialogMs: 5000, listen: [{ transport: "udp", host: "127.0.0.1", port: 0 }] },
      domains: new Set(["example.com"]),
      edgeId: "edge-drain-2",
      logger: new RecordingLogger(),
      stopLingerMs: 0,
      timers: deriveTimers({ t1: 50, t2: 400, t4: 500 }),
    });
    const a = drainer.addresses[0];
    assert.ok(a);
    const addr = { host: a.host, port: a.port };
    decide = () => fwd(forward([{ targets: [target(udpFlow("edge-drain-2", addr, bob), `sip:bob@${bob.ip}:${bob.port}`)] }]));
    let stopped = false;
    // Nothing in hand: without the setting the stop would be over at once.
    const stopping = drainer.stop().then(() => (stopped = true));
    try {
      const bye = request({ method: "BYE", uri: "sip:bob@127.0.0.1", callId: "drain-later", cseq: 3, viaParams: ";rport", sentBy: "127.0.0.1:5999" }).replace(
        "To: <sip:alice@example.com>",
        "To: <sip:alice@example.com>;tag=callee-tag",
      );
      caller.send(bye, { transport: "udp", ...addr });
      const atBob = await nextRequest(bob, "BYE");
      assert.equal(atBob.callId, "drain-later");
      assert.equal(stopped, false, "still draining while it relays");
      answer(bob, atBob, 200, "callee-tag", addr);
      assert.equal((await nextResponse(caller, 200)).callId, "drain-later");
      caller.send(invite("drain-later-new"), { transport: "udp", ...addr });
      assert.equal((await nextResponse(caller, 503)).callId, "drain-later-new");
    } finally {
      await stopping;
    }
  });
});

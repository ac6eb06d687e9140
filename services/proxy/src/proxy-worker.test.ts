import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { type Bus, NatsBus } from "@sipfleet/bus";
import { MemoryBus } from "@sipfleet/bus/memory";
import { flowToWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, PROXY_SUBJECT } from "@sipfleet/proto";
import { type EngineProcess, hasBinary, startNatsServer } from "@sipfleet/testing";
import { ALICE_FLOW, bind, BOB_FLOW, dropped, forwarded, onlyTarget, proxyAuthorization, RecordingLogger, recordRouteFlow, request, responded, settings } from "./proxy-fixtures.js";
import { startProxy } from "./start-proxy.js";

/* The worker on the bus: an Envelope in, a Decision out, bad input answered rather than thrown. */

function envelope(message: Uint8Array, flow = flowToWire(ALICE_FLOW)): Uint8Array {
  return Envelope.encode({ message: Buffer.from(message), flow, receivedAtMs: Date.now(), tlsPeerNames: [] }).finish();
}

function workerSuite(name: string, connect: () => Promise<{ edge: Bus; worker: Bus; close(): Promise<void> }>, skip: string | false = false) {
  describe(name, { skip }, () => {
    let edge: Bus;
    let worker: Bus;
    let close: () => Promise<void>;
    let store: MemoryBindingStore;
    let logger: RecordingLogger;
    let stop: () => Promise<void>;

    before(async () => {
      ({ edge, worker, close } = await connect());
      store = new MemoryBindingStore();
      logger = new RecordingLogger();
      stop = startProxy({ bus: worker, store, config: settings(), logger }).stop;
      await worker.flush?.();
      await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
    });

    after(async () => {
      await stop?.();
      await close?.();
    });

    const ask = async (data: Uint8Array) => Decision.decode(await edge.request(PROXY_SUBJECT, data, { timeoutMs: 5000 }));

    it("answers an INVITE with a Forward to the callee's flow, carrying the Record-Route values", async () => {
      const d = await ask(envelope(request({ from: "sip:eve@example.org" }).bytes));
      const t = onlyTarget(forwarded(d));
      assert.deepEqual(t.flow, flowToWire(BOB_FLOW));
      assert.equal(t.recordRoutes.length, 2);
      // Toward the callee the token names bob's flow; toward the caller the flow the envelope carried.
      assert.deepEqual(recordRouteFlow(t.recordRoutes[0]!), flowToWire(BOB_FLOW));
      assert.deepEqual(recordRouteFlow(t.recordRoutes[1]!), flowToWire(ALICE_FLOW));
    });

    it("challenges a local caller with 407 and forwards the request that answers it", async () => {
      const challenge = responded(await ask(envelope(request().bytes)));
      assert.equal(challenge.status, 407);
      const credentials = proxyAuthorization(challenge);
      const d = await ask(envelope(request({ cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] }).bytes));
      const f = forwarded(d);
      assert.deepEqual(onlyTarget(f).flow, flowToWire(BOB_FLOW));
      assert.deepEqual(f.removeHeaders, ["Proxy-Authorization"]);
    });

    it("answers 500 to an envelope that does not decode, or comes without a usable flow, and logs it", async () => {
      const before = logger.lines.length;
      assert.equal(responded(await ask(Uint8Array.from([0xff, 0xff, 0xff]))).status, 500);
      assert.equal(responded(await ask(Envelope.encode({ message: request().bytes, flow: undefined, receivedAtMs: 0, tlsPeerNames: [] }).finish())).status, 500);
      const noLocal = { ...flowToWire(ALICE_FLOW), local: undefined };
      assert.equal(responded(await ask(envelope(request().bytes, noLocal))).status, 500);
      // An ACK is never answered, not even for a bad envelope.
      assert.match(dropped(await ask(envelope(request({ method: "ACK", toTag: "x" }).bytes, noLocal))), /^500/);
      assert.equal(logger.lines.length - before, 4);
    });

    it("answers 400 to bytes that are not a SIP message, 500 to a response", async () => {
      assert.equal(responded(await ask(envelope(Buffer.from("hello\r\n\r\n")))).status, 400);
      const response = Buffer.from("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
      assert.equal(responded(await ask(envelope(response))).status, 500);
    });
  });
}

workerSuite("proxy worker over MemoryBus", async () => {
  const bus = new MemoryBus({ logger: { warn() {}, error() {} } });
  return { edge: bus, worker: bus, close: () => bus.close() };
});

let nats: EngineProcess | undefined;
workerSuite(
  "proxy worker over a real NATS server",
  async () => {
    nats = await startNatsServer();
    const quiet = { warn() {}, error() {}, info() {} };
    const edge = await NatsBus.connect({ servers: nats.url, name: "edge-test", logger: quiet });
    const worker = await NatsBus.connect({ servers: nats.url, name: "proxy-test", logger: quiet });
    return {
      edge,
      worker,
      async close() {
        await edge.close();
        await worker.close();
        await nats?.stop();
      },
    };
  },
  hasBinary("nats-server") ? false : "nats-server binary not installed",
);

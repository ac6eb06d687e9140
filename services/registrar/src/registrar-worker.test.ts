import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { MemoryBus } from "@sipfleet/bus/memory";
import { flowToWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, REGISTRAR_SUBJECT } from "@sipfleet/proto";
import { Registrar } from "./registrar.js";
import { FLOW, register, settings } from "./registrar-fixtures.js";
import { serveRegistrar } from "./registrar-worker.js";

function setup() {
  const logged: string[] = [];
  const logger = { warn: (_: object, msg: string) => logged.push(msg), error: (_: object, msg: string) => logged.push(msg) };
  const bus = new MemoryBus({ logger });
  const store = new MemoryBindingStore();
  serveRegistrar(bus, new Registrar({ settings: settings(), store, clock: Date.now, logger }), logger);
  const ask = async (data: Uint8Array) => {
    const d = Decision.decode(await bus.request(REGISTRAR_SUBJECT, data, { timeoutMs: 2000 }));
    assert.equal(d.action?.$case, "respond");
    return d.action.value;
  };
  return { bus, store, logged, ask };
}

describe("registrar worker on the bus", () => {
  it("answers an Envelope with a REGISTER with a Decision and stores the binding with the envelope's flow", async () => {
    const { bus, store, ask } = setup();
    const req = register({ domain: "bench.sipfleet.local", user: "w1" });
    const r = await ask(Envelope.encode({ message: req.bytes, flow: flowToWire(FLOW), receivedAtMs: Date.now(), tlsPeerNames: [] }).finish());
    assert.equal(r.status, 200);
    assert.ok(r.headers.some((h) => h.name === "Contact" && /expires=3600/.test(h.value)));
    assert.deepEqual((await store.lookup("sip:w1@bench.sipfleet.local"))[0]?.flow, FLOW);
    await bus.close();
  });
  it("answers 500 and logs an envelope that does not decode or has no flow, never staying silent", async () => {
    const { bus, logged, ask } = setup();
    assert.equal((await ask(Uint8Array.from([0xff, 0xff, 0xff]))).status, 500);
    const req = register({ domain: "bench.sipfleet.local" });
    assert.equal((await ask(Envelope.encode({ message: req.bytes, flow: undefined, receivedAtMs: 0, tlsPeerNames: [] }).finish())).status, 500);
    assert.equal(logged.length, 2);
    await bus.close();
  });
  it("answers 400 to bytes that are not a SIP message", async () => {
    const { bus, ask } = setup();
    const r = await ask(Envelope.encode({ message: Buffer.from("hello\r\n\r\n"), flow: flowToWire(FLOW), receivedAtMs: 0, tlsPeerNames: [] }).finish());
    assert.equal(r.status, 400);
    await bus.close();
  });
});

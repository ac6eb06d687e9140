import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { busContract } from "./bus-contract.js";
import { MemoryBus, MemoryBusHub } from "./memory-bus.js";

busContract("MemoryBus", async ({ logger }) => {
  const hub = new MemoryBusHub();
  const a = new MemoryBus({ hub, logger });
  const b = new MemoryBus({ hub, logger });
  return {
    a,
    b,
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
});

describe("MemoryBus", () => {
  it("delivers asynchronously, never in the sender's stack", async () => {
    const bus = new MemoryBus();
    let delivered = false;
    bus.subscribe("x", () => (delivered = true));
    bus.publish("x", new Uint8Array([1]));
    assert.equal(delivered, false);
    await bus.flush();
    assert.equal(delivered, true);
    await bus.close();
  });

  it("buses on different hubs do not see each other", async () => {
    const a = new MemoryBus();
    const b = new MemoryBus();
    b.serve("x", "q", () => new Uint8Array([1]));
    await assert.rejects(a.request("x", new Uint8Array(), { timeoutMs: 100 }), { name: "BusNoRespondersError" });
    await a.close();
    await b.close();
  });

  it("two queue groups on one subject each get the request; the first reply wins", async () => {
    const hub = new MemoryBusHub();
    const bus = new MemoryBus({ hub });
    const calls: string[] = [];
    bus.serve("x", "g1", () => (calls.push("g1"), new Uint8Array([1])));
    bus.serve("x", "g2", () => (calls.push("g2"), new Uint8Array([2])));
    const reply = await bus.request("x", new Uint8Array(), { timeoutMs: 100 });
    assert.deepEqual([...reply], [1]);
    await bus.flush();
    assert.deepEqual(calls.sort(), ["g1", "g2"]);
    await bus.close();
  });
});

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Metadata, Server, ServerCredentials, credentials, status, type ServerDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { MemoryBindingStore, type Binding, type BindingStore } from "@sipfleet/bindings";
import { ExchangeError_Code, LocationServiceClient, LocationServiceService, type ExchangeRequest, type ExchangeResponse, type LocationServiceServer } from "@sipfleet/proto";
import { GrpcBindingStore, LocationUnavailableError } from "@sipfleet/location-client";
import { createLocationServer, type LocationServer } from "./location-server.js";

const cleanups: (() => void | Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function bind(server: Server): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`))),
  );
}

/** A store whose lookups wait until released: requests stay in flight as long as the test wants. */
class HeldStore implements BindingStore {
  readonly memory = new MemoryBindingStore();
  private held: (() => void)[] = [];
  save = this.memory.save.bind(this.memory);
  useNonce = this.memory.useNonce.bind(this.memory);
  remove = this.memory.remove.bind(this.memory);
  list = this.memory.list.bind(this.memory);
  close = () => this.memory.close();
  lookup(aor: string): Promise<Binding[]> {
    return new Promise<void>((r) => this.held.push(r)).then(() => this.memory.lookup(aor));
  }
  get waiting(): number {
    return this.held.length;
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw Exchange stream: what was received, in order. */
function openExchange(address: string) {
  const client = new LocationServiceClient(address, credentials.createInsecure());
  const stream = client.exchange();
  const received: ExchangeResponse[] = [];
  let ended: { code: number } | undefined;
  stream.on("data", (r: ExchangeResponse) => received.push(r));
  stream.on("error", () => {});
  stream.on("status", (s: { code: number }) => (ended = s));
  const lookup = (id: number, aor = "sip:held@example.test"): ExchangeRequest => ({ id, op: { $case: "lookup", value: { aor } }, traceContext: {} });
  return { client, stream, received, ended: () => ended, lookup };
}

describe("Exchange stream (server)", () => {
  it("answers beyond maxInFlightPerStream with UNAVAILABLE overloaded at once, the rest when done, matched by id", async () => {
    const store = new HeldStore();
    const server = createLocationServer(store, { maxInFlightPerStream: 2 });
    const address = await bind(server);
    cleanups.push(() => server.forceShutdown());
    const x = openExchange(address);
    cleanups.push(() => x.client.close());
    x.stream.write(x.lookup(11));
    x.stream.write(x.lookup(12));
    x.stream.write(x.lookup(13));
    x.stream.write({ id: 14, op: { $case: "lookup", value: { aor: "" } }, traceContext: {} });
    await until(() => x.received.length === 2, "the refusals");
    assert.deepEqual(
      x.received.map((r) => [r.id, r.result?.$case === "error" ? r.result.value.code : r.result?.$case]),
      [
        [13, ExchangeError_Code.CODE_UNAVAILABLE],
        [14, ExchangeError_Code.CODE_UNAVAILABLE],
      ],
    );
    assert.equal(x.received[0]!.result?.$case === "error" && x.received[0]!.result.value.message, "overloaded");
    assert.equal(store.waiting, 2);
    store.release();
    await until(() => x.received.length === 4, "the held lookups");
    assert.deepEqual(x.received.slice(2).map((r) => [r.id, r.result?.$case]).sort(), [
      [11, "lookup"],
      [12, "lookup"],
    ]);
    // The same validation as the unary Lookup, once there is room again.
    x.stream.write({ id: 15, op: { $case: "lookup", value: { aor: "" } }, traceContext: {} });
    x.stream.write({ id: 16, op: undefined, traceContext: {} });
    await until(() => x.received.length === 6, "the invalid ones");
    const byId = new Map(x.received.map((r) => [r.id, r.result]));
    assert.deepEqual(byId.get(15), { $case: "error", value: { code: ExchangeError_Code.CODE_INVALID_ARGUMENT, message: "aor is required" } });
    const r16 = byId.get(16);
    assert.equal(r16?.$case === "error" && r16.value.code, ExchangeError_Code.CODE_INVALID_ARGUMENT);
    x.stream.end();
    await until(() => x.ended() !== undefined, "the end of the call");
    assert.equal(x.ended()!.code, status.OK);
  });

  it("tryShutdown answers what is in flight, refuses new requests, ends the stream, and completes", async () => {
    const store = new HeldStore();
    const server: LocationServer = createLocationServer(store);
    const address = await bind(server);
    const x = openExchange(address);
    cleanups.push(() => x.client.close());
    x.stream.write(x.lookup(1));
    await until(() => store.waiting === 1, "the lookup in flight");
    let shutDown = false;
    server.tryShutdown(() => (shutDown = true));
    x.stream.write(x.lookup(2));
    await until(() => x.received.length === 1, "the refusal");
    assert.equal(x.received[0]!.id, 2);
    assert.equal(x.received[0]!.result?.$case === "error" && x.received[0]!.result.value.message, "shutting down");
    assert.equal(x.ended(), undefined, "the stream waits for the request in flight");
    store.release();
    await until(() => shutDown, "tryShutdown's callback");
    assert.deepEqual(
      x.received.map((r) => [r.id, r.result?.$case]),
      [
        [2, "error"],
        [1, "lookup"],
      ],
    );
    assert.equal(x.ended()?.code, status.OK);
  });
});

describe("GrpcBindingStore streams", () => {
  it("times a request out at its deadline when the replica never answers", async () => {
    let requests = 0;
    const silent = new Server();
    const unimplemented = (_: unknown, cb: (e: Partial<ServiceError>) => void) => cb({ code: status.UNIMPLEMENTED, details: "unary not served here" });
    const handlers: LocationServiceServer = {
      save: unimplemented,
      useNonce: unimplemented,
      lookup: unimplemented,
      remove: unimplemented,
      list: unimplemented,
      acquireCallSlots: unimplemented,
      releaseCallSlots: unimplemented,
      exchange(call: ServerDuplexStream<ExchangeRequest, ExchangeResponse>) {
        call.sendMetadata(new Metadata());
        call.on("data", () => requests++);
        call.on("error", () => {});
      },
    };
    silent.addService(LocationServiceService, handlers);
    const address = await bind(silent);
    cleanups.push(() => silent.forceShutdown());
    const store = new GrpcBindingStore(address, { deadlineMs: 300 });
    try {
      const t0 = Date.now();
      await assert.rejects(store.lookup("sip:a@example.test"), (err: unknown) => err instanceof LocationUnavailableError && err.code === status.DEADLINE_EXCEEDED);
      const took = Date.now() - t0;
      assert.ok(took >= 300 && took < 500, `${took} ms`);
      assert.equal(requests, 1, "sent once, on the stream");
    } finally {
      await store.close();
    }
  });

  it("loses no save when a replica is killed (forceShutdown) with saves in flight on its stream", async () => {
    const memory = new MemoryBindingStore();
    const served = [0, 0];
    const counting = (i: number): BindingStore => ({
      save: (r) => (served[i]!++, memory.save(r)),
      useNonce: (r) => memory.useNonce(r),
      lookup: (a) => (served[i]!++, memory.lookup(a)),
      remove: (a, k) => memory.remove(a, k),
      list: (n, t) => memory.list(n, t),
      close: async () => {},
    });
    const a = createLocationServer(counting(0));
    const b = createLocationServer(counting(1));
    const addresses = [await bind(a), await bind(b)];
    cleanups.push(() => a.forceShutdown(), () => b.forceShutdown());
    const store = new GrpcBindingStore(addresses);
    try {
      const aor = "sip:killed@example.test";
      let cseq = 0;
      const failures: string[] = [];
      let killedAfter = -1;
      const worker = async () => {
        for (let i = 0; i < 100; i++) {
          const n = ++cseq;
          if (n === 1500) {
            killedAfter = served[0]!;
            a.forceShutdown();
          }
          try {
            const r = await store.save({
              aor,
              callId: "call",
              cseq: n,
              changes: [{ key: `sip:${n % 8}@127.0.0.2`, contact: `<sip:${n % 8}@127.0.0.2>`, qMillis: 1000, instanceId: "", regId: 0, path: [], flow: { edgeId: "e", connectionId: "c", transport: "udp", remote: { ip: "127.0.0.2", port: 5060 }, local: { ip: "127.0.0.1", port: 5060 } }, userAgent: "t", lifetimeMs: 60_000 }],
              removeAll: false,
              maxBindings: 0,
              nowMs: Date.now(),
            });
            assert.ok(r.outcome === "saved" || r.outcome === "out-of-order", r.outcome);
          } catch (err) {
            failures.push(String(err));
          }
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
      assert.deepEqual(failures.slice(0, 3), []);
      assert.ok(killedAfter > 100, `replica A served ${killedAfter} before it was killed`);
      const bBefore = served[1]!;
      await store.lookup(aor);
      assert.equal(served[1], bBefore + 1, "the surviving replica serves");
    } finally {
      await store.close();
    }
  });
});

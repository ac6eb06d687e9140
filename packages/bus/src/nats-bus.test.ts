import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { recordingLogger, startNatsCluster, startNatsServer, type EngineProcess, type LoggedLine } from "@sipfleet/testing";
import { BusError, BusUnavailableError } from "./bus.js";
import { busContract } from "./bus-contract.js";
import { NatsBus, natsServerList } from "./nats-bus.js";

// One nats-server of this file's own (free port), started on first use, stopped by PID at the end.
let server: Promise<EngineProcess> | undefined;
function natsServer(): Promise<EngineProcess> {
  server ??= startNatsServer();
  return server;
}
after(async () => {
  if (server !== undefined) await (await server).stop();
});

busContract("NatsBus", async ({ logger }) => {
  const { url } = await natsServer();
  const a = await NatsBus.connect({ servers: url, name: "contract-a", logger });
  const b = await NatsBus.connect({ servers: url, name: "contract-b", logger });
  return {
    a,
    b,
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
});

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("NatsBus faults", () => {
  it("connect to a port where nothing listens rejects with BusUnavailableError", async () => {
    const engine = await startNatsServer();
    const url = engine.url;
    await engine.stop(true);
    await assert.rejects(NatsBus.connect({ servers: url, connectTimeoutMs: 1000, logger: recordingLogger([]) }), BusUnavailableError);
  });

  it("survives the server being killed: requests fail promptly, then the same bus and serve() work again", async () => {
    // A server of this test's own, so the kill does not disturb other tests.
    const engine = await startNatsServer();
    const logs: LoggedLine[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = await NatsBus.connect({ servers: engine.url, name: "fault-a", logger: recordingLogger(logs) });
    const b = await NatsBus.connect({ servers: engine.url, name: "fault-b", logger: recordingLogger(logs) });
    try {
      let served = 0;
      b.serve("fault.echo", "echo", (m) => {
        served++;
        return enc.encode(`echo:${dec.decode(m.data)}`);
      });
      b.serve("fault.slow", "slow", async () => {
        await gate; // never opened before the kill
        return enc.encode("too late");
      });
      await b.flush();
      assert.equal(dec.decode(await a.request("fault.echo", enc.encode("1"), { timeoutMs: 2000 })), "echo:1");

      const inFlight = a.request("fault.slow", enc.encode("x"), { timeoutMs: 8000 });
      inFlight.catch(() => {}); // asserted below; keep it from counting as unhandled meanwhile
      await sleep(50);
      const killedAt = Date.now();
      await engine.stop(true);

      // The request in flight loses its reply with the connection: it fails now, not in 8 s.
      await assert.rejects(inFlight, BusUnavailableError);
      assert.ok(Date.now() - killedAt < 2000, `in-flight request failed after ${Date.now() - killedAt} ms`);

      // During the outage every request fails with a Bus error well within its timeout.
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        await assert.rejects(a.request("fault.echo", enc.encode("x"), { timeoutMs: 500 }), BusError);
        assert.ok(Date.now() - t0 < 800, `outage request took ${Date.now() - t0} ms`);
        a.publish("fault.events", enc.encode("buffered, never throws"));
        await sleep(50);
      }
      await assert.rejects(a.request("fault.echo", enc.encode("x"), { timeoutMs: 500 }), BusUnavailableError);

      await engine.restart();
      const restartedAt = Date.now();
      let reply: string | undefined;
      while (reply === undefined && Date.now() - restartedAt < 5000) {
        try {
          reply = dec.decode(await a.request("fault.echo", enc.encode("2"), { timeoutMs: 500 }));
        } catch (err) {
          assert.ok(err instanceof BusError, `only Bus errors while reconnecting, got ${String(err)}`);
          await sleep(100);
        }
      }
      assert.equal(reply, "echo:2", "the same bus and the same serve() answer within 5 s of the restart");
      assert.equal(served, 2);
      assert.ok(logs.some((l) => l.level === "warn" && l.msg.includes("disconnected")), "disconnect logged");
      assert.ok(logs.some((l) => l.level === "info" && l.msg.includes("reconnected")), "reconnect logged");
      await sleep(20);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      release();
      await a.close();
      await b.close();
      await engine.stop();
    }
  });

  it("close() while disconnected does not hang and rejects what is pending", async () => {
    const engine = await startNatsServer();
    const a = await NatsBus.connect({ servers: engine.url, name: "fault-close", logger: recordingLogger([]) });
    try {
      await engine.stop(true);
      await sleep(100);
      const t0 = Date.now();
      await a.close();
      assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
      await assert.rejects(a.request("x", enc.encode("x"), { timeoutMs: 200 }), { name: "BusClosedError" });
    } finally {
      await engine.stop();
    }
  });

  it("drain() while disconnected gives up after drainTimeoutMs and closes", async () => {
    const engine = await startNatsServer();
    const logs: LoggedLine[] = [];
    const a = await NatsBus.connect({ servers: engine.url, name: "fault-drain", logger: recordingLogger(logs), drainTimeoutMs: 500 });
    try {
      a.subscribe("x.>", () => {});
      await a.flush();
      await engine.stop(true);
      await sleep(100);
      const t0 = Date.now();
      await a.drain();
      assert.ok(Date.now() - t0 < 2000, `drain took ${Date.now() - t0} ms`);
      assert.throws(() => a.publish("x.y", enc.encode("x")), { name: "BusClosedError" });
    } finally {
      await engine.stop();
    }
  });
});

describe("NatsBus.connected (readiness)", () => {
  it("is true while the server answers, false once it is gone, and false after close", async () => {
    const engine = await startNatsServer();
    const bus = await NatsBus.connect({ servers: engine.url, name: "ready", logger: recordingLogger([]) });
    try {
      assert.equal(await bus.connected(), true);
      await engine.stop();
      let connected = true;
      for (let i = 0; i < 100 && connected; i++) {
        // Bounded as a probe would bound it: a PING buffered for a reconnect counts as not connected.
        connected = await Promise.race([bus.connected(), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
        if (connected) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(connected, false);
    } finally {
      await bus.close();
      await engine.stop();
    }
    assert.equal(await bus.connected(), false);
  });
});

describe("NatsBus on a NATS cluster", () => {
  it("takes NATS_URL's comma-separated node list as the seed list", () => {
    assert.deepEqual(natsServerList("nats://a:4222, nats://b:4222,,nats://c:4222"), ["nats://a:4222", "nats://b:4222", "nats://c:4222"]);
    assert.deepEqual(natsServerList(["nats://a:4222,nats://b:4222", "nats://c:4222"]), ["nats://a:4222", "nats://b:4222", "nats://c:4222"]);
  });

  it("fails over to another node when its node is killed, and serves across nodes (3 routed nats-servers)", async () => {
    const cluster = await startNatsCluster({ nodes: 3, jetstream: false });
    const logs: LoggedLine[] = [];
    // One comma-separated string, as the services read NATS_URL.
    const a = await NatsBus.connect({ servers: cluster.url, name: "cluster-a", logger: recordingLogger(logs) });
    const b = await NatsBus.connect({ servers: cluster.url, name: "cluster-b", logger: recordingLogger(logs) });
    try {
      b.serve("cluster.echo", "echo", (m) => enc.encode(`echo:${dec.decode(m.data)}`));
      // Retries until served: b's interest reaches a's node over the route shortly after serve().
      const served = async (text: string): Promise<number> => {
        for (let failed = 0; ; failed++) {
          try {
            assert.equal(dec.decode(await a.request("cluster.echo", enc.encode(text), { timeoutMs: 1000 })), `echo:${text}`);
            return failed;
          } catch (err) {
            assert.ok(err instanceof BusError, String(err));
            assert.ok(failed < 100, `"${text}" never served`);
            await sleep(100);
          }
        }
      };
      await served("1");
      const before = a.connection.info?.server_name;
      const victim = cluster.nodes.findIndex((n) => n.name === before);
      assert.ok(victim >= 0, `a is connected to one of the nodes (${before})`);
      await cluster.kill(victim);
      // Requests fail while a reconnects (and b too, if it was on that node); then they are served.
      await served("2");
      const after = a.connection.info?.server_name;
      assert.ok(after !== undefined && after !== before, `a moved from ${before} to another node (${after})`);
    } finally {
      await a.close();
      await b.close();
      await cluster.stop();
    }
  });
});

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { parseMessage, type SipResponse } from "@sipfleet/sip";
import { freePort, startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { MemoryAbuseStore } from "./abuse-store.js";
import { eventually, request, sleep, startTestEdge, stubRegistrar, UdpPeer, type TestEdge } from "./harness.js";
import { RedisAbuseStore } from "./redis-abuse-store.js";

/** Collects every response a peer gets until `quietMs` pass without one. */
async function drain(peer: UdpPeer, quietMs = 700): Promise<SipResponse[]> {
  const out: SipResponse[] = [];
  for (;;) {
    try {
      const d = await peer.inbox.next(quietMs, "response");
      out.push(parseMessage(d.data) as SipResponse);
    } catch {
      return out;
    }
  }
}

describe("edge abuse limits: rate limit (edge.rateLimit)", () => {
  let t: TestEdge;
  before(async () => {
    t = await startTestEdge({ config: { rateLimit: { requestsPerSecond: 5, rejectsPerSecond: 2, syncIntervalMs: 100, allow: [] } } });
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
  });
  after(() => t.stop());

  it("answers a burst over the limit 503 with Retry-After, then not at all; another source goes on", async () => {
    const flood = await UdpPeer.open("127.0.0.1");
    const other = await UdpPeer.open("127.0.0.2");
    try {
      const sent = 20;
      for (let i = 0; i < sent; i++) flood.send(request({ sentBy: `127.0.0.1:${flood.port}`, callId: `flood-${i}` }), t.address("udp"));
      const got = await drain(flood);
      const ok = got.filter((r) => r.status === 200).length;
      const busy = got.filter((r) => r.status === 503);
      const silent = sent - got.length;
      console.log(`rate limit: sent ${sent}, answered 200 ${ok}, answered 503 ${busy.length}, unanswered ${silent}`);
      // The burst may straddle two one-second windows: at most two windows' worth get through.
      assert.ok(ok >= 5 && ok <= 10, `200s: ${ok}`);
      assert.ok(busy.length >= 2 && busy.length <= 4, `503s: ${busy.length}`);
      assert.ok(silent >= 6, `unanswered: ${silent}`);
      for (const r of busy) assert.equal(r.header("retry-after"), "7");
      assert.equal(t.logger.lines.filter((l) => /over edge\.rateLimit/.test(l.msg)).length <= 2, true, "logged once per source per window");
      other.send(request({ sentBy: `127.0.0.2:${other.port}`, callId: "other" }), t.address("udp"));
      assert.equal((await other.response()).status, 200);
    } finally {
      await flood.close();
      await other.close();
    }
  });
});

describe("edge abuse limits: bans (edge.bans)", () => {
  let t: TestEdge;
  const store = new MemoryAbuseStore();
  before(async () => {
    t = await startTestEdge({ abuseStore: store, config: { bans: { failuresBeforeBan: 3, windowSeconds: 60, banSeconds: 60 } } });
    // A worker saying the credentials failed for every request marked as a guess, success otherwise.
    stubRegistrar(t.workerBus, (env) => (/guess/.test(Buffer.from(env.message).toString()) ? { status: 403, credentialsFailed: true } : { status: 200 }));
  });
  after(() => t.stop());

  it("bans a source after failuresBeforeBan failed credentials: silence from then on, in the store and on the bus", async () => {
    const guesser = await UdpPeer.open("127.0.0.1");
    const other = await UdpPeer.open("127.0.0.2");
    const published: string[] = [];
    const { EDGE_BANS_SUBJECT, SourceBanned } = await import("@sipfleet/proto");
    t.workerBus.subscribe(EDGE_BANS_SUBJECT, (m) => published.push(SourceBanned.decode(m.data).source));
    try {
      let forbidden = 0;
      for (let i = 0; i < 6; i++) {
        guesser.send(request({ sentBy: `127.0.0.1:${guesser.port}`, callId: `guess-${i}`, extra: ["X-Try: guess"] }), t.address("udp"));
        try {
          const r = await guesser.response(1000);
          assert.equal(r.status, 403);
          forbidden++;
        } catch {
          break;
        }
      }
      console.log(`bans: 403s before silence ${forbidden} (failuresBeforeBan 3)`);
      assert.equal(forbidden, 3);
      assert.equal(t.edge.abuseStats.bansIssued, 1);
      assert.ok((await store.bans(Date.now())).has("127.0.0.1"));
      await sleep(50);
      assert.deepEqual(published, ["127.0.0.1"]);
      other.send(request({ sentBy: `127.0.0.2:${other.port}`, callId: "other-ok" }), t.address("udp"));
      assert.equal((await other.response()).status, 200);
    } finally {
      await guesser.close();
      await other.close();
    }
  });
});

describe("edge abuse limits: shared through Redis", () => {
  let redis: EngineProcess;
  let conns: Redis[] = [];
  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    for (const c of conns) c.disconnect();
    await redis.stop();
  });

  it("an edge starting up loads the bans in force; a flood spread over two edges is limited on their sum", async () => {
    conns = [new Redis(redis.url), new Redis(redis.url)];
    const [ra, rb] = conns as [Redis, Redis];
    await new RedisAbuseStore(ra).ban("127.0.0.3", Date.now() + 60_000);
    const rate = { requestsPerSecond: 10, rejectsPerSecond: 100, syncIntervalMs: 50, allow: [] };
    const a = await startTestEdge({ abuseStore: new RedisAbuseStore(ra), config: { rateLimit: rate } });
    const b = await startTestEdge({ abuseStore: new RedisAbuseStore(rb), config: { rateLimit: rate } });
    stubRegistrar(a.workerBus, () => ({ status: 200 }));
    stubRegistrar(b.workerBus, () => ({ status: 200 }));
    const banned = await UdpPeer.open("127.0.0.3");
    const flood = await UdpPeer.open("127.0.0.4");
    try {
      banned.send(request({ sentBy: `127.0.0.3:${banned.port}`, callId: "banned" }), a.address("udp"));
      await assert.rejects(banned.response(800), "a ban from the store is in force at start");
      // 8 to each edge, each under the limit alone: once the counts meet in Redis, over it.
      // Waits for a new second so that all of it lands in one window.
      await sleep(1000 - (Date.now() % 1000) + 10);
      for (let i = 0; i < 8; i++) flood.send(request({ sentBy: `127.0.0.4:${flood.port}`, callId: `a-${i}` }), a.address("udp"));
      await sleep(300);
      // The second edge learns the total at its next sync after it has seen the source itself
      // (it asks only about sources it saw): its later requests meet the sum.
      for (let i = 0; i < 4; i++) flood.send(request({ sentBy: `127.0.0.4:${flood.port}`, callId: `b-${i}` }), b.address("udp"));
      await sleep(200);
      for (let i = 4; i < 8; i++) flood.send(request({ sentBy: `127.0.0.4:${flood.port}`, callId: `b-${i}` }), b.address("udp"));
      const got = await drain(flood);
      const busy = got.filter((r) => r.status === 503).length;
      console.log(`shared rate limit: sent 16 over two edges (limit 10/s), 200 ${got.length - busy}, 503 ${busy}`);
      assert.ok(busy >= 1, "the second edge saw the first edge's count");
      assert.equal(b.edge.abuseStats.rateRejected, busy);
    } finally {
      await banned.close();
      await flood.close();
      await a.stop();
      await b.stop();
    }
  });
});

describe("edge abuse limits: Redis unreachable (fail open)", () => {
  it("serves while the store is down, logs the outage once, and reads the bans once it is back", async () => {
    const port = await freePort();
    // As main.ts connects: no offline queue, so a command fails at once while Redis is down.
    const conn = new Redis({ host: "127.0.0.1", port, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100, lazyConnect: false });
    conn.on("error", () => {});
    const t = await startTestEdge({ abuseStore: new RedisAbuseStore(conn), config: { rateLimit: { requestsPerSecond: 1000, rejectsPerSecond: 10, syncIntervalMs: 50, allow: [] } } });
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
    const peer = await UdpPeer.open("127.0.0.5");
    let redis: EngineProcess | undefined;
    try {
      for (let i = 0; i < 3; i++) {
        peer.send(request({ sentBy: `127.0.0.5:${peer.port}`, callId: `down-${i}` }), t.address("udp"));
        assert.equal((await peer.response()).status, 200, "calls go on without Redis");
        await sleep(100);
      }
      assert.equal(t.logger.lines.filter((l) => /abuse store unreachable/.test(l.msg)).length, 1, "the outage is logged once");
      redis = await startRedisServer({ port });
      const other = new Redis(redis.url);
      await new RedisAbuseStore(other).ban("127.0.0.5", Date.now() + 60_000);
      other.disconnect();
      await eventually(() => t.logger.lines.some((l) => /bans in force loaded/.test(l.msg)), 10_000, "bans loaded once Redis is back");
      peer.send(request({ sentBy: `127.0.0.5:${peer.port}`, callId: "after" }), t.address("udp"));
      await assert.rejects(peer.response(800), "the ban read from Redis is in force");
    } finally {
      await peer.close();
      await t.stop();
      conn.disconnect();
      await redis?.stop();
    }
  });
});

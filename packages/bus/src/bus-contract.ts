import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BusClosedError,
  BusError,
  BusNoRespondersError,
  BusTimeoutError,
  type Bus,
  type BusMessage,
} from "./bus.js";
import type { BusLogger } from "./logger.js";

/** Two buses that reach each other (two connections to one broker), and how to tear them down. */
export interface BusPair {
  a: Bus;
  b: Bus;
  cleanup(): Promise<void>;
}

/** What the suite hands to `makeBus`: both buses must log through `logger`. */
export interface BusContractContext {
  logger: BusLogger;
}

interface LogEntry {
  level: "info" | "warn" | "error";
  obj: object;
  msg: string;
}

function recordingLogger(entries: LogEntry[]): BusLogger {
  return {
    info: (obj, msg) => entries.push({ level: "info", obj, msg }),
    warn: (obj, msg) => entries.push({ level: "warn", obj, msg }),
    error: (obj, msg) => entries.push({ level: "error", obj, msg }),
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function flush(bus: Bus): Promise<void> {
  await bus.flush?.();
}

/** Resolves when `cond` holds, rejects naming `what` after `timeoutMs`. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Subscribes and collects the subjects and payloads received, in order. */
function collect(bus: Bus, subject: string): { got: BusMessage[]; unsubscribe(): void } {
  const got: BusMessage[] = [];
  const sub = bus.subscribe(subject, (m) => got.push(m));
  return { got, unsubscribe: () => sub.unsubscribe() };
}

/**
 * The behaviour every `Bus` adapter must have. Call it at the top level of a test file; each case
 * gets a fresh pair from `makeBus` and tears it down with `cleanup`.
 */
export function busContract(name: string, makeBus: (ctx: BusContractContext) => Promise<BusPair>): void {
  describe(`Bus contract: ${name}`, () => {
    let a: Bus;
    let b: Bus;
    let pair: BusPair;
    let logs: LogEntry[];

    beforeEach(async () => {
      logs = [];
      pair = await makeBus({ logger: recordingLogger(logs) });
      a = pair.a;
      b = pair.b;
    });

    afterEach(async () => {
      await pair.cleanup();
    });

    it("request/reply carries the bytes intact both ways", async () => {
      const payload = new Uint8Array(1200);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
      let seen: BusMessage | undefined;
      b.serve("contract.echo", "echo", (m) => {
        seen = m;
        return m.data.slice().reverse();
      });
      await flush(b);
      const reply = await a.request("contract.echo", payload, { timeoutMs: 2000 });
      assert.ok(seen !== undefined);
      assert.equal(seen.subject, "contract.echo");
      assert.deepEqual([...seen.data], [...payload]);
      assert.equal(seen.headers, undefined);
      assert.deepEqual([...reply], [...payload].reverse());

      // An empty payload and an empty reply are data too, not a no-responders status.
      b.serve("contract.empty", "echo", () => new Uint8Array(0));
      await flush(b);
      const empty = await a.request("contract.empty", new Uint8Array(0), { timeoutMs: 2000 });
      assert.equal(empty.length, 0);
    });

    it("the requester may reuse its buffer at once; the responder still sees what was sent", async () => {
      b.serve("contract.copy", "copy", (m) => m.data.slice());
      await flush(b);
      const buf = enc.encode("first");
      const p = a.request("contract.copy", buf, { timeoutMs: 2000 });
      buf.set(enc.encode("XXXXX"));
      assert.equal(dec.decode(await p), "first");
      // Same with a Node Buffer, whose slice() is a view, not a copy.
      const nodeBuf = Buffer.from("second");
      const q = a.request("contract.copy", nodeBuf, { timeoutMs: 2000 });
      nodeBuf.write("YYYYYY");
      assert.equal(dec.decode(await q), "second");
    });

    it("received bytes are plain Uint8Arrays (slice() copies), for responders, listeners and requesters", async () => {
      const plain = (d: Uint8Array) => Object.getPrototypeOf(d) === Uint8Array.prototype;
      let served: Uint8Array | undefined;
      b.serve("contract.plain", "p", (m) => {
        served = m.data;
        return Buffer.from("reply");
      });
      const c = collect(b, "contract.plain.pub");
      await flush(b);
      const reply = await a.request("contract.plain", Buffer.from("req"), { timeoutMs: 2000 });
      a.publish("contract.plain.pub", Buffer.from("pub"));
      await waitFor(() => c.got.length === 1, "the publication");
      assert.ok(served !== undefined && plain(served), "responder data");
      assert.ok(plain(reply), "reply data");
      assert.ok(plain((c.got[0] as BusMessage).data), "listener data");
    });

    it("a bus serves its own requests (embedded mode)", async () => {
      a.serve("contract.self", "self", (m) => enc.encode(`self:${dec.decode(m.data)}`));
      await flush(a);
      assert.equal(dec.decode(await a.request("contract.self", enc.encode("x"), { timeoutMs: 2000 })), "self:x");
    });

    it("headers are carried on requests and publications", async () => {
      const headers = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "X-Mixed-Case": "Value 1", tracestate: "" };
      const seen: (BusMessage["headers"])[] = [];
      b.serve("contract.hdr", "hdr", (m) => {
        seen.push(m.headers);
        return enc.encode("ok");
      });
      const pub = collect(b, "contract.hdr.pub");
      await flush(b);
      await a.request("contract.hdr", enc.encode("x"), { timeoutMs: 2000, headers });
      await a.request("contract.hdr", enc.encode("x"), { timeoutMs: 2000 });
      a.publish("contract.hdr.pub", enc.encode("p"), headers);
      await waitFor(() => pub.got.length === 1, "the publication");
      assert.deepEqual(seen[0], headers);
      assert.equal(seen[1], undefined);
      assert.deepEqual(pub.got[0]?.headers, headers);
    });

    it("a queue group spreads requests: each answered exactly once, by one of two members, both used", async () => {
      const counts = [0, 0];
      const member = (i: 0 | 1) => (m: BusMessage) => {
        counts[i] = (counts[i] as number) + 1;
        return enc.encode(`${i}:${dec.decode(m.data)}`);
      };
      b.serve("contract.work", "workers", member(0));
      a.serve("contract.work", "workers", member(1));
      await flush(a);
      await flush(b);
      const n = 200;
      const replies = await Promise.all(
        Array.from({ length: n }, (_, i) => a.request("contract.work", enc.encode(String(i)), { timeoutMs: 3000 })),
      );
      replies.forEach((r, i) => assert.match(dec.decode(r), new RegExp(`^[01]:${i}$`)));
      await sleep(50); // a duplicate delivery would show up in the counts by now
      assert.equal((counts[0] as number) + (counts[1] as number), n);
      assert.ok((counts[0] as number) > 0 && (counts[1] as number) > 0, `both members used: ${counts.join("/")}`);
    });

    it("no responders rejects with BusNoRespondersError well before the timeout", async () => {
      const t0 = Date.now();
      await assert.rejects(a.request("contract.nobody.home", enc.encode("x"), { timeoutMs: 5000 }), BusNoRespondersError);
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    });

    it("no reply in time rejects with BusTimeoutError", async () => {
      // A plain subscriber is interest (so no 503) but never replies.
      b.subscribe("contract.silent", () => {});
      await flush(b);
      const t0 = Date.now();
      await assert.rejects(a.request("contract.silent", enc.encode("x"), { timeoutMs: 200 }), BusTimeoutError);
      const took = Date.now() - t0;
      assert.ok(took >= 190 && took < 1500, `took ${took} ms`);
    });

    it("a responder that throws or rejects sends no reply and its error is logged", async () => {
      b.serve("contract.throws", "t", () => {
        throw new Error("boom sync");
      });
      b.serve("contract.rejects", "t", async () => {
        await sleep(1);
        throw new Error("boom async");
      });
      await flush(b);
      await assert.rejects(a.request("contract.throws", enc.encode("x"), { timeoutMs: 300 }), BusTimeoutError);
      await assert.rejects(a.request("contract.rejects", enc.encode("x"), { timeoutMs: 300 }), BusTimeoutError);
      const errors = logs.filter((l) => l.level === "error").map((l) => (l.obj as { err?: unknown }).err);
      assert.ok(errors.some((e) => e instanceof Error && e.message === "boom sync"), "sync throw logged");
      assert.ok(errors.some((e) => e instanceof Error && e.message === "boom async"), "rejection logged");
    });

    it("scatter-gather: every group gets the request, members that return undefined stay silent, the one that answers is the reply", async () => {
      const seenBy: string[] = [];
      const member = (name: string, answers: boolean, delayMs: number) => async (m: BusMessage) => {
        seenBy.push(name);
        await sleep(delayMs);
        return answers ? enc.encode(`${name}:${dec.decode(m.data)}`) : undefined;
      };
      // The silent ones are quicker than the one that answers: their silence must not be a reply.
      b.serve("contract.scatter", "g1", member("g1", false, 0));
      a.serve("contract.scatter", "g2", member("g2", true, 20));
      b.serve("contract.scatter", "g3", () => undefined);
      await flush(a);
      await flush(b);
      assert.equal(dec.decode(await a.request("contract.scatter", enc.encode("x"), { timeoutMs: 2000 })), "g2:x");
      assert.deepEqual(seenBy.sort(), ["g1", "g2"]);
      // Nobody answering is a timeout; declining is not an error.
      b.serve("contract.silence", "s", () => undefined);
      await flush(b);
      await assert.rejects(a.request("contract.silence", enc.encode("x"), { timeoutMs: 200 }), BusTimeoutError);
      assert.deepEqual(logs.filter((l) => l.level === "error"), []);
    });

    it("a listener that throws is logged and keeps receiving", async () => {
      const got: string[] = [];
      a.subscribe("contract.listener", (m) => {
        got.push(dec.decode(m.data));
        throw new Error(`listener boom ${got.length}`);
      });
      await flush(a);
      b.publish("contract.listener", enc.encode("1"));
      b.publish("contract.listener", enc.encode("2"));
      await waitFor(() => got.length === 2, "both messages");
      const logged = logs.filter((l) => l.level === "error").map((l) => (l.obj as { err?: Error }).err?.message);
      assert.deepEqual(logged, ["listener boom 1", "listener boom 2"]);
    });

    it("publish/subscribe: '*' matches one token, '>' one or more", async () => {
      const star = collect(a, "contract.ev.*.x");
      const rest = collect(a, "contract.ev.>");
      const exact = collect(a, "contract.ev.1.x");
      await flush(a);
      for (const s of ["contract.ev.1.x", "contract.ev.1.y", "contract.ev.1.x.z", "contract.ev", "contract.other.1.x", "contract.ev.2.x"]) {
        b.publish(s, enc.encode(s));
      }
      b.publish("contract.ev.end.x", enc.encode("end"));
      const ended = (c: { got: BusMessage[] }) => c.got.some((m) => m.subject === "contract.ev.end.x");
      await waitFor(() => ended(star) && ended(rest), "the end marker");
      await flush(a);
      const subjects = (c: { got: BusMessage[] }) => c.got.map((m) => m.subject);
      assert.deepEqual(subjects(star), ["contract.ev.1.x", "contract.ev.2.x", "contract.ev.end.x"]);
      assert.deepEqual(subjects(rest), ["contract.ev.1.x", "contract.ev.1.y", "contract.ev.1.x.z", "contract.ev.2.x", "contract.ev.end.x"]);
      assert.deepEqual(subjects(exact), ["contract.ev.1.x"]);
      assert.equal(dec.decode(star.got[0]?.data ?? new Uint8Array()), "contract.ev.1.x");
    });

    it("invalid subjects are refused with BusError", async () => {
      assert.throws(() => a.subscribe("contract..x", () => {}), BusError);
      assert.throws(() => a.subscribe("contract.>.x", () => {}), BusError);
      assert.throws(() => a.publish("contract.*", enc.encode("x")), BusError);
      assert.throws(() => a.publish("", enc.encode("x")), BusError);
      await assert.rejects(a.request("contract.a b", enc.encode("x"), { timeoutMs: 100 }), BusError);
      await assert.rejects(a.request("contract.x", enc.encode("x"), { timeoutMs: 0 }), BusError);
      await assert.rejects(a.request("contract.x", enc.encode("x"), { timeoutMs: 100, headers: { "bad:name": "v" } }), BusError);
      assert.throws(() => a.publish("contract.x", enc.encode("x"), { ok: "line\r\nbreak" }), BusError);
    });

    it("unsubscribe stops delivery, for listeners and responders", async () => {
      const c = collect(a, "contract.unsub");
      const marker = collect(a, "contract.unsub.marker");
      await flush(a);
      b.publish("contract.unsub", enc.encode("1"));
      await waitFor(() => c.got.length === 1, "the first message");
      c.unsubscribe();
      await flush(a);
      b.publish("contract.unsub", enc.encode("2"));
      b.publish("contract.unsub.marker", enc.encode("m"));
      await waitFor(() => marker.got.length === 1, "the marker");
      assert.equal(c.got.length, 1);

      const served = b.serve("contract.unsub.rpc", "u", () => enc.encode("r"));
      await flush(b);
      assert.equal(dec.decode(await a.request("contract.unsub.rpc", enc.encode("x"), { timeoutMs: 2000 })), "r");
      served.unsubscribe();
      served.unsubscribe(); // idempotent
      await flush(b);
      await assert.rejects(a.request("contract.unsub.rpc", enc.encode("x"), { timeoutMs: 2000 }), BusNoRespondersError);
    });

    it("drain lets an in-flight responder's reply go out and flushes publications, then closes", async () => {
      let started!: () => void;
      const responderStarted = new Promise<void>((r) => (started = r));
      b.serve("contract.drain", "d", async (m) => {
        started();
        await sleep(150);
        return enc.encode(`late:${dec.decode(m.data)}`);
      });
      const pubs = collect(a, "contract.drain.pub");
      await flush(a);
      await flush(b);
      const reply = a.request("contract.drain", enc.encode("x"), { timeoutMs: 3000 });
      await responderStarted;
      for (let i = 0; i < 100; i++) b.publish("contract.drain.pub", enc.encode(String(i)));
      const drained = b.drain();
      assert.equal(dec.decode(await reply), "late:x");
      await drained;
      await waitFor(() => pubs.got.length === 100, "all 100 publications");
      assert.deepEqual(pubs.got.map((m) => dec.decode(m.data)), Array.from({ length: 100 }, (_, i) => String(i)));
      // b is closed now: it refuses work, and nobody serves its subject any more.
      await assert.rejects(b.request("contract.drain", enc.encode("x"), { timeoutMs: 500 }), BusClosedError);
      assert.throws(() => b.publish("contract.drain.pub", enc.encode("x")), BusClosedError);
      await assert.rejects(a.request("contract.drain", enc.encode("x"), { timeoutMs: 2000 }), BusNoRespondersError);
      await b.drain(); // idempotent
    });

    it("close rejects pending requests with BusClosedError at once, and later calls too", async () => {
      b.subscribe("contract.close", () => {});
      await flush(b);
      const pending = a.request("contract.close", enc.encode("x"), { timeoutMs: 5000 });
      await sleep(20);
      const t0 = Date.now();
      await a.close();
      await assert.rejects(pending, BusClosedError);
      assert.ok(Date.now() - t0 < 500, `took ${Date.now() - t0} ms`);
      await assert.rejects(a.request("contract.close", enc.encode("x"), { timeoutMs: 500 }), BusClosedError);
      assert.throws(() => a.publish("contract.close", enc.encode("x")), BusClosedError);
      assert.throws(() => a.subscribe("contract.close", () => {}), BusClosedError);
      await a.close(); // idempotent
    });

    it("2,000 concurrent requests are all answered and each reply matches its request", async () => {
      let active = 0;
      let maxActive = 0;
      b.serve("contract.many", "many", async (m) => {
        active++;
        maxActive = Math.max(maxActive, active);
        const i = Number(dec.decode(m.data));
        // Replies come back out of order, so correlation is really tested.
        await sleep(i % 7);
        active--;
        return enc.encode(`r${i}`);
      });
      await flush(b);
      const n = 2000;
      const replies = await Promise.all(
        Array.from({ length: n }, (_, i) => a.request("contract.many", enc.encode(String(i)), { timeoutMs: 10_000 })),
      );
      replies.forEach((r, i) => assert.equal(dec.decode(r), `r${i}`));
      assert.ok(maxActive > 1, "requests were really concurrent");
    });
  });
}

/*
 * The stream framer against the whole corpus: every valid message (as serialized, so each has a
 * Content-Length, RFC 3261 §18.3), concatenated with CRLFCRLF pings (RFC 5626 §4.4.1) in between,
 * must come out the same whether the stream arrives in one chunk, one byte per push, or in random
 * segments.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KEEP_ALIVE_PING, parseMessage, serializeMessage, StreamFramer } from "../index.js";
import { fuzzSeed, listCorpusFiles, loadMessage, Rng } from "./corpus-support.js";

type Event = { kind: "message"; bytes: Buffer } | { kind: "ping" };

interface Run {
  events: Event[];
  pongs: number;
}

function feed(chunks: Iterable<Buffer>): Run {
  const events: Event[] = [];
  let pongs = 0;
  const framer = new StreamFramer({
    onMessage: (bytes) => events.push({ kind: "message", bytes: Buffer.from(bytes) }),
    onPing: () => events.push({ kind: "ping" }),
    onPong: () => pongs++,
  });
  for (const c of chunks) framer.push(c);
  assert.equal(framer.buffered, 0, "bytes left in the framer at the end of the stream");
  return { events, pongs };
}

function* bytewise(b: Buffer): Iterable<Buffer> {
  for (let i = 0; i < b.length; i++) yield b.subarray(i, i + 1);
}

function* segments(b: Buffer, r: Rng): Iterable<Buffer> {
  for (let i = 0; i < b.length; ) {
    const n = r.pick([1, 2, 3, 4, 5, 17, 100, 1460, 4096]);
    yield b.subarray(i, i + n);
    i += n;
  }
}

/** Summary for assertion messages: "M(123) P M(456) ...". */
function summary(events: Event[]): string {
  return events.map((e) => (e.kind === "ping" ? "P" : `M(${e.bytes.length})`)).join(" ");
}

function assertSameEvents(got: Event[], want: Event[], what: string): void {
  assert.equal(summary(got), summary(want), what);
  for (let k = 0; k < want.length; k++) {
    const g = got[k];
    const w = want[k];
    if (g?.kind === "message" && w?.kind === "message") assert.ok(g.bytes.equals(w.bytes), `${what}: message ${k} differs`);
  }
}

describe("stream framer over the corpus", () => {
  const valid = listCorpusFiles().filter((f) => !f.startsWith("torture-invalid/"));
  // The serialized form: Content-Length present and right, extra datagram bytes dropped.
  const messages = valid.map((f) => serializeMessage(parseMessage(loadMessage(f))));
  const r = new Rng(fuzzSeed(0x5eed_2024));
  const parts: Buffer[] = [];
  const expected: Event[] = [];
  for (const m of messages) {
    parts.push(m);
    expected.push({ kind: "message", bytes: m });
    for (let k = r.int(0, 2); k > 0; k--) {
      parts.push(KEEP_ALIVE_PING);
      expected.push({ kind: "ping" });
    }
  }
  const stream = Buffer.concat(parts);

  it(`one chunk: ${messages.length} messages and their pings, in order, byte-exact`, () => {
    const run = feed([stream]);
    assertSameEvents(run.events, expected, "one chunk");
    assert.equal(run.pongs, 0);
  });

  it("one byte per push gives the same messages and pings as one chunk", () => {
    const one = feed([stream]);
    const run = feed(bytewise(stream));
    assertSameEvents(run.events, one.events, "byte at a time");
  });

  it("random segment sizes give the same messages and pings as one chunk", () => {
    const one = feed([stream]);
    for (let round = 0; round < 5; round++) {
      const rr = new Rng(fuzzSeed(0x5eed_2024) + round);
      const run = feed(segments(stream, rr));
      assertSameEvents(run.events, one.events, `segments, seed ${rr.seed}`);
    }
  });

  it("two back-to-back pings split after the first CRLF are still two pings (RFC 5626 §4.4.1)", () => {
    // TCP may cut a stream anywhere; each CRLFCRLF must be answered with its own pong.
    const pings = Buffer.concat([KEEP_ALIVE_PING, KEEP_ALIVE_PING]);
    for (let cut = 1; cut < pings.length; cut++) {
      const run = feed([pings.subarray(0, cut), pings.subarray(cut)]);
      assert.equal(summary(run.events), "P P", `cut after ${cut} bytes (${run.pongs} pong(s) reported instead)`);
    }
  });

  it("every framed message parses to the corpus message", () => {
    const run = feed(bytewise(stream));
    const framed = run.events.filter((e): e is { kind: "message"; bytes: Buffer } => e.kind === "message");
    assert.equal(framed.length, messages.length);
    for (let k = 0; k < framed.length; k++) {
      const a = parseMessage((framed[k] as { bytes: Buffer }).bytes);
      assert.ok(a.bytes.equals(messages[k] as Buffer), valid[k]);
    }
  });
});

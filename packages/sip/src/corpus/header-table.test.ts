/*
 * The parser builds the header table with shortcuts (names read from the bytes, the ':' found
 * while reading the name, reused scratch arrays). These tests hold it to a plain reference
 * built line by line with string operations, over the corpus and over random header lines.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalHeaderName, H, parseMessage, SipError } from "../index.js";
import { HOT } from "../message/header-names.js";
import { fuzzSeed, listCorpusFiles, loadMessage, Rng, trySip } from "./corpus-support.js";

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Keys and offsets as RFC 3261 §7.3 reads them, for a message whose header section is `head[from, to)`. */
function referenceTable(head: string, from: number, to: number): { keys: string[]; offsets: number[] } {
  const keys: string[] = [];
  const offsets: number[] = [];
  // Physical lines, continuation lines joined to the one before.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let pos = from; pos < to; ) {
    let end = head.indexOf("\r\n", pos);
    if (end < 0 || end > to) end = to;
    if (starts.length > 0 && (head[pos] === " " || head[pos] === "\t")) ends[ends.length - 1] = end;
    else {
      starts.push(pos);
      ends.push(end);
    }
    pos = end + 2;
  }
  starts.forEach((start, k) => {
    const end = ends[k] as number;
    const line = head.slice(start, end);
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).replace(/[ \t]+$/, "");
    if (colon < 0 || !TOKEN.test(name)) {
      keys.push("");
      offsets.push(start, end, end, end);
      return;
    }
    let a = start + colon + 1;
    let b = end;
    while (a < b && " \t\r\n".includes(head[a] as string)) a++;
    while (b > a && " \t\r\n".includes(head[b - 1] as string)) b--;
    keys.push(canonicalHeaderName(name));
    offsets.push(start, a, b, end);
  });
  return { keys, offsets };
}

function check(bytes: Buffer, where: string): boolean {
  const m = trySip(() => parseMessage(bytes));
  if (m instanceof SipError) return false;
  const ref = referenceTable(m.head, m.headersStart, m.headersEnd);
  assert.deepEqual(m.headerTable.keys, ref.keys, `${where}: keys`);
  assert.deepEqual(m.headerTable.offsets, ref.offsets, `${where}: offsets`);
  // The hot lines: the first line of each of those headers, and which have more than one.
  const hot = m as unknown as { hotLines: number[]; hotRepeated: number };
  for (const [name, slot] of Object.entries(HOT)) {
    const key = H[name as keyof typeof HOT];
    assert.equal(hot.hotLines[slot], ref.keys.indexOf(key), `${where}: first ${key} line`);
    assert.equal((hot.hotRepeated & (1 << slot)) !== 0, ref.keys.filter((k) => k === key).length > 1, `${where}: more than one ${key} line`);
  }
  return true;
}

describe("header table", () => {
  it("matches the reference over the corpus", () => {
    let n = 0;
    for (const f of listCorpusFiles()) if (check(loadMessage(f), f)) n++;
    assert.ok(n > 50, `only ${n} messages checked`);
  });

  it("matches the reference over random header lines, and after messages with many lines", () => {
    const seed = fuzzSeed(0x7ab1e5);
    const r = new Rng(seed);
    const NAMES = ["Via", "v", "VIA", "Call-ID", "call-id", "i", "Max-Forwards", "X-Custom", "x-y.z", "Content-Length", "l", "Bad Name", "Bad\u00e9", "", "Subject", "WWW-Authenticate", "Route", "Record-Route", "CSeq", "f", "To", "m", "Contact"];
    for (let n = 0; n < 2000; n++) {
      const lines = ["OPTIONS sip:b@example.com SIP/2.0"];
      const count = r.bool(0.05) ? r.int(120, 400) : r.int(1, 12);
      for (let k = 0; k < count; k++) {
        const name = r.pick(NAMES);
        const ws = r.pick(["", "", " ", "\t", "  "]);
        const value = r.pick(["x", " a b ", "", "SIP/2.0/UDP h;branch=z9hG4bK1", "1 OPTIONS", "a:b"]);
        lines.push(r.bool(0.03) ? `${name}${ws}${value}` : `${name}${ws}:${r.pick(["", " ", "\t"])}${value}`);
        if (r.bool(0.05)) lines.push(`${r.pick([" ", "\t"])}continued`);
      }
      lines.push("Content-Length: 0");
      const bytes = Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1");
      check(bytes, `seed ${seed} case ${n}:\n${lines.join("\n")}`);
    }
  });
});

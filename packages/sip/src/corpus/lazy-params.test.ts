/*
 * Via and name-addr parameters are checked at parse time but built only when read; the branch
 * and the tag are picked out while checking, and display names decoded on first read. These
 * tests hold the picked-out values to what the built parameters say, over the corpus and over
 * random parameter lists, and check that building never throws once parsing has succeeded.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AnyMessage, type NameAddr, parseMessage, SipError, type Via } from "../index.js";
import { fuzzSeed, listCorpusFiles, loadMessage, Rng, trySip } from "./corpus-support.js";

/** The Via's branch as its full parameters give it: the last `branch` (the parser keeps the last). */
function branchFromParams(v: Via): string | undefined {
  let branch: string | undefined;
  for (const [name, value] of v.params) if (name === "branch") branch = value ?? undefined;
  return branch;
}

/** RFC 3261 §25.1 display names as the parser used to decode them eagerly. */
function referenceDisplayName(text: string): string | undefined {
  const t = text.trim();
  if (t.startsWith('"')) {
    const inner = t.slice(1, t.indexOf('"', 1) < 0 ? t.length : lastQuote(t)).replace(/\\(.)/gs, "$1");
    return Buffer.from(inner, "latin1").toString("utf8");
  }
  return t === "" ? undefined : t.replace(/\s+/g, " ");
}

function lastQuote(t: string): number {
  for (let i = 1; i < t.length; i++) {
    if (t[i] === "\\") i++;
    else if (t[i] === '"') return i;
  }
  return t.length;
}

type Lists = Record<"from" | "to" | "contact" | "route" | "recordRoute" | "path", () => NameAddr[]>;

function nameAddrLists(m: AnyMessage): Lists {
  return {
    from: () => [m.from],
    to: () => [m.to],
    contact: () => m.contact,
    route: () => m.route,
    recordRoute: () => m.recordRoute,
    path: () => m.path,
  };
}

/** Reads everything lazily first (fresh message), then builds the parameters and compares. */
function checkMessage(bytes: Buffer, where: string, displayNames?: Map<string, string[]>): number {
  let checked = 0;
  const m = trySip(() => parseMessage(bytes));
  if (m instanceof SipError) return 0;
  const vias = trySip(() => m.via);
  if (!(vias instanceof SipError)) {
    for (const v of vias) {
      const branch = v.branch;
      const params = trySip(() => [...v.params]);
      assert.ok(!(params instanceof SipError), `${where}: Via parsed but its parameters do not build: ${String(params)}`);
      assert.equal(branch, branchFromParams(v), `${where}: Via branch`);
      checked++;
    }
    const fresh = parseMessage(bytes);
    assert.equal(fresh.topVia?.branch, vias[0]?.branch, `${where}: topVia branch`);
  }
  for (const [name, list] of Object.entries(nameAddrLists(m))) {
    const values = trySip(list);
    if (values instanceof SipError) continue;
    const names = displayNames?.get(name);
    values.forEach((a, k) => {
      const tag = a.tag;
      const displayName = a.displayName;
      const params = trySip(() => [...a.params]);
      assert.ok(!(params instanceof SipError), `${where}: ${name} parsed but its parameters do not build: ${String(params)}`);
      assert.equal(tag, a.params.get("tag") ?? undefined, `${where}: ${name} tag`);
      assert.equal(a.tag, tag, `${where}: ${name} tag after building`);
      if (names !== undefined) assert.equal(displayName, referenceDisplayName(names[k] ?? ""), `${where}: ${name} display name`);
      checked++;
    });
  }
  return checked;
}

describe("lazy Via and name-addr parameters", () => {
  it("give the branch and tag the built parameters give, over the corpus", () => {
    let checked = 0;
    for (const f of listCorpusFiles()) checked += checkMessage(loadMessage(f), f);
    assert.ok(checked > 100, `only ${checked} values checked`);
  });

  it("give the branch, tag and display name the full parser gives, over random parameter lists", () => {
    const seed = fuzzSeed(0x5eed1a2e);
    const r = new Rng(seed);
    const NAMES = ["branch", "Branch", "BRANCH", "tag", "TAG", "tAg", "ttl", "rport", "RPort", "lr", "x", "tagx", "ta", "branc", "received", "+sip.instance"];
    const ws = (): string => r.pick(["", "", "", " ", "  ", "\t"]);
    const value = (): string =>
      r.pick([
        r.chars("abcXYZ0129.-_!%*+`'~", r.int(1, 10)),
        `"${r.chars("ab c,;=<>", r.int(0, 6))}"`,
        `"a\\"b\\\\"`,
        String(r.int(0, 70000)),
        "[2001:db8::1]",
        "",
      ]);
    const params = (): string => {
      let out = "";
      for (let n = r.int(0, 4); n > 0; n--) {
        out += `${ws()};${ws()}${r.pick(NAMES)}`;
        if (r.bool(0.75)) out += `${ws()}=${ws()}${value()}`;
      }
      return out + ws();
    };
    const DISPLAY = ['"Alice"', '"A \\"q\\" B"', '"caf\u00c3\u00a9"', "Bob", "Bob  Smith", "Bob\tSmith", "", '""', "Bad,Name"];
    let checked = 0;
    for (let n = 0; n < 3000; n++) {
      const from = r.pick(DISPLAY);
      const to = r.pick(DISPLAY);
      const contacts = [r.pick(DISPLAY), r.pick(DISPLAY)];
      const lines = [
        "OPTIONS sip:bob@example.com SIP/2.0",
        `Via: SIP/2.0/UDP h.example.com:5060${params()}, SIP/2.0/TCP [2001:db8::2]${params()}`,
        `From: ${from}${from === "" ? "" : " "}<sip:alice@example.com>${params()}`,
        `To: ${to} <sip:bob@example.com;lr>${params()}`,
        `Contact: ${contacts[0]} <sip:a@192.0.2.1>${params()},${ws()}${contacts[1]} <sip:b@h>${params()}`,
        `Route: <sip:p.example.net;lr>${params()}, sip:q.example.net${params()}`,
        "Call-ID: x@y",
        "CSeq: 1 OPTIONS",
        "Max-Forwards: 70",
        "Content-Length: 0",
      ];
      const names = new Map([
        ["from", [from]],
        ["to", [to]],
        ["contact", contacts],
      ]);
      checked += checkMessage(Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"), `seed ${seed} case ${n}:\n${lines.join("\n")}`, names);
    }
    assert.ok(checked > 3000, `only ${checked} values checked`);
  });
});

// Bad input through cluster mode (issue 4): 2 edges, 2 proxy workers, 2 registrars, 2 location
// replicas. Each malformed, looping or unauthorised request gets its RFC 3261 answer (or is
// dropped), nothing is relayed where it must not go, and the edge keeps serving afterwards. Also:
// a response a UAS sends to the wrong edge (a load balancer picking another pod) still reaches
// the caller, relayed to the edge that owns the transaction by its Via branch.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect as connectTcp } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import {
  buildAuthorization,
  createAck,
  createResponse,
  parseMessage,
  selectChallenge,
  type AnyMessage,
  type SipRequest,
  type SipResponse,
} from "@sipfleet/sip";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, sleep } from "./fixtures.js";

const HOST = "127.0.0.1";

/** A raw UDP SIP endpoint: every message it receives, parsed, kept until a test takes it. */
class RawUa {
  private readonly inbox: AnyMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private seq = 0;

  private constructor(private readonly sock: UdpSocket) {
    sock.on("message", (bytes) => {
      try {
        this.inbox.push(parseMessage(bytes));
      } catch {
        return; // not SIP: nothing a test waits for
      }
      for (const w of [...this.waiters]) w();
    });
  }

  static async open(): Promise<RawUa> {
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, HOST, () => r()));
    return new RawUa(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** A branch and tag unique to this UA. */
  id(prefix: string): string {
    return `${prefix}-${this.port}-${++this.seq}-${randomBytes(3).toString("hex")}`;
  }

  send(message: string | Buffer | AnyMessage, port: number): void {
    const bytes = typeof message === "string" || Buffer.isBuffer(message) ? message : message.bytes;
    this.sock.send(bytes, port, HOST);
  }

  /** Takes the first received message matching `match`, waiting up to `timeoutMs` for one. */
  take<T extends AnyMessage>(match: (m: AnyMessage) => m is T, timeoutMs: number, what: string): Promise<T>;
  take(match: (m: AnyMessage) => boolean, timeoutMs: number, what: string): Promise<AnyMessage>;
  take(match: (m: AnyMessage) => boolean, timeoutMs: number, what: string): Promise<AnyMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const i = this.inbox.findIndex(match);
        if (i < 0) return false;
        const [m] = this.inbox.splice(i, 1);
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(m as AnyMessage);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Whether a message matching `match` arrives within `ms`. */
  async receives(match: (m: AnyMessage) => boolean, ms: number): Promise<boolean> {
    try {
      await this.take(match, ms, "message");
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.sock.close();
  }
}

function isResponseTo(branch: string, final: boolean) {
  return (m: AnyMessage): m is SipResponse => !m.isRequest && m.topVia?.branch === branch && (!final || m.status >= 200);
}

interface RequestParts {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId: string;
  fromTag: string;
  maxForwards?: number;
  headers?: readonly string[];
}

function requestText(ua: RawUa, p: RequestParts, cseq: number, branch: string, extra: readonly string[] = []): string {
  return (
    [
      `${p.method} ${p.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${ua.port};branch=${branch};rport`,
      `Max-Forwards: ${p.maxForwards ?? 70}`,
      `From: <${p.from}>;tag=${p.fromTag}`,
      `To: <${p.to}>`,
      `Call-ID: ${p.callId}`,
      `CSeq: ${cseq} ${p.method}`,
      ...(p.method === "INVITE" ? [`Contact: <sip:caller@${HOST}:${ua.port}>`] : []),
      ...(p.headers ?? []),
      ...extra,
      `Content-Length: 0`,
      ``,
      ``,
    ].join("\r\n")
  );
}

/**
 * Sends a request to the edge at `port` and resolves with its final response; a 401/407 is
 * answered once with `credentials` (RFC 3261 §22.2/§22.3), the ACK for a non-2xx INVITE answer
 * sent as a UAC does (§17.1.1.3). `provisional` sees every 1xx, `onSend` every request sent.
 */
async function transact(
  ua: RawUa,
  port: number,
  p: RequestParts,
  credentials?: { username: string; password: string },
  provisional?: (r: SipResponse) => void,
  onSend?: (text: string) => void,
): Promise<SipResponse> {
  let cseq = 1;
  let auth: string[] = [];
  for (;;) {
    const branch = ua.id("z9hG4bK-bad");
    const text = requestText(ua, p, cseq, branch, auth);
    onSend?.(text);
    ua.send(text, port);
    let final: SipResponse;
    for (;;) {
      const r = await ua.take(isResponseTo(branch, false), 10_000, `response to ${p.method} ${p.uri}`);
      if (r.status >= 200) {
        final = r;
        break;
      }
      provisional?.(r);
    }
    if (p.method === "INVITE" && final.status >= 300) ua.send(createAck(parseMessage(Buffer.from(text)) as SipRequest, final), port);
    const challenged = final.status === 401 || final.status === 407;
    if (!challenged || credentials === undefined || auth.length > 0) return final;
    const header = final.status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
    const challenge = selectChallenge(final.headers(header), DIGEST_DOMAIN);
    assert.ok(challenge, `an answerable challenge in\n${final.bytes.toString()}`);
    const value = buildAuthorization({ challenge, ...credentials, method: p.method, uri: p.uri });
    auth = [`${final.status === 401 ? "Authorization" : "Proxy-Authorization"}: ${value}`];
    cseq++;
  }
}

const aor = (user: string, domain = DIGEST_DOMAIN): string => `sip:${user}@${domain}`;
const secret = (user: string): { username: string; password: string } => ({ username: user, password: `${user}-secret` });

function invite(ua: RawUa, from: string, to: string, extra: Partial<RequestParts> = {}): RequestParts {
  return { method: "INVITE", uri: to, from, to, callId: ua.id("bad-input-call"), fromTag: ua.id("t"), ...extra };
}

/** Registers `user` (digest) with `contact` through the edge at `port`; expires 0 removes every binding. */
async function register(ua: RawUa, port: number, user: string, contact: string, expires: number): Promise<void> {
  const r = await transact(
    ua,
    port,
    {
      method: "REGISTER",
      uri: `sip:${DIGEST_DOMAIN}`,
      from: aor(user),
      to: aor(user),
      callId: ua.id(`reg-${user}`),
      fromTag: ua.id("r"),
      headers: [`Contact: ${contact}`, `Expires: ${expires}`],
    },
    secret(user),
  );
  assert.equal(r.status, 200, r.bytes.toString());
}

/** An OPTIONS to the platform through the edge at `port`: the proof that the edge still serves. */
async function assertServes(port: number): Promise<void> {
  const ua = await RawUa.open();
  try {
    const r = await transact(ua, port, {
      method: "OPTIONS",
      uri: `sip:${DIGEST_DOMAIN}`,
      from: "sip:probe@sipfleet.local",
      to: `sip:${DIGEST_DOMAIN}`,
      callId: ua.id("probe"),
      fromTag: ua.id("p"),
    });
    assert.equal(r.status, 200, `OPTIONS after bad input:\n${r.bytes.toString()}`);
  } finally {
    ua.close();
  }
}

/** What the edge did with bytes written on a fresh TCP connection: a response's status, or close. */
function tcpOutcome(port: number, write: (s: import("node:net").Socket) => void, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    const s = connectTcp({ host: HOST, port }, () => write(s));
    const done = (what: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done(data === "" ? "silent" : `data:${data}`), ms);
    s.on("data", (c: Buffer) => {
      data += c.toString("latin1");
      const status = /^SIP\/2\.0 (\d{3}) /.exec(data)?.[1];
      if (status !== undefined && data.includes("\r\n\r\n")) done(status);
    });
    s.on("close", () => done(data === "" ? "closed" : `closed:${data.slice(0, 40)}`));
    s.on("error", (e) => (data === "" ? done("closed") : reject(e)));
  });
}

/** A SIP-over-WebSocket connection: sends one message, tells what came back within a time. */
interface WsProbe {
  readonly open: boolean;
  /** The status of the response, "closed", or "silent" when nothing came within `ms`. */
  answer(frame: string | Buffer, ms: number): Promise<string>;
  close(): void;
}

function openWebSocket(port: number): Promise<WsProbe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}/`, ["sip"]);
    let closed = false;
    let waiting: ((what: string) => void) | undefined;
    ws.on("message", (data: Buffer) => waiting?.(/^SIP\/2\.0 (\d{3}) /.exec(data.toString("latin1"))?.[1] ?? "data"));
    ws.once("close", () => {
      closed = true;
      waiting?.("closed");
    });
    ws.once("error", reject);
    ws.once("open", () =>
      resolve({
        get open() {
          return !closed;
        },
        answer: (frame, ms) =>
          new Promise((res) => {
            const timer = setTimeout(() => done("silent"), ms);
            const done = (what: string): void => {
              clearTimeout(timer);
              waiting = undefined;
              res(what);
            };
            if (closed) return done("closed");
            waiting = done;
            ws.send(frame);
          }),
        close: () => ws.terminate(),
      }),
    );
  });
}

describe("bad input through cluster mode", () => {
  let t: TestCluster;
  let edge1: number;
  let edge2: number;
  let ws1: number;

  before(async () => {
    t = await startTestCluster(
      { edges: 2, registrars: 2, proxies: 2, locations: 2 },
      {},
      { transports: ["ws"] },
    );
    edge1 = t.edgePorts[0] as number;
    edge2 = t.edgePorts[1] as number;
    ws1 = t.transportPorts.ws?.[0] as number;
  });
  after(async () => {
    await t?.stop();
  });

  const logs = (): string => `\n--- cluster:\n${t.logs.slice(-40).join("\n")}`;

  it("an INVITE that comes back to the platform it went through gets 482 Loop Detected", async () => {
    // A Contact pointing at the edge itself does not make a loop here: the platform sends to a
    // user over the flow the REGISTER came on (RFC 5626 §5.3), whatever the Contact says. So the
    // loop is made by the callee: a misconfigured forwarder that sends every INVITE it gets back
    // to the platform, Request-URI and credentials as the caller sent them (RFC 3261 §16.6: its
    // own Via on top, Max-Forwards decremented). The platform's Via below the top then carries
    // the loop hash of this very request (§16.3 step 4).
    const caller = await RawUa.open();
    const forwarder = await RawUa.open();
    try {
      await register(forwarder, edge1, "bob", `<sip:bob@${HOST}:${forwarder.port}>`, 60);
      let sent = "";
      const loop = (async () => {
        const inv = await forwarder.take((m): m is SipRequest => m.isRequest && m.method === "INVITE", 10_000, "INVITE at bob's forwarder");
        const credentials = /^Proxy-Authorization: .*$/m.exec(sent)?.[0];
        assert.ok(credentials, "the caller's INVITE carried credentials");
        const branch = forwarder.id("z9hG4bK-fwd");
        const text = inv.bytes
          .toString("latin1")
          .replace(/^INVITE \S+ SIP\/2\.0\r\n/, `INVITE ${aor("bob")} SIP/2.0\r\nVia: SIP/2.0/UDP ${HOST}:${forwarder.port};branch=${branch}\r\n`)
          .replace(/^Max-Forwards: (\d+)\r\n/m, (_, n: string) => `Max-Forwards: ${Number(n) - 1}\r\n${credentials}\r\n`);
        forwarder.send(text, edge1);
        const answer = await forwarder.take(isResponseTo(branch, true), 10_000, "answer to the looped INVITE");
        forwarder.send(createAck(parseMessage(Buffer.from(text, "latin1")) as SipRequest, answer), edge1);
        // The forwarder passes the platform's answer back up (§16.7), as a proxy would.
        forwarder.send(createResponse(inv, answer.status, { reason: answer.reason }), edge1);
        return answer;
      })();
      const r = await transact(caller, edge1, invite(caller, aor("alice"), aor("bob")), secret("alice"), undefined, (text) => (sent = text)).catch(
        (e: Error) => {
          throw new Error(`${e.message}${logs()}`);
        },
      );
      const looped = await loop;
      assert.equal(looped.status, 482, `the platform's answer to its own INVITE:\n${looped.bytes.toString()}`);
      assert.equal(r.status, 482, `the caller's answer:\n${r.bytes.toString()}`);
      await register(forwarder, edge1, "bob", "*", 0);
      await assertServes(edge1);
    } finally {
      caller.close();
      forwarder.close();
    }
  });

  it("Max-Forwards: 0 on an INVITE to a user gets 483 Too Many Hops", async () => {
    const ua = await RawUa.open();
    try {
      const r = await transact(ua, edge1, invite(ua, aor("alice"), aor("bob"), { maxForwards: 0 }), secret("alice"));
      assert.equal(r.status, 483, r.bytes.toString());
      await assertServes(edge1);
    } finally {
      ua.close();
    }
  });

  it("an authenticated call to an unknown user gets 404", async () => {
    const ua = await RawUa.open();
    try {
      const r = await transact(ua, edge1, invite(ua, aor("alice"), aor("dave")), secret("alice"));
      assert.equal(r.status, 404, r.bytes.toString());
      await assertServes(edge1);
    } finally {
      ua.close();
    }
  });

  it("wrong credentials get a final refusal (403), never a ringing or answered call", async () => {
    const ua = await RawUa.open();
    const callee = await RawUa.open();
    try {
      // bob is reachable: were the credentials accepted, his phone would ring.
      await register(callee, edge1, "bob", `<sip:bob@${HOST}:${callee.port}>`, 60);
      const seen: number[] = [];
      const r = await transact(ua, edge1, invite(ua, aor("alice"), aor("bob")), { username: "alice", password: "wrong" }, (p) => seen.push(p.status));
      // docs/architecture.md: a wrong password and an unknown user both get 403 after the same
      // work (a decoy HA1), so the answer tells nobody which users exist.
      assert.equal(r.status, 403, r.bytes.toString());
      assert.ok(seen.every((s) => s === 100), `provisional responses: ${seen.join(",")}`);
      assert.equal(await callee.receives((m) => m.isRequest && m.method === "INVITE", 500), false, "the INVITE reached bob");
      await register(callee, edge1, "bob", "*", 0);
      await assertServes(edge1);
    } finally {
      ua.close();
      callee.close();
    }
  });

  it("a From claiming alice with bob's credentials gets 403", async () => {
    const ua = await RawUa.open();
    try {
      const r = await transact(ua, edge1, invite(ua, aor("alice"), aor("carol")), secret("bob"));
      assert.equal(r.status, 403, r.bytes.toString());
      await assertServes(edge1);
    } finally {
      ua.close();
    }
  });

  it("a request for a domain not served gets 403, and a forged Route does not make the platform relay", async () => {
    const ua = await RawUa.open();
    const target = await RawUa.open();
    try {
      const foreign = "sip:x@example.org";
      const r = await transact(ua, edge1, invite(ua, aor("alice"), foreign), secret("alice"));
      assert.equal(r.status, 403, r.bytes.toString());
      // The same with a Route pointing at a socket of ours: still refused, and nothing arrives there.
      const routed = await transact(
        ua,
        edge1,
        invite(ua, aor("alice"), foreign, { headers: [`Route: <sip:${HOST}:${target.port};lr>`] }),
        secret("alice"),
      );
      assert.equal(routed.status, 403, `a routed INVITE to a foreign domain:\n${routed.bytes.toString()}`);
      assert.equal(await target.receives(() => true, 1_000), false, "the INVITE was relayed to the Route's address");
      await assertServes(edge1);
    } finally {
      ua.close();
      target.close();
    }
  });

  it("garbage on TCP gets 400, a wait or a closed connection as its framing allows, and the edge keeps serving", async (ctx) => {
    // Random bytes without CR or LF: no end of a header to find, so nothing to answer yet; the edge
    // waits for the rest (until edge.partialMessageTimeoutMs, 10 s, well past this 2 s window).
    const noLineEnds = (n: number): Buffer => Buffer.from(randomBytes(n).map((b) => (b === 13 || b === 10 ? 65 : b)));
    const random = await tcpOutcome(edge1, (s) => s.write(noLineEnds(4096)), 2_000);
    assert.equal(random, "silent", `random bytes: ${random}`);
    // Beyond any header size: the edge must give up on the connection.
    const flood = await tcpOutcome(edge1, (s) => s.write(noLineEnds(200_000)), 5_000);
    assert.match(flood, /^(400|closed)/, `an endless header: ${flood}`);
    // Half a message, then the client ends its side: the edge closes too, answering nothing.
    const half = await tcpOutcome(edge1, (s) => s.end(`INVITE sip:bob@${DIGEST_DOMAIN} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;bra`), 2_000);
    assert.equal(half, "closed", `half a message: ${half}`);
    // A complete message (framed by its Content-Length) with a header line without a colon: the
    // Via parses, so it is answered 400 (RFC 3261 §21.4.1) on the connection.
    const colonless = await tcpOutcome(
      edge1,
      (s) =>
        s.write(
          [
            `OPTIONS sip:${DIGEST_DOMAIN} SIP/2.0`,
            `Via: SIP/2.0/TCP ${HOST}:9;branch=z9hG4bK-colonless`,
            `Max-Forwards: 70`,
            `From: <sip:probe@${DIGEST_DOMAIN}>;tag=c`,
            `To: <sip:${DIGEST_DOMAIN}>`,
            `Call-ID: colonless@e2e`,
            `CSeq: 1 OPTIONS`,
            `This header has no colon`,
            `Content-Length: 0`,
            ``,
            ``,
          ].join("\r\n"),
        ),
      3_000,
    );
    assert.equal(colonless, "400", `a header without a colon: ${colonless}`);
    ctx.diagnostic(`TCP: random bytes ${random}, endless header ${flood}, half message ${half}, header without colon ${colonless}`);
    await assertServes(edge1);
  });

  it("garbage on WebSocket is dropped or gets 400, and the connection and the edge keep serving", async (ctx) => {
    const conn = await openWebSocket(ws1);
    try {
      // RFC 7118 §5.1: one WebSocket message is one SIP message. One that does not parse has no
      // Via to answer to: a logged drop, as for a datagram (RFC 3261 §18.3); one whose Via parses
      // gets 400. Either way the connection stays: it may carry the UA's other dialogs.
      const garbage: readonly { frame: string | Buffer; expect: "400" | "silent" }[] = [
        { frame: randomBytes(2048), expect: "silent" },
        { frame: "hello\r\n\r\n", expect: "silent" },
        {
          frame: `OPTIONS sip:${DIGEST_DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WS k3j9x2.invalid;branch=z9hG4bK-wsbad\r\nno colon here\r\nCall-ID: ws@e2e\r\nCSeq: 1 OPTIONS\r\n\r\n`,
          expect: "400",
        },
      ];
      for (const { frame, expect } of garbage) {
        const outcome = await conn.answer(frame, 1_000);
        const what = JSON.stringify(frame.slice(0, 40).toString("latin1"));
        ctx.diagnostic(`WebSocket ${what}: ${outcome}`);
        assert.equal(outcome, expect, `${what}: ${outcome}`);
        assert.ok(conn.open, `the WebSocket connection closed after ${what}`);
      }
      const options = await conn.answer(
        [
          `OPTIONS sip:${DIGEST_DOMAIN} SIP/2.0`,
          `Via: SIP/2.0/WS k3j9x2.invalid;branch=z9hG4bK-wsgood`,
          `Max-Forwards: 70`,
          `From: <sip:probe@${DIGEST_DOMAIN}>;tag=w`,
          `To: <sip:${DIGEST_DOMAIN}>`,
          `Call-ID: ws-good@e2e`,
          `CSeq: 1 OPTIONS`,
          ``,
          ``,
        ].join("\r\n"),
        5_000,
      );
      assert.equal(options, "200", "OPTIONS on the same WebSocket after the garbage");
    } finally {
      conn.close();
    }
    await assertServes(edge1);
  });

  it("a callee's responses sent to the other edge still reach the caller", async () => {
    const callee = await RawUa.open();
    const caller = await RawUa.open();
    try {
      // bob registers through edge 2: his INVITE comes from edge 2, his answers go to edge 1.
      await register(callee, edge2, "bob", `<sip:bob@${HOST}:${callee.port}>`, 60);
      const uas = (async () => {
        const inv = (await callee.take((m): m is SipRequest => m.isRequest && m.method === "INVITE", 10_000, "INVITE at bob")) as SipRequest;
        const toTag = callee.id("bob");
        callee.send(createResponse(inv, 180, { toTag }), edge1);
        await sleep(50);
        callee.send(createResponse(inv, 200, { toTag, headers: [["Contact", `<sip:bob@${HOST}:${callee.port}>`]] }), edge1);
        return inv;
      })();
      const provisional: number[] = [];
      const r = await transact(caller, edge1, invite(caller, aor("alice"), aor("bob")), secret("alice"), (p) => provisional.push(p.status));
      const inv = await uas;
      assert.equal(r.status, 200, `${r.bytes.toString()}${logs()}`);
      assert.ok(provisional.includes(180), `the 180 did not reach the caller: ${provisional.join(",")}${logs()}`);
      // The INVITE really came over edge 2 (its Via on top), so edge 1 relayed the answers.
      assert.equal(inv.topVia?.port, edge2, inv.topViaText);
      await register(callee, edge2, "bob", "*", 0);
      await assertServes(edge1);
    } finally {
      callee.close();
      caller.close();
    }
  });
});

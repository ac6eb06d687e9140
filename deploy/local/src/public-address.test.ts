import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { parseConfig } from "@sipfleet/config";
import { createLogger } from "@sipfleet/runtime";
import { createResponse, parseMessage, type SipRequest, type SipResponse } from "@sipfleet/sip";
import { startEmbedded, type EmbeddedPlatform } from "./embedded.js";

/*
 * edge.publicAddress end to end (edge, real proxy and registrar, in one process): a pod bound to
 * its own address advertises the load balancer's. What the callee receives names only the public
 * address (Via sent-by, both Record-Route values); the caller's in-dialog request, whose Route
 * names the public address (it arrives through the load balancer at the bound socket), is still
 * the platform's own and reaches the callee.
 */

const PUBLIC = "203.0.113.7";

class Ua {
  private readonly queue: Buffer[] = [];
  private waiting: ((b: Buffer) => void) | undefined;
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on("message", (b) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w !== undefined) w(b);
      else this.queue.push(b);
    });
  }
  static async open(): Promise<Ua> {
    const s = createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    return new Ua(s, s.address().port);
  }
  send(text: string | Buffer, port: number): void {
    this.socket.send(typeof text === "string" ? Buffer.from(text, "latin1") : text, port, "127.0.0.1");
  }
  private nextRaw(): Promise<Buffer> {
    const b = this.queue.shift();
    if (b !== undefined) return Promise.resolve(b);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`UA ${this.port}: nothing received`)), 5000);
      this.waiting = (x) => {
        clearTimeout(t);
        resolve(x);
      };
    });
  }
  async request(method: string): Promise<SipRequest> {
    for (;;) {
      const m = parseMessage(await this.nextRaw());
      if (m.isRequest && m.method === method) return m as SipRequest;
    }
  }
  async response(status: number): Promise<SipResponse> {
    for (;;) {
      const m = parseMessage(await this.nextRaw());
      if (!m.isRequest && (m as SipResponse).status === status) return m as SipResponse;
    }
  }
  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function req(lines: string[]): string {
  return [...lines, "Max-Forwards: 70", "Content-Length: 0", "", ""].join("\r\n");
}

describe("edge.publicAddress through the embedded platform", () => {
  let platform: EmbeddedPlatform;
  let edgePort: number;
  let alice: Ua;
  let bob: Ua;

  before(async () => {
    edgePort = await freeUdpPort();
    const config = parseConfig(
      ["domains:", "  - name: example.test", "    authentication: none", "edge:", `  publicAddress: "${PUBLIC}"`, ""].join("\n"),
      "test.yaml",
      { SIPFLEET_LISTEN: `udp:127.0.0.1:${edgePort}` },
    );
    platform = await startEmbedded(config, createLogger("test", { level: "silent" }));
    [alice, bob] = await Promise.all([Ua.open(), Ua.open()]);
  });

  after(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await platform?.stop();
  });

  it("the callee sees the public address in Via and Record-Route, and the caller's BYE routed by it reaches the callee", async () => {
    bob.send(
      req([
        "REGISTER sip:example.test SIP/2.0",
        `Via: SIP/2.0/UDP 127.0.0.1:${bob.port};branch=z9hG4bK-pub-reg;rport`,
        "From: <sip:bob@example.test>;tag=b-reg",
        "To: <sip:bob@example.test>",
        "Call-ID: pub-reg-1",
        "CSeq: 1 REGISTER",
        `Contact: <sip:bob@127.0.0.1:${bob.port}>`,
        "Expires: 300",
      ]),
      edgePort,
    );
    await bob.response(200);

    alice.send(
      req([
        "INVITE sip:bob@example.test SIP/2.0",
        `Via: SIP/2.0/UDP 127.0.0.1:${alice.port};branch=z9hG4bK-pub-inv;rport`,
        "From: <sip:alice@example.test>;tag=a-1",
        "To: <sip:bob@example.test>",
        "Call-ID: pub-call-1",
        "CSeq: 1 INVITE",
        `Contact: <sip:alice@127.0.0.1:${alice.port}>`,
      ]),
      edgePort,
    );
    const invite = await bob.request("INVITE");
    const top = invite.topVia;
    assert.equal(top?.host, PUBLIC, "Via sent-by: the public address");
    assert.equal(top?.port, edgePort, "with the listener's port (none configured)");
    const rr = invite.recordRoute.map((r) => r.toString());
    assert.equal(rr.length, 2);
    for (const v of rr) assert.match(v, new RegExp(`^<sip:${PUBLIC.replace(/\./g, "\\.")}:${edgePort};lr;ft=`), v);
    assert.ok(!invite.toString().includes(`127.0.0.1:${edgePort}`), "the bound address appears nowhere in what the callee got");

    const ok = createResponse(invite, 200, { toTag: "b-1", headers: [["Contact", `<sip:bob@127.0.0.1:${bob.port}>`], ...rr.map((v): [string, string] => ["Record-Route", v])] });
    bob.send(ok.bytes, edgePort);
    const answered = await alice.response(200);
    // RFC 3261 §12.1.2: the caller's route set is the Record-Route of the 2xx, reversed.
    const routeSet = answered.recordRoute.map((r) => r.toString()).reverse();
    assert.equal(routeSet.length, 2);

    // Through the load balancer: sent to the bound socket, Route naming the public address.
    alice.send(
      req([
        `BYE sip:bob@127.0.0.1:${bob.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${alice.port};branch=z9hG4bK-pub-bye;rport`,
        "From: <sip:alice@example.test>;tag=a-1",
        "To: <sip:bob@example.test>;tag=b-1",
        "Call-ID: pub-call-1",
        "CSeq: 2 BYE",
        ...routeSet.map((r) => `Route: ${r}`),
      ]),
      edgePort,
    );
    const bye = await bob.request("BYE");
    assert.equal(bye.route.length, 0, "both platform Route values removed");
    assert.equal(bye.topVia?.host, PUBLIC);
    bob.send(createResponse(bye, 200).bytes, edgePort);
    await alice.response(200);
  });
});

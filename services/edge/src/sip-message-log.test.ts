import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SipMessageLogConfig } from "@sipfleet/config";
import { REDACTED } from "@sipfleet/sip";
import { request, startTestEdge, stubRegistrar, TcpPeer, UdpPeer, type TestEdge } from "./harness.js";
import { SIP_MESSAGE_LOG_LINE } from "./sip-message-log.js";

const SECRET_RESPONSE = "6629fae49393a05397450978507c4ef1";
const AUTHORIZATION =
  `Authorization: Digest username="alice", realm="example.com", nonce="n0nce", uri="sip:example.com", ` +
  `response="${SECRET_RESPONSE}", algorithm=MD5, cnonce="c1", qop=auth, nc=00000001`;

/** A REGISTER of `aor` (From and To), with credentials. */
function register(aor: string, callId: string): string {
  return request({ viaParams: ";rport", callId, extra: [AUTHORIZATION] }).replaceAll("alice@example.com", aor);
}

async function edgeLogging(sipMessageLog: SipMessageLogConfig | undefined): Promise<TestEdge> {
  const t = await startTestEdge(sipMessageLog === undefined ? {} : { sipMessageLog });
  stubRegistrar(t.workerBus, () => ({ status: 200, reason: "OK", toTag: "reg-tag" }));
  return t;
}

function messageLines(t: TestEdge): Record<string, unknown>[] {
  return t.logger.lines.filter((l) => l.msg === SIP_MESSAGE_LOG_LINE).map((l) => l.obj as Record<string, unknown>);
}

describe("SIP message log: on for one user", () => {
  let t: TestEdge;
  let udp: UdpPeer;

  before(async () => {
    t = await edgeLogging({ domains: [], users: ["alice@example.com"] });
    udp = await UdpPeer.open();
  });
  after(async () => {
    await udp.close();
    await t.stop();
  });

  it("logs the user's REGISTER in and its response out, over UDP and TCP, without the digest response", async () => {
    udp.send(register("alice@example.com", "alice-udp@test"), t.address("udp"));
    assert.equal((await udp.response()).status, 200);
    const tcp = await TcpPeer.connect(t.address("tcp"));
    try {
      await tcp.write(register("alice@example.com", "alice-tcp@test").replace("SIP/2.0/UDP", "SIP/2.0/TCP"));
      assert.equal((await tcp.response()).status, 200);
    } finally {
      tcp.close();
    }

    const lines = messageLines(t);
    const udpAddr = t.address("udp");
    const byCall = (callId: string, direction: string) => lines.filter((l) => l["sip.call_id"] === callId && l["direction"] === direction);
    const [udpIn, udpOut] = [byCall("alice-udp@test", "in"), byCall("alice-udp@test", "out")];
    assert.equal(udpIn.length, 1, "one line in");
    assert.equal(udpOut.length, 1, "one line out");
    assert.deepEqual({ ...udpIn[0], "sip.message": undefined }, {
      direction: "in",
      "sip.transport": "UDP",
      peer: `127.0.0.1:${udp.port}`,
      "sip.method": "REGISTER",
      "sip.call_id": "alice-udp@test",
      "sip.message": undefined,
    });
    assert.equal(udpOut[0]?.["sip.status_code"], 200);
    assert.equal(udpOut[0]?.["peer"], `127.0.0.1:${udp.port}`);
    assert.notEqual(udpAddr.port, udp.port);
    assert.ok(t.logger.has("warn", /^SIP message logging on/), "the edge says it logs messages");
    assert.equal(byCall("alice-tcp@test", "in")[0]?.["sip.transport"], "TCP");
    assert.equal(byCall("alice-tcp@test", "out")[0]?.["sip.status_code"], 200);

    const text = String(udpIn[0]?.["sip.message"]);
    assert.match(text, /^REGISTER sip:example\.com SIP\/2\.0\r\n/);
    assert.ok(text.includes(`username="alice", realm="example.com", nonce="n0nce", uri="sip:example.com", response="${REDACTED}"`), text);
    for (const line of t.logger.lines) {
      assert.ok(!JSON.stringify(line.obj).includes(SECRET_RESPONSE), `the digest response is in a log line: ${line.msg}`);
    }
  });

  it("does not log another user's messages", async () => {
    udp.send(register("bob@example.com", "bob@test"), t.address("udp"));
    assert.equal((await udp.response()).status, 200);
    // The edge logs before it answers: once bob has his answer, a line for him would be there.
    assert.deepEqual(messageLines(t).filter((l) => l["sip.call_id"] === "bob@test"), []);
  });
});

describe("SIP message log: on for a domain", () => {
  it("logs any user of that domain, and a request whose Request-URI is in it", async () => {
    const t = await edgeLogging({ domains: ["example.org"], users: [] });
    const udp = await UdpPeer.open();
    try {
      udp.send(register("carol@example.org", "carol@test"), t.address("udp"));
      assert.equal((await udp.response()).status, 200);
      udp.send(register("dave@example.com", "dave@test"), t.address("udp"));
      assert.equal((await udp.response()).status, 200);
      // Only the request's Request-URI names the domain: its response (no Request-URI) is not matched.
      udp.send(register("dave@example.com", "dave-ruri@test").replace("REGISTER sip:example.com", "REGISTER sip:EXAMPLE.org"), t.address("udp"));
      await udp.response();
      const calls = messageLines(t).map((l) => `${String(l["sip.call_id"])} ${String(l["direction"])}`);
      assert.deepEqual(calls, ["carol@test in", "carol@test out", "dave-ruri@test in"]);
    } finally {
      await udp.close();
      await t.stop();
    }
  });
});

describe("SIP message log: off", () => {
  for (const [what, config] of [["absent", undefined], ["empty", { domains: [], users: [] }]] as const) {
    it(`logs nothing when the configuration is ${what}`, async () => {
      const t = await edgeLogging(config);
      const udp = await UdpPeer.open();
      try {
        udp.send(register("alice@example.com", `off-${what}@test`), t.address("udp"));
        assert.equal((await udp.response()).status, 200);
        assert.deepEqual(messageLines(t), []);
        assert.ok(!t.logger.has("warn", /^SIP message logging on/));
        assert.ok(t.logger.lines.every((l) => !JSON.stringify(l.obj).includes(SECRET_RESPONSE)));
      } finally {
        await udp.close();
        await t.stop();
      }
    });
  }
});

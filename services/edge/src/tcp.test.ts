import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, request, sleep, startTestEdge, stubRegistrar, TcpPeer, type TestEdge } from "./harness.js";

describe("TCP framing and connection handling", () => {
  let t: TestEdge;

  before(async () => {
    t = await startTestEdge({ tcpIdleTimeoutMs: 400, maxTcpConnections: 4 });
    stubRegistrar(t.workerBus, (env) => ({ status: 200, headers: [{ name: "X-Call", value: /Call-ID: ([^\r]+)/.exec(env.message.toString("latin1"))?.[1] ?? "" }] }));
  });

  after(async () => {
    await t.stop();
  });

  it("two messages in one segment: both framed and answered", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write(request({ transport: "TCP", callId: "one" }) + request({ transport: "TCP", callId: "two" }));
      const a = await peer.response();
      const b = await peer.response();
      // Sorted: each answer waits for its own worker's decision, so the edge does not promise
      // the order of answers to independent requests on one connection (RFC 3261 does not either).
      assert.deepEqual([a.callId, b.callId].sort(), ["one", "two"]);
    } finally {
      peer.close();
    }
  });

  it("one message split across many segments, with a body: answered once, bytes intact", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    const asked: Buffer[] = [];
    const sub = t.workerBus.subscribe("sipfleet.registrar.v1.register", (m) => asked.push(Buffer.from(m.data)));
    try {
      const text = request({ transport: "TCP", callId: "split", body: "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\n", extra: ["Content-Type: application/sdp"] });
      for (let i = 0; i < text.length; i += 7) {
        await peer.write(text.slice(i, i + 7));
        if (i % 70 === 0) await sleep(1);
      }
      const res = await peer.response();
      assert.equal(res.status, 200);
      assert.equal(res.header("X-Call"), "split");
      await sleep(30);
      assert.equal(peer.messages.length, 0, "answered once");
    } finally {
      sub.unsubscribe();
      peer.close();
    }
  });

  it("RFC 5626 keep-alive: a CRLFCRLF ping gets a CRLF pong, even between and inside messages", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write("\r\n\r\n");
      await eventually(() => peer.pongs === 1, 2000, "a pong");
      await peer.write("\r\n");
      await sleep(5);
      await peer.write("\r\n" + request({ transport: "TCP", callId: "after-ping" }));
      await eventually(() => peer.pongs === 2, 2000, "a pong for the split ping");
      assert.equal((await peer.response()).callId, "after-ping");
    } finally {
      peer.close();
    }
  });

  it("a message over maxMessageSize: the connection is closed, the edge keeps serving", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write(request({ transport: "TCP", body: "x".repeat(5000) }));
      await eventually(() => peer.closed, 2000, "the connection to close");
      assert.ok(t.logger.has("warn", /framing lost/));
    } finally {
      peer.close();
    }
    const fresh = await TcpPeer.connect(t.address("tcp"));
    try {
      await fresh.write(request({ transport: "TCP" }));
      assert.equal((await fresh.response()).status, 200);
    } finally {
      fresh.close();
    }
  });

  it("a message without Content-Length: framing is lost (RFC 3261 §18.3), the connection closed", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write(request({ transport: "TCP" }).replace(/Content-Length: 0\r\n/, ""));
      await eventually(() => peer.closed, 2000, "the connection to close");
      assert.equal(peer.messages.length, 0);
    } finally {
      peer.close();
    }
  });

  it("an idle connection is closed after the idle timeout; a busy one is not", async () => {
    const idle = await TcpPeer.connect(t.address("tcp"));
    const busy = await TcpPeer.connect(t.address("tcp"));
    try {
      for (let i = 0; i < 9; i++) {
        await sleep(100);
        await busy.write("\r\n\r\n");
      }
      assert.equal(idle.closed, true, "idle for 900 ms > 400 ms");
      assert.equal(busy.closed, false, "a ping every 100 ms keeps it");
    } finally {
      idle.close();
      busy.close();
    }
  });

  it("connections beyond maxTcpConnections are refused; room comes back when one closes", async () => {
    await eventually(() => t.edge.stats.tcpConnections === 0, 2000, "earlier connections to be gone");
    const peers = await Promise.all([1, 2, 3, 4].map(() => TcpPeer.connect(t.address("tcp"))));
    try {
      await eventually(() => t.edge.stats.tcpConnections === 4, 2000, "four connections");
      const fifth = await TcpPeer.connect(t.address("tcp"));
      await eventually(() => fifth.closed, 2000, "the fifth to be refused");
      (peers.pop() as TcpPeer).close();
      await eventually(() => t.edge.stats.tcpConnections === 3, 2000, "one to go");
      const again = await TcpPeer.connect(t.address("tcp"));
      await again.write(request({ transport: "TCP" }));
      assert.equal((await again.response()).status, 200);
      again.close();
    } finally {
      for (const p of peers) p.close();
    }
  });
});

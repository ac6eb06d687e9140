import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, request, sleep, startTestEdge, stubRegistrar, TcpPeer, UdpPeer, WsPeer, type TestEdge } from "./harness.js";
import { sourceKey } from "./source-limit.js";

/** `request()` writes 8 header lines; `extra` adds the rest. */
function withHeaderLines(n: number, spec: Parameters<typeof request>[0] = {}): string {
  return request({ ...spec, extra: Array.from({ length: n - 8 }, (_, i) => `X-Filler-${i}: ${i}`) });
}

describe("edge limits: header lines (edge.maxHeaderLines)", () => {
  let t: TestEdge;

  before(async () => {
    t = await startTestEdge({ config: { maxHeaderLines: 100 } });
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
  });

  after(async () => {
    await t.stop();
  });

  it("TCP: 101 header lines get 400 naming the limit; the connection and the edge keep serving", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      await peer.write(withHeaderLines(101, { transport: "TCP", callId: "too-many" }));
      const res = await peer.response();
      assert.equal(res.status, 400);
      assert.match(res.reason, /more than 100 header lines/);
      assert.equal(res.callId, "too-many");
      await peer.write(withHeaderLines(100, { transport: "TCP", callId: "just-enough" }));
      const ok = await peer.response();
      assert.equal(ok.status, 200);
      assert.equal(ok.callId, "just-enough");
      assert.equal(peer.closed, false);
    } finally {
      peer.close();
    }
  });

  it("UDP: 101 header lines get 400 too", async () => {
    const udp = await UdpPeer.open();
    try {
      udp.send(withHeaderLines(101, { viaParams: ";rport" }), t.address("udp"));
      const res = await udp.response();
      assert.equal(res.status, 400);
      assert.match(res.reason, /more than 100 header lines/);
    } finally {
      await udp.close();
    }
  });

  it("a response with 101 header lines is dropped with the reason logged", async () => {
    const udp = await UdpPeer.open();
    try {
      const dropped = t.edge.stats.dropped;
      const lines = [
        "SIP/2.0 200 OK",
        "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-none",
        "From: <sip:a@example.com>;tag=1",
        "To: <sip:b@example.com>;tag=2",
        "Call-ID: response-lines",
        "CSeq: 1 OPTIONS",
        ...Array.from({ length: 95 }, (_, i) => `X-Filler-${i}: ${i}`),
        "Content-Length: 0",
      ];
      udp.send(lines.join("\r\n") + "\r\n\r\n", t.address("udp"));
      await eventually(() => t.edge.stats.dropped === dropped + 1, 2000, "the response to be dropped");
      assert.ok(t.logger.lines.some((l) => /more than 100 header lines/.test(JSON.stringify(l))), "the reason is logged");
    } finally {
      await udp.close();
    }
  });
});

describe("edge limits: connections per source (edge.maxConnectionsPerSource)", () => {
  let t: TestEdge;

  before(async () => {
    t = await startTestEdge({
      config: {
        maxConnectionsPerSource: 32,
        listen: [
          { transport: "udp", host: "127.0.0.1", port: 0 },
          { transport: "tcp", host: "127.0.0.1", port: 0 },
          { transport: "ws", host: "127.0.0.1", port: 0 },
        ],
      },
    });
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
  });

  after(async () => {
    await t.stop();
  });

  it("the 33rd connection from 127.0.0.1 is closed, the 32 stay open, 127.0.0.2 is still accepted", async () => {
    const peers: TcpPeer[] = [];
    try {
      for (let i = 0; i < 32; i++) peers.push(await TcpPeer.connect(t.address("tcp"), "127.0.0.1"));
      await eventually(() => t.edge.stats.tcpConnections === 32, 5000, "32 connections");
      const thirtyThird = await TcpPeer.connect(t.address("tcp"), "127.0.0.1");
      peers.push(thirtyThird);
      await eventually(() => thirtyThird.closed, 5000, "the 33rd to be closed");
      assert.equal(t.edge.stats.connectionsRefusedPerSource, 1);
      assert.ok(t.logger.lines.some((l) => /maxConnectionsPerSource/.test(JSON.stringify(l))), "the refusal is logged");
      // Every one of the 32 still answers.
      for (const [i, p] of peers.slice(0, 32).entries()) {
        assert.equal(p.closed, false, `connection ${i}`);
        await p.write(request({ transport: "TCP", callId: `kept-${i}` }));
        assert.equal((await p.response()).status, 200);
      }
      const other = await TcpPeer.connect(t.address("tcp"), "127.0.0.2");
      peers.push(other);
      await other.write(request({ transport: "TCP", callId: "other-source" }));
      assert.equal((await other.response()).status, 200);
      assert.equal(t.edge.stats.connectionsRefusedPerSource, 1);
    } finally {
      for (const p of peers) p.close();
    }
    await eventually(() => t.edge.stats.tcpConnections === 0, 5000, "the connections to be gone");
  });

  it("counts WebSocket connections with TCP ones, and a closed one makes room", async () => {
    const peers: TcpPeer[] = [];
    const refusedBefore = t.edge.stats.connectionsRefusedPerSource;
    try {
      for (let i = 0; i < 31; i++) peers.push(await TcpPeer.connect(t.address("tcp"), "127.0.0.3"));
      const ws = await WsPeer.connect(WsPeer.url(t.address("ws")), ["sip"], { localAddress: "127.0.0.3" });
      await eventually(() => t.edge.stats.tcpConnections === 32, 5000, "32 connections");
      const capRefusedBefore = t.edge.stats.connectionsRefused;
      await assert.rejects(WsPeer.connect(WsPeer.url(t.address("ws")), ["sip"], { localAddress: "127.0.0.3" }), (e: NodeJS.ErrnoException) => {
        // Closed at accept: no HTTP answer at all (a 503 would be the edge-wide cap).
        assert.ok(e.code === "ECONNRESET" || e.code === "EPIPE", `closed without an answer, not ${e.message}`);
        return true;
      });
      assert.equal(t.edge.stats.connectionsRefusedPerSource, refusedBefore + 1);
      assert.equal(t.edge.stats.connectionsRefused, capRefusedBefore, "refused for its source, not the edge-wide cap");
      ws.close();
      await eventually(() => t.edge.stats.tcpConnections === 31, 5000, "the WebSocket to be gone");
      const again = await TcpPeer.connect(t.address("tcp"), "127.0.0.3");
      peers.push(again);
      await again.write(request({ transport: "TCP", callId: "room-again" }));
      assert.equal((await again.response()).status, 200);
    } finally {
      for (const p of peers) p.close();
    }
  });

  it("a source is an IPv4 address or an IPv6 /64", () => {
    assert.equal(sourceKey("192.0.2.1"), "192.0.2.1");
    assert.equal(sourceKey("::ffff:192.0.2.1"), "192.0.2.1");
    assert.equal(sourceKey("2001:db8:0:1::1"), "2001:db8:0:1::/64");
    assert.equal(sourceKey("2001:DB8:0000:0001:ffff:1:2:3"), "2001:db8:0:1::/64");
    assert.equal(sourceKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.notEqual(sourceKey("2001:db8:0:2::1"), sourceKey("2001:db8:0:1::1"));
    assert.equal(sourceKey("::1"), "0:0:0:0::/64");
    assert.equal(sourceKey("fe80::1%eth0"), "fe80:0:0:0::/64");
    assert.equal(sourceKey("64:ff9b::192.0.2.1"), "64:ff9b:0:0::/64");
  });
});

describe("edge limits: half-sent messages (edge.partialMessageTimeoutMs)", () => {
  let t: TestEdge;

  before(async () => {
    // The idle timeout stays at its default (over an hour): only the partial-message deadline can close these.
    t = await startTestEdge({ config: { partialMessageTimeoutMs: 300 } });
    stubRegistrar(t.workerBus, () => ({ status: 200 }));
  });

  after(async () => {
    await t.stop();
  });

  it("a message sent a byte at a time is cut off, though bytes keep arriving", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    const text = request({ transport: "TCP", callId: "slowloris" });
    try {
      for (let i = 0; i < text.length - 1 && !peer.closed; i++) {
        await peer.write(text[i] as string).catch(() => undefined);
        await sleep(100);
      }
      assert.equal(peer.closed, true, `closed before the message's ${text.length} bytes were all sent`);
      assert.equal(peer.messages.length, 0, "nothing was answered");
    } finally {
      peer.close();
    }
  });

  it("pipelined messages, each chunk ending one and starting the next, keep the connection open", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    const rounds = 8;
    const texts = Array.from({ length: rounds + 1 }, (_, i) => request({ transport: "TCP", callId: `pipelined-${i}` }));
    const half = (text: string): number => Math.floor(text.length / 2);
    try {
      await peer.write((texts[0] as string).slice(0, half(texts[0] as string)));
      // Some part of a message is always held, for four times the 300 ms deadline in all; but
      // each message is whole within a chunk of its first byte.
      for (let i = 0; i < rounds; i++) {
        await sleep(150);
        const done = texts[i] as string;
        const next = texts[i + 1] as string;
        await peer.write(done.slice(half(done)) + next.slice(0, half(next)));
      }
      const last = texts[rounds] as string;
      await peer.write(last.slice(half(last)));
      for (let i = 0; i <= rounds; i++) assert.equal((await peer.response()).status, 200, `message ${i}`);
      assert.equal(peer.closed, false);
    } finally {
      peer.close();
    }
  });

  it("a connection sending whole messages with long pauses between them stays open", async () => {
    const peer = await TcpPeer.connect(t.address("tcp"));
    try {
      for (let i = 0; i < 3; i++) {
        await peer.write(request({ transport: "TCP", callId: `slow-whole-${i}` }));
        assert.equal((await peer.response()).status, 200);
        // Three times the partial-message deadline with nothing half-sent.
        await sleep(900);
      }
      assert.equal(peer.closed, false);
      await peer.write(request({ transport: "TCP", callId: "slow-whole-last" }));
      assert.equal((await peer.response()).status, 200);
    } finally {
      peer.close();
    }
  });
});

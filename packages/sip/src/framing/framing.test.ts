import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MessageTooLargeError, ParseError } from "../errors.js";
import type { SipRequest } from "../message/message.js";
import { sipLines } from "../testing/sip-text.js";
import { frameDatagram, isStun } from "./datagram.js";
import { StreamFramer, type StreamFrameHandler } from "./stream-framer.js";

function message(n: number, body = "", contentLengthHeader = "Content-Length"): Buffer {
  return sipLines(
    [
      `MESSAGE sip:bob@example.com SIP/2.0`,
      `Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK${n}`,
      `Call-ID: m${n}`,
      `CSeq: ${n} MESSAGE`,
      `${contentLengthHeader}: ${Buffer.byteLength(body)}`,
    ],
    body,
  );
}

class Collector implements StreamFrameHandler {
  readonly events: string[] = [];
  readonly messages: Buffer[] = [];
  onMessage(bytes: Buffer): void {
    this.messages.push(Buffer.from(bytes));
    this.events.push("message");
  }
  onPing(): void {
    this.events.push("ping");
  }
  onPong(): void {
    this.events.push("pong");
  }
}

describe("StreamFramer", () => {
  const stream = Buffer.concat([
    message(1, "hello"),
    Buffer.from("\r\n\r\n"),
    message(2, "", "l"),
    message(3, "body with \r\n\r\n inside"),
    Buffer.from("\r\n"),
    message(4, "ünïcödé"),
  ]);
  const expected = ["message", "ping", "message", "message", "pong", "message"];

  it("splits by Content-Length and reports pings and pongs (RFC 5626 §4.4.1)", () => {
    const c = new Collector();
    new StreamFramer(c).push(stream);
    assert.deepEqual(c.events, expected);
    assert.equal(c.messages[2]?.toString().endsWith("body with \r\n\r\n inside"), true);
    assert.ok(Buffer.concat(c.messages).length < stream.length);
  });

  // A lone CRLF is reported as a pong at once (a client waiting for one must not wait for more
  // bytes); when it turns out to be the first half of a ping, the ping follows it.
  const withoutSplitPingPongs = (events: string[]): string[] => events.filter((e, i) => !(e === "pong" && events[i + 1] === "ping"));

  it("gives the same result fed one byte at a time", () => {
    const c = new Collector();
    const f = new StreamFramer(c);
    for (let i = 0; i < stream.length; i++) f.push(stream.subarray(i, i + 1));
    assert.deepEqual(withoutSplitPingPongs(c.events), expected);
    assert.equal(f.buffered, 0);
    const whole = new Collector();
    new StreamFramer(whole).push(stream);
    assert.deepEqual(c.messages, whole.messages);
  });

  it("gives the same result for every two-chunk split", () => {
    for (let cut = 1; cut < stream.length; cut += 7) {
      const c = new Collector();
      const f = new StreamFramer(c);
      f.push(stream.subarray(0, cut));
      f.push(stream.subarray(cut));
      assert.deepEqual(withoutSplitPingPongs(c.events), expected, `split at ${cut}`);
    }
  });

  it("holds a half-sent message and reports how much is buffered", () => {
    const c = new Collector();
    const f = new StreamFramer(c);
    const m = message(5, "12345");
    f.push(m.subarray(0, m.length - 2));
    assert.equal(c.messages.length, 0);
    assert.equal(f.buffered, m.length - 2);
    f.push(m.subarray(m.length - 2));
    assert.equal(c.messages.length, 1);
    assert.equal(f.buffered, 0);
  });

  it("fails the stream when Content-Length is missing or invalid (RFC 3261 §18.3)", () => {
    const noLength = sipLines(["MESSAGE sip:b@b SIP/2.0", "Via: SIP/2.0/TCP a;branch=z9hG4bK1"], "x");
    const f = new StreamFramer(new Collector());
    assert.throws(() => f.push(noLength), /missing Content-Length/);
    assert.throws(() => f.push(message(1)), ParseError, "a failed framer stays failed");
    assert.throws(() => new StreamFramer(new Collector()).push(message(1, "", "Content-Length: -1\r\nX")), ParseError);
    const conflicting = sipLines(["MESSAGE sip:b@b SIP/2.0", "Content-Length: 1", "l: 2"], "xy");
    assert.throws(() => new StreamFramer(new Collector()).push(conflicting), /conflicting/);
  });

  it("enforces the header and message size limits", () => {
    const f = new StreamFramer(new Collector(), { maxHeaderSize: 64 });
    assert.throws(() => f.push(Buffer.from("MESSAGE sip:b@b SIP/2.0\r\nX: " + "a".repeat(100))), ParseError);
    const g = new StreamFramer(new Collector(), { maxMessageSize: 200 });
    assert.throws(() => g.push(message(1, "x".repeat(300)).subarray(0, 150)), MessageTooLargeError);
  });

  it("does not mistake a header ending in content-length for Content-Length", () => {
    const m = sipLines(["MESSAGE sip:b@b SIP/2.0", "X-Content-Length: 99", "Content-Length: 2"], "ok");
    const c = new Collector();
    new StreamFramer(c).push(m);
    assert.equal(c.messages.length, 1);
  });
});

describe("frameDatagram", () => {
  it("parses a message, recognises keep-alives and STUN", () => {
    const f = frameDatagram(message(1, "x"));
    assert.equal(f.kind, "message");
    if (f.kind === "message") assert.equal((f.message as SipRequest).method, "MESSAGE");
    assert.equal(frameDatagram(Buffer.from("\r\n\r\n")).kind, "keep-alive");
    const stun = Buffer.alloc(20);
    stun.writeUInt16BE(0x0001, 0);
    stun.writeUInt32BE(0x2112a442, 4);
    assert.equal(isStun(stun), true);
    assert.equal(frameDatagram(stun).kind, "stun");
  });

  it("enforces the size limit", () => {
    assert.throws(() => frameDatagram(message(1, "x".repeat(100)), { maxSize: 64 }), MessageTooLargeError);
  });
});

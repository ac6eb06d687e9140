import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeHa1, parseMessage, parseUri, VirtualClock, verifyCredentials, type SipResponse } from "@sipfleet/sip";
import type { Gateway } from "@sipfleet/trunks";
import { CarrierRegistration, grantedSeconds, registrarUri, type CarrierRegistrationOptions, type RegisterAttempt, type RegisterResult } from "./carrier-registration.js";
import { RecordingLogger } from "./harness.js";

const CONTACT = parseUri("sip:acme@192.0.2.10:5060", "Contact");
const GW1: Gateway = { host: "192.0.2.1", port: 5060, transport: "udp", priority: 10, weight: 1 };
const GW2: Gateway = { host: "192.0.2.2", port: 5060, transport: "udp", priority: 20, weight: 1 };

function response(status: number, headers: string[] = []): SipResponse {
  const text = [`SIP/2.0 ${status} X`, "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx", "From: <sip:acme@carrier.example>;tag=a", "To: <sip:acme@carrier.example>;tag=b", "Call-ID: c", "CSeq: 1 REGISTER", ...headers, "Content-Length: 0", "", ""].join("\r\n");
  return parseMessage(Buffer.from(text)) as SipResponse;
}

const ok = (expires = 3600): RegisterResult => ({ kind: "response", response: response(200, [`Contact: <sip:acme@192.0.2.10:5060>;expires=${expires}`]), contact: CONTACT });
const challenge = (stale = false): RegisterResult => ({ kind: "response", response: response(401, [`WWW-Authenticate: Digest realm="carrier.example", nonce="n1", qop="auth"${stale ? ", stale=true" : ""}`]), contact: CONTACT });
const status = (s: number, headers: string[] = []): RegisterResult => ({ kind: "response", response: response(s, headers), contact: CONTACT });

/** A fake carrier: each attempt waits for the test to answer it. */
class Script {
  readonly attempts: RegisterAttempt[] = [];
  private waiting: ((r: RegisterResult) => void)[] = [];
  readonly exchange = (a: RegisterAttempt): Promise<RegisterResult> => {
    this.attempts.push(a);
    return new Promise((resolve) => this.waiting.push(resolve));
  };
  async answer(r: RegisterResult): Promise<void> {
    const w = this.waiting.shift();
    assert.ok(w !== undefined, "no REGISTER awaiting an answer");
    w(r);
    await flush();
  }
  get pending(): number {
    return this.waiting.length;
  }
  get last(): RegisterAttempt {
    return this.attempts[this.attempts.length - 1] as RegisterAttempt;
  }
}

function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

function machine(o: { gateways?: Gateway[]; options?: Partial<CarrierRegistrationOptions>; credentials?: boolean } = {}) {
  const clock = new VirtualClock();
  const script = new Script();
  const logger = new RecordingLogger();
  const reg = new CarrierRegistration(
    {
      trunk: "carrier",
      register: { aor: "sip:acme@carrier.example", expires: 3600, interval: 3000 },
      credentials: o.credentials === false ? undefined : { username: "acme", password: "s3cret" },
      gateways: o.gateways ?? [GW1],
      callId: "call-1@edge",
      exchange: script.exchange,
      clock,
      logger,
    },
    { random: () => 0.999999, ...o.options },
  );
  return { clock, script, logger, reg };
}

describe("carrier registration state machine", () => {
  it("registers, answers a 401 with the trunk's credentials, and refreshes every interval with the same Call-ID and growing CSeq", async () => {
    const { clock, script, reg } = machine();
    reg.start();
    assert.equal(script.attempts.length, 1);
    assert.equal(script.last.requestUri, "sip:carrier.example");
    assert.equal(script.last.expires, 3600);
    assert.equal(script.last.authorization, undefined);
    await script.answer(challenge());
    assert.equal(script.attempts.length, 2);
    const auth = script.attempts[1]?.authorization;
    assert.ok(auth !== undefined);
    assert.equal(auth.name, "Authorization");
    const verified = verifyCredentials({
      credentials: auth.value,
      method: "REGISTER",
      realm: "carrier.example",
      ha1: { MD5: computeHa1("acme", "carrier.example", "s3cret", "MD5") },
      requestUri: "sip:carrier.example",
    });
    assert.ok(verified.ok, `credentials verify: ${JSON.stringify(verified)}`);
    await script.answer(ok());
    assert.equal(reg.state, "registered");
    clock.advance(2_999_999);
    assert.equal(script.attempts.length, 2, "no refresh before the interval");
    clock.advance(1);
    assert.equal(script.attempts.length, 3, "refresh at the interval");
    assert.deepEqual(script.attempts.map((a) => a.cseq), [1, 2, 3]);
    assert.ok(script.attempts.every((a) => a.callId === "call-1@edge"));
  });

  it("refreshes earlier when the 200 grants a shorter expiry to our Contact", async () => {
    const { clock, script, reg } = machine();
    reg.start();
    await script.answer(ok(600));
    assert.equal(reg.lastGrantedSeconds, 600);
    assert.equal(reg.nextDelayMs, 500_000, "3000/3600 of the 600 s granted");
    clock.advance(500_000);
    assert.equal(script.attempts.length, 2);
  });

  it("uses the Contact's expires over the Expires header (RFC 3261 §10.2.4)", () => {
    const res = response(200, ["Expires: 3600", "Contact: <sip:other@192.0.2.99>;expires=50", "Contact: <sip:acme@192.0.2.10:5060>;expires=120"]);
    assert.equal(grantedSeconds(res, CONTACT, 3600), 120);
    assert.equal(grantedSeconds(response(200, ["Expires: 90"]), CONTACT, 3600), 90);
    assert.equal(grantedSeconds(response(200), CONTACT, 3600), 3600);
  });

  it("fails on a second challenge without stale=true, and answers one with stale=true", async () => {
    const { script, reg, logger } = machine();
    reg.start();
    await script.answer(challenge());
    await script.answer(challenge(true));
    assert.equal(script.attempts.length, 3, "stale challenge answered again");
    await script.answer(challenge());
    assert.equal(reg.state, "failed");
    assert.equal(script.pending, 0, "no further REGISTER until the retry");
    assert.ok(logger.has("warn", /^carrier registration failed$/));
  });

  it("fails without sending when challenged and the trunk has no credentials", async () => {
    const { script, reg } = machine({ credentials: false });
    reg.start();
    await script.answer(challenge());
    assert.equal(reg.state, "failed");
    assert.equal(script.attempts.length, 1);
  });

  it("tries the next gateway on a timeout or a 503, then backs off with growing delays capped, and logs the failure once", async () => {
    const { clock, script, reg, logger } = machine({ gateways: [GW1, GW2], options: { retryBaseMs: 1000, retryMaxMs: 4000 } });
    reg.start();
    await script.answer({ kind: "failed", why: "no answer" });
    assert.equal(script.last.gateway, GW2);
    await script.answer(status(500));
    assert.equal(reg.state, "failed");
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(reg.nextDelayMs as number);
      clock.advance(reg.nextDelayMs as number);
      assert.equal(script.last.gateway, GW1, "each round starts at the first gateway");
      await script.answer(status(503));
      await script.answer(status(503));
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 4000]);
    assert.equal(logger.lines.filter((l) => l.level === "warn" && l.msg === "carrier registration failed").length, 1, "failure logged once");
    clock.advance(reg.nextDelayMs as number);
    await script.answer(ok());
    assert.equal(reg.state, "registered");
  });

  it("waits Retry-After of a 503 before trying again", async () => {
    const { clock, script, reg } = machine({ options: { retryBaseMs: 1000 } });
    reg.start();
    await script.answer(status(503, ["Retry-After: 120 (maintenance)"]));
    assert.equal(reg.nextDelayMs, 120_000);
    clock.advance(119_999);
    assert.equal(script.attempts.length, 1);
    clock.advance(1);
    assert.equal(script.attempts.length, 2);
  });

  it("asks again with Min-Expires after a 423", async () => {
    const { script, reg } = machine();
    reg.start();
    await script.answer(status(423, ["Min-Expires: 7200"]));
    assert.equal(script.last.expires, 7200);
    await script.answer(ok(7200));
    assert.equal(reg.state, "registered");
  });

  it("sends Expires: 0 on stop to the gateway that accepted, answering its challenge, and stops refreshing", async () => {
    const { clock, script, reg } = machine({ gateways: [GW1, GW2] });
    reg.start();
    await script.answer({ kind: "failed", why: "no answer" });
    await script.answer(ok());
    const stopped = reg.stop();
    assert.equal(script.last.expires, 0);
    assert.equal(script.last.gateway, GW2);
    await script.answer(challenge());
    assert.equal(script.last.expires, 0);
    assert.ok(script.last.authorization !== undefined);
    await script.answer(ok(0));
    await stopped;
    assert.equal(reg.state, "stopped");
    const sent = script.attempts.length;
    clock.advance(10_000_000);
    assert.equal(script.attempts.length, sent, "no refresh after stop");
  });

  it("bounds the unregistration in time, and sends none when never registered", async () => {
    const { clock, script, reg } = machine({ options: { unregisterTimeoutMs: 500 } });
    reg.start();
    await script.answer(ok());
    let done = false;
    void reg.stop().then(() => (done = true));
    await flush();
    assert.equal(done, false);
    clock.advance(500);
    await flush();
    assert.equal(done, true, "stop resolved at its bound without an answer");

    const other = machine();
    other.reg.start();
    await other.reg.stop();
    assert.equal(other.script.attempts.length, 1, "only the REGISTER in flight, no Expires: 0");
  });

  it("names the registrar's domain as the Request-URI", () => {
    assert.equal(registrarUri("sip:acme@carrier.example;transport=udp"), "sip:carrier.example");
    assert.equal(registrarUri("sips:+4930123@carrier.example:5061"), "sips:carrier.example:5061");
  });
});

import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { type AuthConfig, DEFAULT_DIAL_POLICY, type DomainConfig, type UserConfig } from "@sipfleet/config";
import { buildAuthorization, computeHa1, createNonce, createRequest, type SipRequest } from "@sipfleet/sip";
import { type AuthReply, type DigestExchange, DigestAuthenticator, PROXY_DIGEST, WWW_DIGEST } from "./index.js";

const REALM = "sipfleet.local";
const SECRET = Buffer.from("sip-auth-test-secret-0123456789abcdef");
const AUTH: AuthConfig = { algorithms: ["SHA-256", "MD5"], nonceLifetimeMs: 300_000, nonceSecret: SECRET, nonceSecretSource: "config" };

const NO_LIMITS = { allowedDestinations: [], maxConcurrentCalls: undefined };

function user(name: string, password: string): UserConfig {
  return { name, ha1: { MD5: computeHa1(name, REALM, password, "MD5"), "SHA-256": computeHa1(name, REALM, password, "SHA-256") }, ...NO_LIMITS };
}
const DOMAIN: DomainConfig = { name: REALM, ...DEFAULT_DIAL_POLICY, authentication: "digest", users: new Map([["alice", user("alice", "alice-secret")]]) };

function request(method: string, credentials: readonly (readonly [string, string])[] = []): SipRequest {
  return createRequest({
    method,
    uri: "sip:bob@sipfleet.local",
    via: "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-auth-1",
    from: "<sip:alice@sipfleet.local>;tag=f1",
    to: "<sip:bob@sipfleet.local>",
    callId: "auth-1@192.0.2.10",
    cseq: 1,
    headers: credentials,
  });
}

function values(r: AuthReply, name: string): string[] {
  return r.headers.filter(([n]) => n === name).map(([, v]) => v);
}

function answer(challenge: AuthReply, exchange: DigestExchange, method: string, spec: { user?: string; password?: string } = {}): [string, string] {
  const ch = values(challenge, exchange.challengeHeader)[0] ?? assert.fail(`no ${exchange.challengeHeader} in ${challenge.status}`);
  const value = buildAuthorization({
    challenge: ch,
    username: spec.user ?? "alice",
    password: spec.password ?? "alice-secret",
    method,
    uri: "sip:bob@sipfleet.local",
    nc: 1,
  });
  return [exchange.credentialsHeader, value];
}

for (const exchange of [WWW_DIGEST, PROXY_DIGEST]) {
  const other = exchange === WWW_DIGEST ? PROXY_DIGEST : WWW_DIGEST;
  const method = exchange === WWW_DIGEST ? "REGISTER" : "INVITE";

  describe(`DigestAuthenticator, ${exchange.status} ${exchange.challengeHeader} / ${exchange.credentialsHeader}`, () => {
    const digest = new DigestAuthenticator(AUTH, exchange);
    const now = 1_800_000_000_000;

    it("challenges with one value per algorithm, in the configured order", () => {
      const r = digest.authenticate(request(method), DOMAIN, now);
      assert.equal(r.ok, false);
      assert.equal(r.ok || r.reply.status, exchange.status);
      const challenges = r.ok ? [] : values(r.reply, exchange.challengeHeader);
      assert.equal(challenges.length, 2);
      assert.match(challenges[0]!, /algorithm=SHA-256/);
      assert.match(challenges[1]!, /algorithm=MD5/);
      assert.ok(challenges.every((c) => /realm="sipfleet\.local"/.test(c) && /qop="auth"/.test(c)));
    });

    it("accepts the right password and returns the user and the nonce use", () => {
      const challenge = digest.challenge(REALM, now);
      const r = digest.authenticate(request(method, [answer(challenge, exchange, method)]), DOMAIN, now + 1000);
      assert.ok(r.ok);
      assert.equal(r.username, "alice");
      assert.equal(r.nonceUse?.nc, 1);
    });

    it(`reads only ${exchange.credentialsHeader}: the same credentials in ${other.credentialsHeader} are not an answer`, () => {
      const challenge = digest.challenge(REALM, now);
      const [, value] = answer(challenge, exchange, method);
      const r = digest.authenticate(request(method, [[other.credentialsHeader, value]]), DOMAIN, now + 1000);
      assert.ok(!r.ok);
      assert.equal(r.reply.status, exchange.status);
    });

    it("answers a wrong password and an unknown user identically", () => {
      const challenge = digest.challenge(REALM, now);
      const wrong = digest.authenticate(request(method, [answer(challenge, exchange, method, { password: "guess" })]), DOMAIN, now);
      const unknown = digest.authenticate(request(method, [answer(challenge, exchange, method, { user: "mallory" })]), DOMAIN, now);
      assert.ok(!wrong.ok && !unknown.ok);
      assert.equal(wrong.reply.status, 403);
      assert.deepEqual(unknown.reply, wrong.reply);
    });

    it("says stale only when the credentials were right for the expired nonce", () => {
      const challenge = digest.challenge(REALM, now);
      const later = now + AUTH.nonceLifetimeMs + 60_000;
      const right = digest.authenticate(request(method, [answer(challenge, exchange, method)]), DOMAIN, later);
      assert.ok(!right.ok);
      assert.equal(right.reply.status, exchange.status);
      const stale = values(right.reply, exchange.challengeHeader);
      assert.ok(stale.length > 0, "a challenge");
      assert.ok(stale.every((c) => /stale=true/i.test(c)));
      const wrong = digest.authenticate(request(method, [answer(challenge, exchange, method, { password: "guess" })]), DOMAIN, later);
      assert.ok(!wrong.ok);
      assert.equal(wrong.reply.status, 403);
    });

    it("gives a fresh challenge for a nonce it did not issue", () => {
      const forged = createNonce(Buffer.from("another-secret-entirely-0123456789ab"), now);
      const challenge = digest.challenge(REALM, now);
      const altered = { ...challenge, headers: challenge.headers.map(([n, v]) => [n, v.replace(/nonce="[^"]+"/, `nonce="${forged}"`)] as const) };
      const r = digest.authenticate(request(method, [answer(altered, exchange, method)]), DOMAIN, now);
      assert.ok(!r.ok);
      assert.equal(r.reply.status, exchange.status);
      const fresh = values(r.reply, exchange.challengeHeader);
      assert.ok(fresh.length > 0, "a challenge");
      assert.ok(fresh.every((c) => !/stale/i.test(c)));
    });

    it(`answers 400 naming ${exchange.credentialsHeader} when the credentials do not parse`, () => {
      const r = digest.authenticate(request(method, [[exchange.credentialsHeader, 'Digest username="alice", realm="sipfleet.local", nonce=']]), DOMAIN, now);
      assert.ok(!r.ok);
      assert.deepEqual(r.reply, { status: 400, reason: `Malformed ${exchange.credentialsHeader}`, headers: [] });
    });

    it("ignores credentials for another realm and challenges for its own", () => {
      const challenge = digest.challenge("elsewhere.example", now);
      const r = digest.authenticate(request(method, [answer(challenge, exchange, method)]), DOMAIN, now);
      assert.ok(!r.ok);
      assert.equal(r.reply.status, exchange.status);
      assert.match(values(r.reply, exchange.challengeHeader)[0]!, /realm="sipfleet\.local"/);
    });
  });
}

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { SipRequest } from "@sipfleet/sip";
import type { Trunk } from "@sipfleet/trunks";
import { FakeRegistrar } from "./carrier-fixtures.js";
import { eventually, startTestEdge, type TestEdge } from "./harness.js";

/*
 * The edge registering with a carrier over real UDP: a fake registrar on loopback challenges
 * with 401 + qop=auth and checks the answer with the SIP library's verifier (a wrong password
 * gets 403), so these tests fail if the edge's credentials are wrong.
 */

const REALM = "carrier.example";
const AOR = "sip:acme@carrier.example";

function trunk(port: number, password: string, register = { aor: AOR, expires: 2, interval: 1 }): Trunk {
  return {
    name: "carrier",
    gateways: [{ host: "127.0.0.1", port, transport: "udp", priority: 1, weight: 1 }],
    inbound: { allow: [], credentials: undefined },
    numbers: [],
    outbound: { credentials: { username: "acme", password }, register },
    maxConcurrentCalls: undefined,
  };
}

describe("edge registering with a carrier (UDP)", () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it("answers the 401 with verified credentials, refreshes with the same Call-ID and a growing CSeq, and unregisters on stop", async () => {
    const carrier = await FakeRegistrar.open({ realm: REALM, username: "acme", password: "right-password" });
    cleanup.push(() => carrier.close());
    let t: TestEdge | undefined = await startTestEdge({ trunks: [trunk(carrier.peer.port, "right-password")] });
    cleanup.push(async () => t?.stop());
    const udp = t.address("udp");
    // REGISTER, 401, REGISTER with credentials, 200; a second round after the 1 s interval.
    await eventually(() => carrier.verified.filter((v) => v).length >= 2, 10_000, "a registration and a refresh");
    const first = carrier.registers[0] as SipRequest;
    assert.equal(first.uriText, "sip:carrier.example");
    assert.equal(first.to.uri.toString(), AOR);
    assert.equal(first.from.uri.toString(), AOR);
    assert.equal(first.expires, 2);
    assert.equal(first.contact[0]?.uri.toString(), `sip:acme@127.0.0.1:${udp.port}`);
    assert.ok(carrier.registers.every((r) => r.callId === first.callId), "one Call-ID for every REGISTER");
    const cseqs = carrier.registers.map((r) => r.cseq.seq);
    assert.deepEqual(cseqs, [...cseqs].sort((a, b) => a - b));
    assert.equal(new Set(cseqs).size, cseqs.length, "CSeq grows with each REGISTER");
    assert.ok(t.logger.has("info", /^registered with carrier$/));

    const before = carrier.registers.length;
    const stopping = t;
    t = undefined;
    await stopping.stop();
    const unregister = carrier.registers.slice(before).filter((r) => r.expires === 0);
    assert.ok(unregister.length >= 1, "Expires: 0 sent on stop");
    assert.ok(carrier.verified[carrier.verified.length - 1], "the unregistration was authenticated");
    assert.ok(stopping.logger.has("info", /^unregistered from carrier$/));
  });

  it("reports a failed registration when the carrier refuses the credentials", async () => {
    const carrier = await FakeRegistrar.open({ realm: REALM, username: "acme", password: "right-password" });
    cleanup.push(() => carrier.close());
    const t = await startTestEdge({ trunks: [trunk(carrier.peer.port, "wrong-password", { aor: AOR, expires: 3600, interval: 3000 })] });
    cleanup.push(() => t.stop());
    await eventually(() => t.logger.has("warn", /^carrier registration failed$/), 10_000, "failure logged");
    assert.deepEqual(carrier.verified, [false]);
    assert.ok(!t.logger.has("info", /^registered with carrier$/));
  });
});

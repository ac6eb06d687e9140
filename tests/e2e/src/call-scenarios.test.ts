// The call-flow scenarios (scenarios/calls/, after RFC 3665 §3) proven against Kamailio as the
// reference proxy + registrar: record-routing, 407 digest for INVITE and MESSAGE, parallel forking.
// Sipfleet's proxy is held to the same flows through the same runCallFlow().
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { hasSipp } from "@sipfleet/testing";
import { CALL_FLOWS, runCallFlow } from "./call-flows.js";
import { kamailioBinary, startKamailioReference, type ReferenceProxy } from "./kamailio-reference.js";

const skip = !hasSipp()
  ? "sipp is not installed (Debian package sip-tester)"
  : kamailioBinary() === undefined
    ? "kamailio is not installed (Debian package kamailio): it is the reference proxy for the call flows"
    : false;

describe("call flows through the Kamailio reference proxy (RFC 3665 §3)", { skip }, () => {
  let proxy: ReferenceProxy;

  before(async () => {
    proxy = await startKamailioReference();
  });
  after(async () => {
    await proxy?.stop();
  });

  for (const [name, flow] of CALL_FLOWS) {
    it(name, async () => {
      const result = await runCallFlow({ proxy, ...flow });
      assert.ok(result.ok, `${result.report}\n--- kamailio:\n${proxy.logs().slice(-4000)}`);
      // Every party ran: the callees' registrations, the callees, the caller, the removals.
      const callees = flow.uas?.length ?? 0;
      assert.equal(result.runs.length, 1 + 3 * callees);
    });
  }

  it("fails a flow whose caller has the wrong password (the harness sees a failed sipp)", async () => {
    const result = await runCallFlow({
      proxy,
      uac: { scenario: "uac-call-unavailable.xml", user: "alice", password: "not-alices-password", callee: "carol" },
      timeoutMs: 3_000,
    });
    assert.equal(result.ok, false);
    const [uac] = result.runs;
    assert.equal(uac?.role, "uac");
    assert.notEqual(uac?.result.exitCode, 0);
    // The proxy challenges again instead of answering 480. To sipp a second 407 looks like a
    // retransmission of the first (it re-sends the ACK and keeps waiting), so the run ends in
    // its timeout.
    assert.match(uac?.result.stderr ?? "", /timed out/);
  });
});

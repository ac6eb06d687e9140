// The call-flow scenarios (scenarios/calls/, after RFC 3665 §3) proven against Kamailio as the
// reference proxy + registrar: record-routing, 407 digest for INVITE and MESSAGE, parallel forking.
// Sipfleet's proxy is held to the same flows through the same runCallFlow().
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { hasSipp } from "@sipfleet/testing";
import { runCallFlow, type CallFlow, type CallParty } from "./call-flows.js";
import { USERS } from "./fixtures.js";
import { kamailioBinary, startKamailioReference, type ReferenceProxy } from "./kamailio-reference.js";

const skip = !hasSipp()
  ? "sipp is not installed (Debian package sip-tester)"
  : kamailioBinary() === undefined
    ? "kamailio is not installed (Debian package kamailio): it is the reference proxy for the call flows"
    : false;

const PASSWORDS: ReadonlyMap<string, string> = new Map(USERS);

/** A party with the password fixtures.ts gives its user. */
function as(user: string, scenario: string, pauseMs?: number): CallParty {
  const password = PASSWORDS.get(user);
  return { scenario, user, ...(password === undefined ? {} : { password }), ...(pauseMs === undefined ? {} : { pauseMs }) };
}

type Flow = Omit<CallFlow, "proxy">;

const FLOWS: readonly (readonly [string, Flow])[] = [
  [
    "a challenged call that the caller ends: 407, re-INVITE, 180, 200, ACK and BYE along the record-routed dialog",
    { uac: { ...as("alice", "uac-call-bye.xml", 300), callee: "bob" }, uas: [as("bob", "uas-answer.xml")] },
  ],
  [
    "a call that the callee ends: its BYE goes to the caller's Contact through the proxy's route",
    { uac: { ...as("alice", "uac-call-callee-bye.xml"), callee: "bob" }, uas: [as("bob", "uas-answer-then-bye.xml", 300)] },
  ],
  [
    "a busy callee: 486 reaches the caller, who ACKs it; the proxy ACKs the callee",
    { uac: { ...as("carol", "uac-call-busy.xml"), callee: "bob" }, uas: [as("bob", "uas-busy.xml")] },
  ],
  [
    "the caller gives up while it rings: CANCEL, 200, 487 and ACK on both sides",
    { uac: { ...as("alice", "uac-call-cancel.xml", 300), callee: "bob" }, uas: [as("bob", "uas-ring-no-answer.xml")] },
  ],
  [
    "a known user with no binding: 480",
    { uac: { ...as("alice", "uac-call-unavailable.xml"), callee: "carol" } },
  ],
  [
    "a user the proxy does not know: 404",
    { uac: { ...as("alice", "uac-call-unknown.xml"), callee: "dave" } },
  ],
  [
    "two devices for one callee: both ring, one answers, the proxy cancels the other",
    {
      uac: { ...as("alice", "uac-call-bye.xml", 300), callee: "bob" },
      uas: [as("bob", "uas-answer.xml", 500), as("bob", "uas-ring-cancelled.xml")],
    },
  ],
  [
    "a re-INVITE in the dialog puts the callee on hold, then BYE",
    { uac: { ...as("carol", "uac-reinvite.xml", 300), callee: "bob" }, uas: [as("bob", "uas-answer-reinvite.xml")] },
  ],
  [
    "a MESSAGE is challenged like an INVITE and delivered with its text",
    { uac: { ...as("bob", "uac-message.xml"), callee: "alice" }, uas: [as("alice", "uas-message.xml")] },
  ],
];

describe("call flows through the Kamailio reference proxy (RFC 3665 §3)", { skip }, () => {
  let proxy: ReferenceProxy;

  before(async () => {
    proxy = await startKamailioReference();
  });
  after(async () => {
    await proxy?.stop();
  });

  for (const [name, flow] of FLOWS) {
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

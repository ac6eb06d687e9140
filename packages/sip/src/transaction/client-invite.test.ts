import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransactionError } from "../errors.js";
import { ClientInviteTransaction } from "./client-invite.js";
import { harness, RecordingClientUser, request, response, type Harness } from "../testing/transaction-fixtures.js";
import { TransactionState } from "./transaction-state.js";

function setup(reliable = false, h: Harness = harness()) {
  const user = new RecordingClientUser();
  const invite = request("INVITE");
  const tx = new ClientInviteTransaction(h.ctx, invite, "10.0.0.2:5060", reliable, user);
  return { ...h, user, invite, tx };
}

describe("ClientInviteTransaction", () => {
  it("starts in Calling and sends the INVITE on start()", () => {
    const { tx, transport, invite } = setup();
    assert.equal(tx.state, TransactionState.Calling);
    assert.equal(transport.sent.length, 0);
    tx.start();
    assert.deepEqual(transport.lines, ["INVITE"]);
    assert.equal(transport.sent[0]?.dest, "10.0.0.2:5060");
    assert.deepEqual(transport.sent[0]?.msg.bytes, invite.bytes);
    assert.equal(tx.id, "z9hG4bK776asdhds\nINVITE");
  });

  it("retransmits on Timer A with doubling intervals until Timer B times out at 64*T1", () => {
    const { tx, transport, user, clock } = setup();
    tx.start();
    clock.advance(31_999);
    // 0, then 500, 1000, 2000, 4000, 8000, 16000 apart (§17.1.1.2): never capped by T2.
    assert.deepEqual(transport.times, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.equal(tx.state, TransactionState.Calling);
    assert.deepEqual(user.events, []);
    clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["timeout", "terminated"]);
    assert.equal(clock.pending, 0);
    clock.advance(100_000);
    assert.equal(transport.sent.length, 7);
    assert.ok(transport.lines.every((l) => l === "INVITE"), "Timer B must not generate an ACK");
  });

  it("derives Timer A and B from a configured T1", () => {
    const { tx, transport, user, clock } = setup(false, harness({ timers: { t1: 100, t2: 400 } }));
    tx.start();
    clock.advance(6_400);
    assert.deepEqual(transport.times, [0, 100, 300, 700, 1500, 3100, 6300]);
    assert.deepEqual(user.events, ["timeout", "terminated"]);
  });

  it("does not retransmit on a reliable transport but still times out with Timer B", () => {
    const { tx, transport, user, clock } = setup(true);
    tx.start();
    clock.advance(31_999);
    assert.equal(transport.sent.length, 1);
    clock.advance(1);
    assert.deepEqual(user.events, ["timeout", "terminated"]);
  });

  it("moves to Proceeding on a provisional response, stops retransmitting and passes every 1xx up", () => {
    const { tx, transport, user, clock, invite } = setup();
    tx.start();
    clock.advance(600);
    tx.receiveResponse(response(invite, 100));
    assert.equal(tx.state, TransactionState.Proceeding);
    tx.receiveResponse(response(invite, 180));
    clock.advance(100_000);
    assert.deepEqual(transport.times, [0, 500]);
    assert.equal(tx.state, TransactionState.Proceeding, "Timer B has no effect in Proceeding");
    assert.deepEqual(user.events, ["response 100", "response 180"]);
    assert.equal(clock.pending, 0);
  });

  describe("non-2xx final response", () => {
    it("moves to Completed, passes the response up once and sends the ACK of §17.1.1.3", () => {
      const { tx, transport, user, invite, clock } = setup();
      tx.start();
      tx.receiveResponse(response(invite, 180));
      const busy = response(invite, 486, "8321234356");
      tx.receiveResponse(busy);
      assert.equal(tx.state, TransactionState.Completed);
      assert.deepEqual(user.events, ["response 180", "response 486"]);
      assert.deepEqual(transport.lines, ["INVITE", "ACK"]);
      const ack = transport.last();
      assert.ok(ack.isRequest);
      assert.equal(transport.sent[1]?.dest, "10.0.0.2:5060", "the ACK goes where the INVITE went");
      assert.equal(ack.method, "ACK");
      assert.equal(ack.uriText, invite.uriText);
      assert.equal(ack.via.length, 1, "one Via");
      assert.equal(ack.topVia?.toString(), invite.topVia?.toString());
      assert.equal(ack.topVia?.branch, "z9hG4bK776asdhds");
      assert.equal(ack.to.tag, "8321234356", "To from the response");
      assert.equal(ack.from.tag, invite.from.tag);
      assert.equal(ack.callId, invite.callId);
      assert.deepEqual(ack.cseq, { seq: 314159, method: "ACK" });
      assert.deepEqual(
        ack.route.map((r) => r.uriText),
        invite.route.map((r) => r.uriText),
      );
      clock.advance(0);
      assert.equal(tx.state, TransactionState.Completed);
    });

    it("re-sends the ACK on each retransmission of the final response without telling the TU", () => {
      const { tx, transport, user, invite } = setup();
      tx.start();
      const busy = response(invite, 486);
      tx.receiveResponse(busy);
      tx.receiveResponse(busy);
      tx.receiveResponse(busy);
      assert.deepEqual(transport.lines, ["INVITE", "ACK", "ACK", "ACK"]);
      assert.deepEqual(transport.sent[3]?.msg.bytes, transport.sent[1]?.msg.bytes);
      assert.deepEqual(user.events, ["response 486"]);
      tx.receiveResponse(response(invite, 180));
      assert.deepEqual(user.events, ["response 486"], "late provisional discarded");
    });

    it("stops Timer A/B and terminates when Timer D fires (32 s on unreliable transports)", () => {
      const { tx, transport, user, invite, clock } = setup();
      tx.start();
      clock.advance(700);
      tx.receiveResponse(response(invite, 503));
      clock.advance(31_999);
      assert.equal(tx.state, TransactionState.Completed);
      assert.deepEqual(transport.lines, ["INVITE", "INVITE", "ACK"], "no retransmission after the final response");
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["response 503", "terminated"]);
      assert.equal(clock.pending, 0);
    });

    it("keeps Timer D at least 64*T1 when T1 is raised", () => {
      const { tx, invite, clock } = setup(false, harness({ timers: { t1: 1000, t2: 4000 } }));
      tx.start();
      tx.receiveResponse(response(invite, 404));
      clock.advance(63_999);
      assert.equal(tx.state, TransactionState.Completed);
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
    });

    it("sends the ACK and terminates at once on a reliable transport (Timer D = 0)", () => {
      const { tx, transport, user, invite, clock } = setup(true);
      tx.start();
      tx.receiveResponse(response(invite, 600));
      assert.deepEqual(transport.lines, ["INVITE", "ACK"]);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["response 600", "terminated"]);
      assert.equal(clock.pending, 0);
    });

    it("passes a 2xx from another branch up in Completed without changing state", () => {
      const { tx, transport, user, invite } = setup();
      tx.start();
      tx.receiveResponse(response(invite, 487, "one"));
      tx.receiveResponse(response(invite, 200, "two"));
      assert.equal(tx.state, TransactionState.Completed);
      assert.deepEqual(user.events, ["response 487", "response 200"]);
      assert.deepEqual(transport.lines, ["INVITE", "ACK"], "the transaction never ACKs a 2xx");
    });
  });

  describe("2xx response (RFC 6026 Accepted state)", () => {
    it("moves to Accepted from Calling, sends no ACK, passes 2xx retransmissions up, ends on Timer M", () => {
      const { tx, transport, user, invite, clock } = setup();
      tx.start();
      clock.advance(100);
      const ok = response(invite, 200);
      tx.receiveResponse(ok);
      assert.equal(tx.state, TransactionState.Accepted);
      tx.receiveResponse(ok);
      tx.receiveResponse(response(invite, 200, "other-branch"));
      tx.receiveResponse(response(invite, 180));
      tx.receiveResponse(response(invite, 486));
      assert.deepEqual(user.events, ["response 200", "response 200", "response 200"]);
      assert.deepEqual(transport.lines, ["INVITE"], "no retransmission, no ACK");
      clock.advance(31_999);
      assert.equal(tx.state, TransactionState.Accepted);
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events.slice(3), ["terminated"]);
      assert.equal(clock.pending, 0);
    });

    it("moves to Accepted from Proceeding, and Timer M runs on reliable transports too", () => {
      const { tx, user, invite, clock } = setup(true);
      tx.start();
      tx.receiveResponse(response(invite, 183));
      tx.receiveResponse(response(invite, 202));
      assert.equal(tx.state, TransactionState.Accepted);
      clock.advance(31_999);
      assert.equal(tx.state, TransactionState.Accepted);
      clock.advance(1);
      assert.deepEqual(user.events, ["response 183", "response 202", "terminated"]);
    });
  });

  describe("transport errors (§17.1.4)", () => {
    it("informs the TU and terminates when send() throws", () => {
      const { tx, transport, user, clock } = setup();
      transport.fail = "throw";
      tx.start();
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["transport-error", "terminated"]);
      assert.match(String(user.errors[0]), /socket closed/);
      assert.equal(clock.pending, 0);
    });

    it("informs the TU and terminates when send() rejects", async () => {
      const { tx, transport, user, clock } = setup();
      tx.start();
      transport.fail = "reject";
      clock.advance(500);
      assert.equal(tx.state, TransactionState.Calling);
      await Promise.resolve();
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["transport-error", "terminated"]);
      assert.equal(clock.pending, 0);
    });

    it("informs the TU and terminates when the ACK cannot be sent", () => {
      const { tx, transport, user, invite } = setup();
      tx.start();
      transport.fail = "throw";
      tx.receiveResponse(response(invite, 486));
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["response 486", "transport-error", "terminated"]);
    });

    it("ignores a late failure once Accepted", async () => {
      const { tx, transport, user, invite } = setup();
      transport.fail = "reject";
      tx.start();
      tx.receiveResponse(response(invite, 200));
      await Promise.resolve();
      assert.equal(tx.state, TransactionState.Accepted);
      assert.deepEqual(user.events, ["response 200"]);
    });
  });

  it("terminate() abandons the transaction without a timeout", () => {
    const { tx, user, clock } = setup();
    tx.start();
    tx.terminate();
    tx.terminate();
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["terminated"]);
    assert.equal(clock.pending, 0);
  });

  it("rejects misuse with TransactionError", () => {
    const h = harness();
    const user = new RecordingClientUser();
    assert.throws(() => new ClientInviteTransaction(h.ctx, request("OPTIONS"), "x", false, user), TransactionError);
    assert.throws(() => new ClientInviteTransaction(h.ctx, request("INVITE", { branch: null }), "x", false, user), TransactionError);
    const tx = new ClientInviteTransaction(h.ctx, request("INVITE"), "x", false, user);
    tx.start();
    assert.throws(() => tx.start(), TransactionError);
    tx.terminate();
    assert.throws(() => tx.start(), TransactionError);
  });
});

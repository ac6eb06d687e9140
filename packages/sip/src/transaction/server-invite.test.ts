import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransactionError } from "../errors.js";
import { createResponse } from "../message/build.js";
import { harness, RecordingServerUser, request, response, type Harness } from "../testing/transaction-fixtures.js";
import { ServerInviteTransaction } from "./server-invite.js";
import { TransactionState } from "./transaction-state.js";

function setup(reliable = false, h: Harness = harness()) {
  const user = new RecordingServerUser();
  const invite = request("INVITE");
  const tx = new ServerInviteTransaction(h.ctx, invite, "192.0.2.4:5060", reliable, user);
  return { ...h, user, invite, tx };
}

/** The ACK a client transaction sends for a non-2xx (same branch). */
function ackFor(toTag = "a6c85cf") {
  return request("ACK", { toTag });
}

describe("ServerInviteTransaction", () => {
  describe("100 Trying (§17.2.1)", () => {
    it("sends 100 Trying itself 200 ms after the INVITE when the TU has not answered", () => {
      const { tx, transport, clock, invite } = setup();
      assert.equal(tx.state, TransactionState.Proceeding);
      assert.equal(tx.id, "z9hG4bK776asdhds\npc33.atlanta.example.com:5060\nINVITE");
      clock.advance(199);
      assert.equal(transport.sent.length, 0);
      clock.advance(1);
      assert.deepEqual(transport.lines, ["100"]);
      const trying = transport.last();
      assert.ok(!trying.isRequest);
      assert.equal(transport.sent[0]?.dest, "192.0.2.4:5060");
      assert.equal(trying.to.tag, undefined, "no To tag on 100");
      assert.deepEqual(
        trying.via.map((v) => v.toString()),
        invite.via.map((v) => v.toString()),
      );
      assert.deepEqual(trying.cseq, { seq: 314159, method: "INVITE" });
      assert.equal(tx.lastResponse?.status, 100);
      assert.equal(clock.pending, 0);
    });

    it("does not send 100 Trying when the TU sent a provisional response first", () => {
      const { tx, transport, clock, invite } = setup();
      clock.advance(50);
      tx.respond(response(invite, 180));
      clock.advance(1000);
      assert.deepEqual(transport.lines, ["180"]);
    });

    it("does not send 100 Trying when the TU sent a final response first", () => {
      const { tx, transport, clock, invite } = setup(true);
      tx.respond(response(invite, 486));
      clock.advance(199);
      tx.receiveRequest(ackFor(), "192.0.2.4:5060");
      clock.advance(1000);
      assert.deepEqual(transport.lines, ["486"]);
    });

    it("honours a configured delay, 0 (as soon as the clock runs) and false (never)", () => {
      const a = setup(false, harness({ tryingDelay: 50 }));
      a.clock.advance(50);
      assert.deepEqual(a.transport.lines, ["100"]);

      const b = setup(false, harness({ tryingDelay: 0 }));
      assert.equal(b.transport.sent.length, 0);
      b.clock.advance(0);
      assert.deepEqual(b.transport.lines, ["100"]);

      const c = setup(false, harness({ tryingDelay: false }));
      c.clock.advance(10_000);
      assert.equal(c.transport.sent.length, 0);
      assert.equal(c.clock.pending, 0);
    });
  });

  describe("Proceeding", () => {
    it("sends each provisional response and retransmits the latest on INVITE retransmissions", () => {
      const { tx, transport, invite } = setup();
      tx.receiveRequest(invite, "192.0.2.4:5060");
      assert.equal(transport.sent.length, 0, "nothing to retransmit yet");
      tx.respond(response(invite, 180));
      tx.respond(response(invite, 183));
      tx.receiveRequest(invite, "192.0.2.4:5060");
      tx.receiveRequest(invite, "192.0.2.4:5060");
      assert.deepEqual(transport.lines, ["180", "183", "183", "183"]);
      assert.equal(tx.state, TransactionState.Proceeding);
    });

    it("retransmits its own 100 Trying on INVITE retransmissions", () => {
      const { tx, transport, invite, clock } = setup();
      clock.advance(200);
      tx.receiveRequest(invite, "192.0.2.4:5060");
      assert.deepEqual(transport.lines, ["100", "100"]);
    });

    it("ignores an ACK before any final response", () => {
      const { tx, transport, user } = setup();
      tx.receiveRequest(ackFor(), "192.0.2.4:5060");
      assert.equal(tx.state, TransactionState.Proceeding);
      assert.deepEqual(user.events, []);
      assert.equal(transport.sent.length, 0);
    });
  });

  describe("non-2xx final response: Completed, Confirmed", () => {
    it("retransmits on Timer G (doubling, capped at T2) until Timer H reports a timeout at 64*T1", () => {
      const { tx, transport, user, invite, clock } = setup();
      clock.advance(100);
      tx.respond(response(invite, 486));
      assert.equal(tx.state, TransactionState.Completed);
      clock.advance(31_999);
      // Sent at 100, then G = 500, 1000, 2000, 4000, 4000, ... after that (§17.2.1).
      assert.deepEqual(transport.times, [100, 600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600]);
      assert.ok(transport.lines.every((l) => l === "486"));
      assert.equal(tx.state, TransactionState.Completed);
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["timeout", "terminated"]);
      assert.equal(clock.pending, 0);
    });

    it("retransmits the final response on INVITE retransmissions", () => {
      const { tx, transport, invite } = setup(true);
      tx.respond(response(invite, 404));
      tx.receiveRequest(invite, "192.0.2.4:5060");
      assert.deepEqual(transport.lines, ["404", "404"]);
      assert.deepEqual(transport.sent[1]?.msg.bytes, transport.sent[0]?.msg.bytes);
    });

    it("moves to Confirmed on the ACK, stops Timer G/H, absorbs further ACKs and ends on Timer I (T4)", () => {
      const { tx, transport, user, invite, clock } = setup();
      tx.respond(response(invite, 486));
      clock.advance(600);
      assert.equal(transport.sent.length, 2);
      tx.receiveRequest(ackFor(), "192.0.2.4:5060");
      assert.equal(tx.state, TransactionState.Confirmed);
      tx.receiveRequest(ackFor(), "192.0.2.4:5060");
      tx.receiveRequest(invite, "192.0.2.4:5060");
      clock.advance(4_999);
      assert.equal(transport.sent.length, 2, "no more retransmissions once confirmed");
      assert.equal(tx.state, TransactionState.Confirmed);
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["terminated"], "the ACK of a non-2xx is absorbed");
      assert.equal(clock.pending, 0);
    });

    it("on a reliable transport: no Timer G, Timer H still runs, Timer I is 0", () => {
      const a = setup(true);
      a.tx.respond(response(a.invite, 500));
      a.clock.advance(31_999);
      assert.deepEqual(a.transport.lines, ["500"]);
      a.clock.advance(1);
      assert.deepEqual(a.user.events, ["timeout", "terminated"]);

      const b = setup(true);
      b.tx.respond(response(b.invite, 500));
      b.tx.receiveRequest(ackFor(), "192.0.2.4:5060");
      assert.equal(b.tx.state, TransactionState.Terminated);
      assert.deepEqual(b.user.events, ["terminated"]);
      assert.equal(b.clock.pending, 0);
    });
  });

  describe("2xx response: Accepted (RFC 6026)", () => {
    it("sends the 2xx once, absorbs INVITE retransmissions, sends the TU's 2xx retransmissions, ends on Timer L", () => {
      const { tx, transport, user, invite, clock } = setup();
      clock.advance(20);
      const ok = response(invite, 200);
      tx.respond(ok);
      assert.equal(tx.state, TransactionState.Accepted);
      clock.advance(10_000);
      assert.deepEqual(transport.lines, ["200"], "the transaction does not retransmit a 2xx itself");
      tx.receiveRequest(invite, "192.0.2.4:5060");
      assert.deepEqual(transport.lines, ["200"], "INVITE retransmissions are absorbed, not answered");
      tx.respond(ok);
      tx.respond(response(invite, 200, "second-branch"));
      assert.deepEqual(transport.lines, ["200", "200", "200"]);
      assert.deepEqual(user.events, [], "retransmissions are not passed to the TU");
      clock.advance(21_999);
      assert.equal(tx.state, TransactionState.Accepted);
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.deepEqual(user.events, ["terminated"]);
      assert.equal(clock.pending, 0);
    });

    it("passes ACKs received in Accepted to the TU", () => {
      const { tx, user, invite } = setup();
      tx.respond(response(invite, 200));
      const ack = request("ACK", { branch: "z9hG4bKnashds8", toTag: "a6c85cf" });
      tx.receiveRequest(ack, "192.0.2.99:5060");
      tx.receiveRequest(ack, "192.0.2.99:5060");
      assert.equal(tx.state, TransactionState.Accepted);
      assert.deepEqual(user.events, ["ack", "ack"]);
      assert.equal(user.acks[0]?.ack, ack);
      assert.equal(user.acks[0]?.source, "192.0.2.99:5060");
      assert.equal(user.acks[0]?.tx, tx);
    });

    it("runs Timer L on reliable transports too", () => {
      const { tx, invite, clock } = setup(true);
      tx.respond(response(invite, 200));
      clock.advance(31_999);
      assert.equal(tx.state, TransactionState.Accepted);
      clock.advance(1);
      assert.equal(tx.state, TransactionState.Terminated);
    });
  });

  describe("TU errors", () => {
    it("throws TransactionError for responses the state does not allow", () => {
      const { tx, transport, invite } = setup();
      tx.respond(response(invite, 486));
      assert.throws(() => tx.respond(response(invite, 180)), TransactionError, "provisional after a final");
      assert.throws(() => tx.respond(response(invite, 200)), TransactionError, "2xx after a non-2xx");
      assert.throws(() => tx.respond(response(invite, 486)), TransactionError, "second final");
      tx.receiveRequest(ackFor(), "x");
      assert.throws(() => tx.respond(response(invite, 486)), TransactionError, "in Confirmed");
      tx.terminate();
      assert.throws(() => tx.respond(response(invite, 486)), TransactionError, "once terminated");
      assert.deepEqual(transport.lines, ["486"]);
    });

    it("throws TransactionError for a provisional or non-2xx response in Accepted", () => {
      const { tx, invite } = setup();
      tx.respond(response(invite, 200));
      assert.throws(() => tx.respond(response(invite, 180)), /cannot send 180 in state Accepted/);
      assert.throws(() => tx.respond(response(invite, 603)), TransactionError);
    });

    it("throws TransactionError for a response to another method or a non-INVITE request", () => {
      const { tx, ctx, user } = setup();
      assert.throws(() => tx.respond(createResponse(request("BYE"), 200)), TransactionError);
      assert.throws(() => tx.receiveRequest(request("CANCEL"), "x"), TransactionError);
      assert.throws(() => new ServerInviteTransaction(ctx, request("OPTIONS"), "x", false, user), TransactionError);
    });
  });

  describe("transport errors (RFC 6026 §7.1, §8.8)", () => {
    it("informs the TU and stays in its state, so Timer H still ends it", () => {
      const { tx, transport, user, invite, clock } = setup();
      transport.fail = "throw";
      tx.respond(response(invite, 486));
      assert.equal(tx.state, TransactionState.Completed);
      assert.deepEqual(user.events, ["transport-error"]);
      clock.advance(32_000);
      assert.equal(tx.state, TransactionState.Terminated);
      assert.equal(user.events[user.events.length - 1], "terminated");
    });

    it("keeps absorbing INVITE retransmissions after a failed 2xx (rejected promise)", async () => {
      const { tx, transport, user, invite } = setup();
      transport.fail = "reject";
      tx.respond(response(invite, 200));
      await Promise.resolve();
      assert.equal(tx.state, TransactionState.Accepted);
      assert.deepEqual(user.events, ["transport-error"]);
      tx.receiveRequest(invite, "x");
      assert.equal(transport.sent.length, 1);
    });
  });
});

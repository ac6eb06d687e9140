import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransactionError } from "../errors.js";
import { ClientNonInviteTransaction } from "./client-non-invite.js";
import { harness, RecordingClientUser, request, response, type Harness } from "../testing/transaction-fixtures.js";
import { TransactionState } from "./transaction-state.js";

function setup(reliable = false, h: Harness = harness()) {
  const user = new RecordingClientUser();
  const req = request("OPTIONS");
  const tx = new ClientNonInviteTransaction(h.ctx, req, "10.0.0.2:5060", reliable, user);
  return { ...h, user, req, tx };
}

describe("ClientNonInviteTransaction", () => {
  it("starts in Trying and sends the request on start()", () => {
    const { tx, transport } = setup();
    assert.equal(tx.state, TransactionState.Trying);
    tx.start();
    assert.deepEqual(transport.lines, ["OPTIONS"]);
    assert.equal(tx.id, "z9hG4bK776asdhds\nOPTIONS");
  });

  it("retransmits on Timer E, doubling up to T2, until Timer F times out at 64*T1", () => {
    const { tx, transport, user, clock } = setup();
    tx.start();
    clock.advance(31_999);
    // Intervals 500, 1000, 2000, then capped at T2 = 4000 (§17.1.2.2).
    assert.deepEqual(transport.times, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(tx.state, TransactionState.Trying);
    clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["timeout", "terminated"]);
    assert.equal(clock.pending, 0);
  });

  it("caps Timer E at a configured T2", () => {
    const { tx, transport, clock } = setup(false, harness({ timers: { t1: 500, t2: 1000 } }));
    tx.start();
    clock.advance(4000);
    assert.deepEqual(transport.times, [0, 500, 1500, 2500, 3500]);
  });

  it("moves to Proceeding on a provisional response and then retransmits every T2", () => {
    const { tx, transport, user, req, clock } = setup();
    tx.start();
    clock.advance(600);
    tx.receiveResponse(response(req, 100));
    assert.equal(tx.state, TransactionState.Proceeding);
    tx.receiveResponse(response(req, 183));
    clock.advance(31_399);
    // Timer E was due at 1500; firing in Proceeding it resends and is reset to T2 (§17.1.2.2).
    assert.deepEqual(transport.times, [0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    assert.equal(tx.state, TransactionState.Proceeding);
    clock.advance(1);
    assert.deepEqual(user.events, ["response 100", "response 183", "timeout", "terminated"]);
  });

  it("passes a final response up, absorbs its retransmissions and ends on Timer K (T4)", () => {
    const { tx, transport, user, req, clock } = setup();
    tx.start();
    clock.advance(700);
    const ok = response(req, 200);
    tx.receiveResponse(ok);
    assert.equal(tx.state, TransactionState.Completed);
    tx.receiveResponse(ok);
    tx.receiveResponse(response(req, 180));
    clock.advance(4_999);
    assert.equal(tx.state, TransactionState.Completed);
    assert.deepEqual(transport.times, [0, 500], "no retransmission in Completed");
    clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["response 200", "terminated"]);
    assert.equal(clock.pending, 0);
  });

  it("goes from Proceeding to Completed on a final response", () => {
    const { tx, user, req, clock } = setup();
    tx.start();
    tx.receiveResponse(response(req, 100));
    tx.receiveResponse(response(req, 404));
    assert.equal(tx.state, TransactionState.Completed);
    clock.advance(5000);
    assert.deepEqual(user.events, ["response 100", "response 404", "terminated"]);
  });

  it("does not retransmit on a reliable transport and terminates at once on the final response (Timer K = 0)", () => {
    const { tx, transport, user, req, clock } = setup(true);
    tx.start();
    clock.advance(10_000);
    assert.equal(transport.sent.length, 1);
    tx.receiveResponse(response(req, 200));
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["response 200", "terminated"]);
    assert.equal(clock.pending, 0);
  });

  it("times out with Timer F on a reliable transport", () => {
    const { tx, user, clock } = setup(true);
    tx.start();
    clock.advance(32_000);
    assert.deepEqual(user.events, ["timeout", "terminated"]);
  });

  it("informs the TU and terminates on a transport error (§17.1.4)", async () => {
    const a = setup();
    a.transport.fail = "throw";
    a.tx.start();
    assert.equal(a.tx.state, TransactionState.Terminated);
    assert.deepEqual(a.user.events, ["transport-error", "terminated"]);

    const b = setup();
    b.tx.start();
    b.transport.fail = "reject";
    b.clock.advance(500);
    await Promise.resolve();
    assert.equal(b.tx.state, TransactionState.Terminated);
    assert.deepEqual(b.user.events, ["transport-error", "terminated"]);
    assert.equal(b.clock.pending, 0);
  });

  it("rejects INVITE, ACK and a second start() with TransactionError", () => {
    const h = harness();
    const user = new RecordingClientUser();
    assert.throws(() => new ClientNonInviteTransaction(h.ctx, request("INVITE"), "x", false, user), TransactionError);
    assert.throws(() => new ClientNonInviteTransaction(h.ctx, request("ACK"), "x", false, user), TransactionError);
    const tx = new ClientNonInviteTransaction(h.ctx, request("BYE"), "x", false, user);
    tx.start();
    assert.throws(() => tx.start(), TransactionError);
  });
});

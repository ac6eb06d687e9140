import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransactionError } from "../errors.js";
import { createResponse } from "../message/build.js";
import { harness, RecordingServerUser, request, response, type Harness } from "../testing/transaction-fixtures.js";
import { ServerNonInviteTransaction } from "./server-non-invite.js";
import { TransactionState } from "./transaction-state.js";

function setup(reliable = false, h: Harness = harness()) {
  const user = new RecordingServerUser();
  const req = request("REGISTER");
  const tx = new ServerNonInviteTransaction(h.ctx, req, "192.0.2.4:5060", reliable, user);
  return { ...h, user, req, tx };
}

describe("ServerNonInviteTransaction", () => {
  it("starts in Trying, discards retransmissions there and never sends 100 Trying itself", () => {
    const { tx, transport, req, clock } = setup();
    assert.equal(tx.state, TransactionState.Trying);
    assert.equal(tx.id, "z9hG4bK776asdhds\npc33.atlanta.example.com:5060\nREGISTER");
    tx.receiveRequest(req, "192.0.2.4:5060");
    clock.advance(10_000);
    assert.equal(transport.sent.length, 0);
    assert.equal(clock.pending, 0);
  });

  it("moves to Proceeding on a provisional response and retransmits the latest on request retransmissions", () => {
    const { tx, transport, req } = setup();
    tx.respond(response(req, 100));
    assert.equal(tx.state, TransactionState.Proceeding);
    tx.respond(response(req, 182));
    tx.receiveRequest(req, "192.0.2.4:5060");
    assert.deepEqual(transport.lines, ["100", "182", "182"]);
    assert.equal(transport.sent[2]?.dest, "192.0.2.4:5060");
  });

  it("moves to Completed on a final response, resends it on retransmissions, ends on Timer J (64*T1)", () => {
    const { tx, transport, user, req, clock } = setup();
    clock.advance(10);
    tx.respond(response(req, 100));
    tx.respond(response(req, 200));
    assert.equal(tx.state, TransactionState.Completed);
    tx.receiveRequest(req, "192.0.2.4:5060");
    tx.receiveRequest(req, "192.0.2.4:5060");
    assert.deepEqual(transport.lines, ["100", "200", "200", "200"]);
    clock.advance(31_999);
    assert.equal(tx.state, TransactionState.Completed);
    assert.equal(transport.sent.length, 4, "the server never retransmits on its own");
    clock.advance(1);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["terminated"]);
    assert.equal(clock.pending, 0);
  });

  it("goes from Trying straight to Completed on a final response", () => {
    const { tx, transport, req } = setup();
    tx.respond(response(req, 401));
    assert.equal(tx.state, TransactionState.Completed);
    assert.deepEqual(transport.lines, ["401"]);
  });

  it("terminates at once after the final response on a reliable transport (Timer J = 0)", () => {
    const { tx, user, req, clock } = setup(true);
    tx.respond(response(req, 200));
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["terminated"]);
    assert.equal(clock.pending, 0);
  });

  it("throws TransactionError for responses after the final one", () => {
    const { tx, transport, req, clock } = setup();
    tx.respond(response(req, 200));
    assert.throws(() => tx.respond(response(req, 180)), TransactionError);
    assert.throws(() => tx.respond(response(req, 500)), /cannot send 500 in state Completed/);
    clock.advance(32_000);
    assert.throws(() => tx.respond(response(req, 200)), TransactionError);
    assert.deepEqual(transport.lines, ["200"]);
  });

  it("throws TransactionError for a response to another method, or INVITE/ACK requests", () => {
    const { tx, ctx, user, req } = setup();
    assert.throws(() => tx.respond(createResponse(request("OPTIONS"), 200)), TransactionError);
    assert.throws(() => tx.receiveRequest(request("BYE"), "x"), TransactionError);
    assert.throws(() => new ServerNonInviteTransaction(ctx, request("INVITE"), "x", false, user), TransactionError);
    assert.throws(() => new ServerNonInviteTransaction(ctx, request("ACK"), "x", false, user), TransactionError);
    assert.equal(tx.request, req);
  });

  it("informs the TU of a transport error and stays in its state (RFC 6026 §8.8)", async () => {
    const { tx, transport, user, req, clock } = setup();
    transport.fail = "throw";
    tx.respond(response(req, 100));
    assert.equal(tx.state, TransactionState.Proceeding);
    transport.fail = "reject";
    tx.respond(response(req, 200));
    await Promise.resolve();
    assert.equal(tx.state, TransactionState.Completed);
    assert.deepEqual(user.events, ["transport-error", "transport-error"]);
    transport.fail = undefined;
    tx.receiveRequest(req, "x");
    assert.deepEqual(transport.lines, ["200", "200"], "still answers retransmissions");
    clock.advance(32_000);
    assert.equal(tx.state, TransactionState.Terminated);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransactionError } from "../errors.js";
import { ClientInviteTransaction } from "./client-invite.js";
import { ClientNonInviteTransaction } from "./client-non-invite.js";
import { VirtualClock } from "./clock.js";
import { RecordingClientUser, RecordingServerUser, RecordingTransport, request, response } from "../testing/transaction-fixtures.js";
import { ServerInviteTransaction } from "./server-invite.js";
import { ServerNonInviteTransaction } from "./server-non-invite.js";
import { TransactionLayer, type TransactionLayerOptions } from "./transaction-layer.js";
import { TransactionState } from "./transaction-state.js";
import type { ServerTransaction } from "./transaction-user.js";

function setup(options: Partial<TransactionLayerOptions> = {}) {
  const clock = new VirtualClock();
  const transport = new RecordingTransport(clock);
  const tu = new RecordingServerUser();
  const layer = new TransactionLayer<string>(transport, tu, { clock, ...options });
  /** The server transaction created for the n-th new request. */
  const serverTx = (n = 0): ServerTransaction<string> => {
    const r = tu.requests[n];
    if (r === undefined) throw new Error(`no request #${n}`);
    return r.tx;
  };
  const inviteTx = (n = 0): ServerInviteTransaction<string> => {
    const tx = serverTx(n);
    assert.ok(tx instanceof ServerInviteTransaction);
    return tx;
  };
  return { clock, transport, tu, layer, serverTx, inviteTx };
}

const SRC = "192.0.2.4:5060";

describe("TransactionLayer: server side", () => {
  it("creates a server transaction for a new request and hands it to the TU", () => {
    const { layer, tu, serverTx } = setup();
    const invite = request("INVITE");
    assert.equal(layer.receiveRequest(invite, SRC, false), "created");
    assert.deepEqual(tu.events, ["request INVITE"]);
    assert.equal(tu.requests[0]?.req, invite);
    const tx = serverTx();
    assert.ok(tx instanceof ServerInviteTransaction);
    assert.equal(tx.dest, SRC);
    assert.equal(tx.reliable, false);
    assert.equal(layer.receiveRequest(request("OPTIONS"), SRC, true), "created");
    assert.ok(serverTx(1) instanceof ServerNonInviteTransaction);
    assert.equal(layer.serverCount, 2);
    assert.equal(layer.clientCount, 0);
    assert.equal(layer.size, 2);
  });

  it("absorbs request retransmissions, re-sending the last response", () => {
    const { layer, tu, transport, inviteTx, serverTx } = setup({ tryingDelay: false });
    layer.receiveRequest(request("INVITE"), SRC, false);
    assert.equal(layer.receiveRequest(request("INVITE"), SRC, false), "matched");
    assert.equal(transport.sent.length, 0);
    inviteTx().respond(response(inviteTx().request, 180));
    assert.equal(layer.receiveRequest(request("INVITE"), SRC, false), "matched");
    assert.deepEqual(transport.lines, ["180", "180"]);

    const options = request("OPTIONS", { branch: "z9hG4bKopt1" });
    layer.receiveRequest(options, SRC, false);
    const tx = serverTx(1);
    tx.respond(response(options, 200));
    assert.equal(layer.receiveRequest(request("OPTIONS", { branch: "z9hG4bKopt1" }), SRC, false), "matched");
    assert.deepEqual(transport.lines, ["180", "180", "200", "200"]);
    assert.deepEqual(tu.events, ["request INVITE", "request OPTIONS"], "retransmissions never reach the TU");
  });

  it("sends 100 Trying after 200 ms by default, and never when tryingDelay is false", () => {
    const a = setup();
    a.layer.receiveRequest(request("INVITE"), SRC, false);
    a.clock.advance(200);
    assert.deepEqual(a.transport.lines, ["100"]);
    const b = setup({ tryingDelay: false });
    b.layer.receiveRequest(request("INVITE"), SRC, false);
    b.clock.advance(1000);
    assert.deepEqual(b.transport.lines, []);
  });

  it("validates tryingDelay", () => {
    const clock = new VirtualClock();
    const transport = new RecordingTransport(clock);
    const tu = new RecordingServerUser();
    assert.throws(() => new TransactionLayer(transport, tu, { tryingDelay: -1 }), /tryingDelay must be false or a number/);
    assert.throws(() => new TransactionLayer(transport, tu, { tryingDelay: Number.NaN }), TransactionError);
    assert.throws(() => new TransactionLayer(transport, tu, { tryingDelay: true as unknown as false }), TransactionError);
  });

  it("passes the ACK of a non-2xx to the INVITE transaction, which absorbs it", () => {
    const { layer, tu, clock, inviteTx } = setup();
    layer.receiveRequest(request("INVITE"), SRC, false);
    const tx = inviteTx();
    tx.respond(response(tx.request, 486, "t486"));
    assert.equal(layer.receiveRequest(request("ACK", { toTag: "t486" }), SRC, false), "matched");
    assert.equal(tx.state, TransactionState.Confirmed);
    assert.equal(layer.receiveRequest(request("ACK", { toTag: "t486" }), SRC, false), "matched");
    assert.deepEqual(tu.acks, []);
    clock.advance(5000);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.equal(layer.serverCount, 0, "terminated transactions are forgotten");
  });

  it("passes the ACK of a 2xx to onAck: without a transaction (new branch) or via the Accepted one (RFC 6026)", () => {
    const { layer, tu, clock, transport, inviteTx } = setup();
    layer.receiveRequest(request("INVITE"), SRC, false);
    const tx = inviteTx();
    tx.respond(response(tx.request, 200, "t200"));
    const ack = request("ACK", { branch: "z9hG4bKack2xx", toTag: "t200" });
    assert.equal(layer.receiveRequest(ack, "192.0.2.9:5060", false), "ack");
    assert.deepEqual(tu.acks[0], { ack, source: "192.0.2.9:5060", tx: undefined });
    // An ACK that reuses the INVITE's branch matches the Accepted transaction, which passes it up.
    const sameBranch = request("ACK", { toTag: "t200" });
    assert.equal(layer.receiveRequest(sameBranch, SRC, false), "matched");
    assert.equal(tu.acks[1]?.tx, tx);
    assert.deepEqual(tu.events, ["request INVITE", "ack (no transaction)", "ack"]);
    // RFC 6026 §7.1: INVITE retransmissions in Accepted are absorbed, not new requests.
    assert.equal(layer.receiveRequest(request("INVITE"), SRC, false), "matched");
    assert.deepEqual(transport.lines, ["200"]);
    clock.advance(32_000);
    assert.equal(layer.serverCount, 0);
    assert.equal(layer.receiveRequest(request("ACK", { toTag: "t200" }), SRC, false), "ack");
  });

  it("gives CANCEL its own transaction and finds the INVITE it targets (§9.2)", () => {
    const { layer, tu, transport, serverTx, inviteTx } = setup({ tryingDelay: false });
    layer.receiveRequest(request("INVITE"), SRC, false);
    const cancel = request("CANCEL");
    assert.equal(layer.receiveRequest(cancel, SRC, false), "created");
    const cancelTx = serverTx(1);
    assert.ok(cancelTx instanceof ServerNonInviteTransaction);
    const target = layer.findInviteServerTransaction(cancel);
    assert.equal(target, inviteTx());
    cancelTx.respond(response(cancel, 200, "tc"));
    target?.respond(response(target.request, 487, "tc"));
    assert.deepEqual(transport.lines, ["200", "487"]);
    assert.equal(layer.receiveRequest(request("CANCEL"), SRC, false), "matched");
    assert.deepEqual(transport.lines, ["200", "487", "200"]);
    assert.deepEqual(tu.events, ["request INVITE", "request CANCEL"]);
    assert.equal(layer.findInviteServerTransaction(request("CANCEL", { branch: "z9hG4bKunknown" })), undefined);
  });

  it("keeps requests with the same branch from different sent-by apart", () => {
    const { layer } = setup();
    layer.receiveRequest(request("INVITE"), SRC, false);
    const other = request("INVITE", { via: "SIP/2.0/UDP pc99.atlanta.example.com:5060;branch=z9hG4bK776asdhds" });
    assert.equal(layer.receiveRequest(other, SRC, false), "created");
    assert.equal(layer.serverCount, 2);
  });

  describe("RFC 2543 fallback (no magic cookie)", () => {
    it("matches retransmissions, the ACK of a non-2xx by the To tag of the response, and CANCEL", () => {
      const { layer, tu, transport, inviteTx } = setup({ tryingDelay: false });
      const invite = request("INVITE", { branch: null });
      assert.equal(layer.receiveRequest(invite, SRC, false), "created");
      const tx = inviteTx();
      assert.equal(layer.receiveRequest(request("INVITE", { branch: null }), SRC, false), "matched");
      assert.equal(layer.findInviteServerTransaction(request("CANCEL", { branch: null })), tx);
      tx.respond(response(invite, 486, "busy1"));
      assert.equal(layer.receiveRequest(request("INVITE", { branch: null }), SRC, false), "matched");
      assert.deepEqual(transport.lines, ["486", "486"]);
      assert.equal(layer.receiveRequest(request("ACK", { branch: null, toTag: "other" }), SRC, false), "ack");
      assert.equal(tx.state, TransactionState.Completed);
      assert.equal(layer.receiveRequest(request("ACK", { branch: null, toTag: "busy1" }), SRC, false), "matched");
      assert.equal(tx.state, TransactionState.Confirmed);
      assert.deepEqual(tu.events, ["request INVITE", "ack (no transaction)"]);
    });

    it("passes the ACK of a 2xx to the TU through the Accepted transaction, and forgets it on Timer L", () => {
      const { layer, tu, clock, inviteTx } = setup();
      const invite = request("INVITE", { branch: null, callId: "2543-call" });
      layer.receiveRequest(invite, SRC, false);
      const tx = inviteTx();
      tx.respond(response(invite, 200, "ok1"));
      const ack = request("ACK", { branch: null, callId: "2543-call", toTag: "ok1" });
      assert.equal(layer.receiveRequest(ack, SRC, false), "matched");
      assert.equal(tu.acks[0]?.tx, tx);
      clock.advance(32_000);
      assert.equal(layer.serverCount, 0);
      assert.equal(layer.receiveRequest(ack, SRC, false), "ack");
      assert.equal(tu.acks[1]?.tx, undefined);
    });

    it("tells non-INVITE requests apart by CSeq and tags", () => {
      const { layer } = setup();
      assert.equal(layer.receiveRequest(request("BYE", { branch: null, toTag: "a" }), SRC, false), "created");
      assert.equal(layer.receiveRequest(request("BYE", { branch: null, toTag: "a" }), SRC, false), "matched");
      assert.equal(layer.receiveRequest(request("BYE", { branch: null, toTag: "a", seq: 314160 }), SRC, false), "created");
      assert.equal(layer.receiveRequest(request("BYE", { branch: null, toTag: "b" }), SRC, false), "created");
      assert.equal(layer.serverCount, 3);
    });
  });

  it("forgets a transaction that terminates while the TU handles onRequest (reliable transport)", () => {
    const { layer, tu } = setup();
    tu.onNewRequest = (tx, req) => tx.respond(response(req, 200));
    layer.receiveRequest(request("REGISTER"), SRC, true);
    assert.equal(layer.serverCount, 0);
    assert.deepEqual(tu.events, ["request REGISTER", "terminated"]);
  });

  it("reports server transport errors to the TU", () => {
    const { layer, tu, transport, serverTx } = setup();
    layer.receiveRequest(request("OPTIONS"), SRC, false);
    transport.fail = "throw";
    serverTx().respond(response(serverTx().request, 200));
    assert.deepEqual(tu.events, ["request OPTIONS", "transport-error"]);
    assert.equal(layer.serverCount, 1, "RFC 6026 §8.8: the transaction stays until Timer J");
  });
});

describe("TransactionLayer: client side", () => {
  it("sends a request in a new client transaction and routes its responses to it", () => {
    const { layer, transport, clock } = setup();
    const user = new RecordingClientUser();
    const invite = request("INVITE");
    const tx = layer.sendRequest(invite, "10.0.0.2:5060", false, user);
    assert.ok(tx instanceof ClientInviteTransaction);
    assert.equal(layer.clientCount, 1);
    assert.deepEqual(transport.lines, ["INVITE"]);
    assert.equal(transport.sent[0]?.dest, "10.0.0.2:5060");
    assert.equal(layer.receiveResponse(response(invite, 180)), true);
    assert.equal(layer.receiveResponse(response(invite, 486)), true);
    assert.deepEqual(user.events, ["response 180", "response 486"]);
    assert.deepEqual(transport.lines, ["INVITE", "ACK"]);
    clock.advance(32_000);
    assert.deepEqual(user.events, ["response 180", "response 486", "terminated"]);
    assert.equal(layer.clientCount, 0);
  });

  it("keeps a CANCEL's responses apart from the INVITE's (same branch, CSeq method)", () => {
    const { layer } = setup();
    const inviteUser = new RecordingClientUser();
    const cancelUser = new RecordingClientUser();
    const invite = request("INVITE");
    layer.sendRequest(invite, "p", false, inviteUser);
    layer.receiveResponse(response(invite, 180));
    const cancel = request("CANCEL");
    const cancelTx = layer.sendRequest(cancel, "p", false, cancelUser);
    assert.ok(cancelTx instanceof ClientNonInviteTransaction);
    assert.equal(layer.clientCount, 2);
    layer.receiveResponse(response(cancel, 200));
    layer.receiveResponse(response(invite, 487));
    assert.deepEqual(cancelUser.events, ["response 200"]);
    assert.deepEqual(inviteUser.events, ["response 180", "response 487"]);
  });

  it("passes responses that match no client transaction to onStrayResponse", () => {
    const { layer, tu } = setup();
    const stray = response(request("INVITE", { branch: "z9hG4bKgone" }), 200);
    assert.equal(layer.receiveResponse(stray), false);
    assert.equal(layer.receiveResponse(response(request("INVITE", { branch: null }), 200)), false);
    assert.deepEqual(tu.events, ["stray 200", "stray 200"]);
    assert.equal(tu.stray[0], stray);
  });

  it("forgets a client transaction whose first send fails", () => {
    const { layer, transport } = setup();
    const user = new RecordingClientUser();
    transport.fail = "throw";
    const tx = layer.sendRequest(request("OPTIONS"), "p", false, user);
    assert.equal(tx.state, TransactionState.Terminated);
    assert.deepEqual(user.events, ["transport-error", "terminated"]);
    assert.equal(layer.clientCount, 0);
  });

  it("refuses ACK, branches without the magic cookie, reused branches and CSeq mismatches", () => {
    const { layer } = setup();
    const user = new RecordingClientUser();
    assert.throws(() => layer.sendRequest(request("ACK"), "p", false, user), /ACK is not sent in a client transaction/);
    assert.throws(() => layer.sendRequest(request("OPTIONS", { branch: "abc" }), "p", false, user), /magic|z9hG4bK/);
    assert.throws(() => layer.sendRequest(request("OPTIONS", { branch: null }), "p", false, user), TransactionError);
    assert.throws(() => layer.sendRequest(request("OPTIONS", { cseqMethod: "INFO" }), "p", false, user), /CSeq method/);
    layer.sendRequest(request("OPTIONS"), "p", false, user);
    assert.throws(() => layer.sendRequest(request("OPTIONS"), "p", false, user), /exists already/);
    assert.equal(layer.clientCount, 1);
  });
});

it("terminateAll() ends every transaction and stops every timer", () => {
  const { layer, clock, tu } = setup();
  const user = new RecordingClientUser();
  layer.receiveRequest(request("INVITE"), SRC, false);
  layer.receiveRequest(request("MESSAGE"), SRC, false);
  layer.sendRequest(request("INVITE", { branch: "z9hG4bKout" }), "p", false, user);
  assert.equal(layer.size, 3);
  layer.terminateAll();
  assert.equal(layer.size, 0);
  assert.equal(clock.pending, 0);
  assert.deepEqual(user.events, ["terminated"]);
  assert.deepEqual(tu.events, ["request INVITE", "request MESSAGE", "terminated", "terminated"]);
});

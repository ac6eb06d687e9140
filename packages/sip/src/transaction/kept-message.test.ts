import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createResponse } from "../message/build.js";
import type { SipRequest, SipResponse } from "../message/message.js";
import { parseMessage } from "../message/parse.js";
import { harness, RecordingServerUser, request } from "../testing/transaction-fixtures.js";
import { KeptMessage, unshared } from "./kept-message.js";
import { ServerNonInviteTransaction } from "./server-non-invite.js";
import { TransactionState } from "./transaction-state.js";

/** The same message in a slice of Node's shared 8 KiB pool (Buffer.from on a short string). */
function pooled<M extends SipRequest | SipResponse>(m: M): M {
  const bytes = Buffer.from(m.bytes.toString("latin1"), "latin1");
  assert.ok(bytes.buffer.byteLength > bytes.length, "the fixture must come from the pool");
  return parseMessage(bytes) as M;
}

describe("KeptMessage", () => {
  it("gives the parsed message, and after shed() an equal one parsed again from its own copy of the bytes", () => {
    const req = pooled(request("INVITE"));
    const kept = new KeptMessage(req);
    assert.equal(kept.message, req);
    kept.shed();
    assert.equal(kept.bytes.buffer.byteLength, kept.bytes.length, "the bytes left the pool");
    const again = kept.message;
    assert.notEqual(again, req);
    assert.equal(again.bytes.toString("latin1"), req.bytes.toString("latin1"));
    assert.deepEqual([again.method, again.callId, again.cseq.seq, again.topVia?.branch, again.from.tag], [req.method, req.callId, req.cseq.seq, req.topVia?.branch, req.from.tag]);
    // Parsed once, then the same object until shed again.
    assert.equal(kept.message, again);
  });

  it("unshared copies only views into a larger buffer", () => {
    const own = Buffer.allocUnsafeSlow(16).fill(7);
    assert.equal(unshared(own), own);
    const view = Buffer.alloc(64, 3).subarray(8, 24);
    const copy = unshared(view);
    assert.notEqual(copy, view);
    assert.deepEqual([...copy], [...view]);
    assert.equal(copy.buffer.byteLength, 16);
  });

  it("a transaction entering Completed keeps bytes only, and still retransmits its final response byte for byte", () => {
    const h = harness();
    const bye = pooled(request("BYE"));
    const tx = new ServerNonInviteTransaction(h.ctx, bye, "192.0.2.4:5060", false, new RecordingServerUser());
    assert.equal(tx.request, bye, "while it works, the transaction hands out the request it was given");
    const ok = pooled(createResponse(bye, 200));
    tx.respond(ok);
    assert.equal(tx.state, TransactionState.Completed);
    // Waiting, it holds no parsed message: what it hands out now is parsed again from its bytes.
    assert.notEqual(tx.request, bye);
    assert.equal(tx.request.callId, bye.callId);
    assert.notEqual(tx.lastResponse, ok);
    assert.equal(tx.lastResponse?.status, 200);
    tx.receiveRequest(bye, "192.0.2.4:5060");
    assert.deepEqual(h.transport.lines, ["200", "200"]);
    assert.equal(h.transport.sent.at(-1)?.msg.bytes.toString("latin1"), ok.bytes.toString("latin1"));
    assert.equal(tx.method, "BYE");
  });
});

import { ParseError } from "../errors.js";
import type { Via } from "../header/via.js";
import { BRANCH_MAGIC_COOKIE } from "../message/ids.js";
import type { SipRequest, SipResponse } from "../message/message.js";

/*
 * Transaction matching keys. Keys are strings joined with "\n", which no header value, token or
 * Request-URI contains once parsed. RFC 3261 keys start with the branch, hence with the magic
 * cookie; RFC 2543 keys start with "\n", so the two kinds never collide in one map.
 */

/** RFC 3261 §8.1.1.7: a branch starting with the magic cookie identifies the transaction by itself. */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(BRANCH_MAGIC_COOKIE);
}

/**
 * The key of the server transaction a request belongs to (RFC 3261 §17.2.3).
 *
 * With a magic-cookie branch: branch, top Via sent-by and method, where ACK takes the key of
 * the INVITE (it belongs to the INVITE transaction when it acknowledges a non-2xx response) and
 * CANCEL keeps its own method (it is a transaction of its own, §9.2).
 *
 * Without one (RFC 2543 peers): Request-URI, To tag, From tag, Call-ID, CSeq and top Via. For an
 * ACK this returns `rfc2543AckKey`, to be looked up among INVITE transactions by that key and
 * then checked against the To tag of the response the transaction sent.
 */
export function serverTransactionKey(req: SipRequest): string {
  const via = topVia(req);
  const branch = via.branch;
  const method = req.method;
  if (isRfc3261Branch(branch)) return rfc3261Key(branch, via, method === "ACK" ? "INVITE" : method);
  return method === "ACK" ? rfc2543AckKey(req) : rfc2543Key(req, method);
}

/**
 * The key of the INVITE server transaction that a CANCEL targets. RFC 3261 §9.2: "The TU
 * determines the transaction to be cancelled by taking the CANCEL request, and then assuming that
 * the request method is anything but CANCEL or ACK and applying the transaction matching
 * procedures of Section 17.2.3." `method` names that other method (INVITE unless told).
 */
export function cancelTargetKey(cancel: SipRequest, method = "INVITE"): string {
  const via = topVia(cancel);
  const branch = via.branch;
  return isRfc3261Branch(branch) ? rfc3261Key(branch, via, method) : rfc2543Key(cancel, method);
}

/**
 * RFC 3261 §17.2.3, RFC 2543 fallback for ACK: "The ACK request matches a transaction if the
 * Request-URI, From tag, Call-ID, CSeq number (not the CSeq method), and top Via header field match
 * those of the INVITE request which created the transaction, and the To tag of the ACK matches the
 * To tag of the response sent by the server transaction." This is the key of the first part, the
 * same for the INVITE and its ACK; the To tag is compared by the caller.
 */
export function rfc2543AckKey(req: SipRequest): string {
  return `\n\n${req.uriText}\n${req.from.tag ?? ""}\n${req.callId}\n${req.cseq.seq}\n${topViaText(req)}`;
}

/**
 * The key of the client transaction a response belongs to, or that a request creates (RFC 3261
 * §17.1.3): the top Via branch and the CSeq method ("the method parameter in the CSeq header
 * field matches the method of the request that created the transaction"). Undefined when the
 * top Via has no branch.
 */
export function clientTransactionKey(msg: SipRequest | SipResponse): string | undefined {
  const branch = msg.topVia?.branch;
  if (branch === undefined) return undefined;
  return `${branch}\n${msg.isRequest ? msg.method : msg.cseq.method}`;
}

function rfc3261Key(branch: string, via: Via, method: string): string {
  // §17.2.3: "the branch parameter in the request is equal to the one in the top Via header field
  // of the request that created the transaction, the sent-by value in the top Via of the request is
  // equal to the one in the request that created the transaction, and the method of the request
  // matches the one that created the transaction, except for ACK". Hosts compare case-insensitively.
  const host = via.host.toLowerCase();
  return via.port === undefined ? `${branch}\n${host}\n${method}` : `${branch}\n${host}:${via.port}\n${method}`;
}

function rfc2543Key(req: SipRequest, method: string): string {
  // §17.2.3: "a request is matched to a transaction if the Request-URI, To tag, From tag, Call-ID,
  // CSeq (including the method), and top Via header field match those of the request that created
  // the transaction." Compared as received: a retransmission repeats them byte for byte.
  return `\n${req.uriText}\n${req.to.tag ?? ""}\n${req.from.tag ?? ""}\n${req.callId}\n${req.cseq.seq} ${method}\n${topViaText(req)}`;
}

/** The top Via as received: RFC 2543 matching compares it byte for byte, as retransmissions repeat it. */
function topViaText(req: SipRequest): string {
  const text = req.topViaText;
  if (text === undefined) throw new ParseError(`${req.method}: missing Via header`);
  return text;
}

function topVia(req: SipRequest): Via {
  const via = req.topVia;
  if (via === undefined) throw new ParseError(`${req.method}: missing Via header`);
  return via;
}

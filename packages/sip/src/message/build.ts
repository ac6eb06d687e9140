import { ParseError, SipError } from "../errors.js";
import { displayName, H } from "./header-names.js";
import { newTag } from "./ids.js";
import type { SipMessage, SipRequest, SipResponse } from "./message.js";
import { parseMessage } from "./parse.js";
import { reasonPhrase } from "./reason-phrases.js";
import { toWire } from "./wire-text.js";

/** Extra header lines: [name, value] pairs, written in order, values as UTF-8. */
export type HeaderList = ReadonlyArray<readonly [string, string]>;

export interface ResponseOptions {
  /** Reason-Phrase; the standard one for the code when omitted. */
  reason?: string;
  /**
   * Tag to add to To when the request had none. RFC 3261 §8.2.6.2: a UAS adds one to every
   * response but 100; a random one is made when omitted. Ignored when the To already has a tag.
   */
  toTag?: string;
  headers?: HeaderList;
  body?: Buffer | string;
  contentType?: string;
}

/**
 * A response to `request` per RFC 3261 §8.2.6: Via (all values, in order), From, Call-ID and CSeq
 * copied byte-for-byte, To copied with a tag added if needed, Timestamp echoed on 100 (§8.2.6.1).
 */
export function createResponse(request: SipRequest, status: number, options: ResponseOptions = {}): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new SipError(`createResponse: invalid status ${status}`);
  let head = `SIP/2.0 ${status} ${toWire(options.reason ?? reasonPhrase(status))}\r\n`;
  head += copyLines(request, H.via);
  head += copyLines(request, H.from);
  const to = request.lineIndex(H.to, 0);
  if (to >= 0) {
    let line = rawLine(request, to);
    if (status > 100 && !hasToTag(request)) line += `;tag=${options.toTag ?? newTag()}`;
    head += line + "\r\n";
  }
  head += copyLines(request, H.callId);
  head += copyLines(request, H.cseq);
  if (status === 100) head += copyLines(request, H.timestamp);
  return finish(head, options.headers, options.body, options.contentType) as SipResponse;
}

export interface RequestOptions {
  method: string;
  uri: string;
  /** Header values (not lines) for the mandatory headers of RFC 3261 §8.1.1. */
  via: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  maxForwards?: number;
  headers?: HeaderList;
  body?: Buffer | string;
  contentType?: string;
}

/** A new request from its parts (a UAC request: OPTIONS pings, outbound REGISTER, BYE...). */
export function createRequest(o: RequestOptions): SipRequest {
  const head =
    `${o.method} ${toWire(o.uri)} SIP/2.0\r\n` +
    `Via: ${toWire(o.via)}\r\n` +
    `Max-Forwards: ${o.maxForwards ?? 70}\r\n` +
    `From: ${toWire(o.from)}\r\n` +
    `To: ${toWire(o.to)}\r\n` +
    `Call-ID: ${toWire(o.callId)}\r\n` +
    `CSeq: ${o.cseq} ${o.method}\r\n`;
  return finish(head, o.headers, o.body, o.contentType) as SipRequest;
}

/**
 * The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3):
 * same Request-URI, Call-ID, From and CSeq number as the INVITE, To from the response, one Via
 * equal to the INVITE's top Via, and the INVITE's Route headers.
 */
export function createAck(invite: SipRequest, response: SipResponse): SipRequest {
  if (invite.method !== "INVITE") throw new SipError("createAck: not an INVITE");
  let head = `ACK ${invite.uriText} SIP/2.0\r\nVia: ${topViaValue(invite)}\r\nMax-Forwards: 70\r\n`;
  head += copyLines(invite, H.from);
  head += copyLines(response, H.to);
  head += copyLines(invite, H.callId);
  head += `CSeq: ${invite.cseq.seq} ACK\r\n`;
  head += copyLines(invite, H.route);
  return finish(head) as SipRequest;
}

/**
 * CANCEL for a pending request (RFC 3261 §9.1): same Request-URI, Call-ID, To, From and CSeq
 * number, one Via equal to the request's top Via (so it matches the same server transaction),
 * and the request's Route headers.
 */
export function createCancel(request: SipRequest, headers?: HeaderList): SipRequest {
  if (request.method === "ACK" || request.method === "CANCEL") throw new SipError(`createCancel: cannot cancel ${request.method}`);
  let head = `CANCEL ${request.uriText} SIP/2.0\r\nVia: ${topViaValue(request)}\r\nMax-Forwards: 70\r\n`;
  head += copyLines(request, H.from);
  head += copyLines(request, H.to);
  head += copyLines(request, H.callId);
  head += `CSeq: ${request.cseq.seq} CANCEL\r\n`;
  head += copyLines(request, H.route);
  return finish(head, headers) as SipRequest;
}

function finish(head: string, headers?: HeaderList, body?: Buffer | string, contentType?: string): SipMessage {
  if (headers !== undefined) for (const [name, value] of headers) head += `${name}: ${toWire(value)}\r\n`;
  const bytes = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  if (contentType !== undefined) head += `Content-Type: ${contentType}\r\n`;
  head += `Content-Length: ${bytes?.length ?? 0}\r\n\r\n`;
  const headBytes = Buffer.from(head, "latin1");
  return parseMessage(bytes === undefined || bytes.length === 0 ? headBytes : Buffer.concat([headBytes, bytes]), {
    maxSize: Number.MAX_SAFE_INTEGER,
  });
}

/**
 * Whether the request's To has a tag. A To too malformed to parse (the very thing a 400 may be
 * answering) gets no tag added, so the response can still be built.
 */
function hasToTag(request: SipRequest): boolean {
  try {
    return request.to.tag !== undefined;
  } catch (e) {
    if (e instanceof ParseError) return true;
    throw e;
  }
}

/** Every line of a header, copied as received, each ending in CRLF. */
function copyLines(m: SipMessage, key: string): string {
  let out = "";
  for (let i = m.lineIndex(key, 0); i >= 0; i = m.lineIndex(key, i + 1)) out += rawLine(m, i) + "\r\n";
  return out;
}

function rawLine(m: SipMessage, i: number): string {
  const o = m.headerTable.offsets;
  return m.head.slice(o[i * 4] as number, o[i * 4 + 3] as number);
}

function topViaValue(m: SipMessage): string {
  const v = m.topViaText;
  if (v === undefined) throw new SipError(`${displayName(H.via)} missing`);
  return v;
}

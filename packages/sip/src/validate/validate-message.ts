import { ParseError, SipError } from "../errors.js";
import type { SipMessage, SipRequest, SipResponse } from "../message/message.js";
import type { HeaderList } from "../message/build.js";
import { SipUri } from "../uri/index.js";

/** What an edge does with a received message. */
export type Validation =
  | { readonly ok: true }
  /** A request to answer with this status (and reason phrase, and extra headers). */
  | { readonly ok: false; readonly action: "respond"; readonly status: number; readonly reason: string; readonly headers?: HeaderList }
  /** A message that cannot be answered (a response, or a request without a usable Via): log and drop. */
  | { readonly ok: false; readonly action: "drop"; readonly reason: string };

export interface ValidateOptions {
  /** URI schemes accepted in a Request-URI; others get 416 (RFC 3261 §8.2.2.1). */
  uriSchemes: ReadonlySet<string>;
  /**
   * Option tags this element supports. When set, Proxy-Require tags outside it get 420 with an
   * Unsupported header (RFC 3261 §16.3 step 5). When unset, Proxy-Require is not checked.
   */
  proxyRequireSupported: ReadonlySet<string> | undefined;
  /**
   * RFC 3261 §16.3 step 3: Max-Forwards 0 is answered 483 — except by the element that is the
   * request's final recipient (an OPTIONS to the edge itself), which sets this.
   */
  allowZeroMaxForwards: boolean;
}

export const DEFAULT_VALIDATE_OPTIONS: ValidateOptions = {
  uriSchemes: new Set(["sip", "sips", "tel"]),
  proxyRequireSupported: undefined,
  allowZeroMaxForwards: false,
};

const OK: Validation = { ok: true };

/**
 * The checks every received message passes before any routing (RFC 3261 §8.2, §16.3, §18.1.2,
 * §18.2.1 and the RFC 4475 torture cases). Header errors become a 400 whose reason phrase says
 * what is wrong; unanswerable problems become a drop with the reason to log.
 */
export function validateMessage(message: SipMessage, options?: Partial<ValidateOptions>): Validation {
  const o = options === undefined ? DEFAULT_VALIDATE_OPTIONS : { ...DEFAULT_VALIDATE_OPTIONS, ...options };
  return message.isRequest ? validateRequest(message as SipRequest, o) : validateResponse(message as SipResponse);
}

function validateRequest(req: SipRequest, o: ValidateOptions): Validation {
  // Without any Via there is nowhere to send a response (RFC 3261 §18.2.2). A Via that is there
  // but malformed is answered with 400 (RFC 4475 §3.1.2.1): the response copies the Via lines
  // as received and the transport sends it back to the request's source address.
  if (!req.has("via")) return drop("request without Via");
  if (req.defect !== undefined) return respond(400, req.defect.reason);
  // RFC 3261 §8.2.6 / §21.5.6: a version we do not speak.
  if (req.version !== "SIP/2.0") return respond(505, `${req.version} not supported`);
  try {
    void req.topVia;
    const cseq = req.cseq;
    void req.callId;
    void req.from;
    void req.to;
    void req.via;
    // RFC 3261 §8.1.1.5 and RFC 4475 §3.1.2.17: the CSeq method matches the request's.
    if (cseq.method !== req.method) return respond(400, `CSeq method ${cseq.method} does not match ${req.method}`);
    const uri = req.uri;
    if (!o.uriSchemes.has(uri.scheme)) return respond(416, `URI scheme "${uri.scheme}" not supported`);
    // RFC 3261 §19.1.1 Table 1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
    if (uri instanceof SipUri && uri.headers.length > 0) return respond(400, "Request-URI must not contain headers");
    void req.from.uri;
    void req.to.uri;
    void req.contact;
    void req.route;
    void req.recordRoute;
    void req.expires;
    const mf = req.maxForwards;
    if (mf === 0 && !o.allowZeroMaxForwards) return respond(483, "Too Many Hops");
    if (o.proxyRequireSupported !== undefined) {
      const unsupported = req.proxyRequire.filter((t) => !o.proxyRequireSupported?.has(t));
      if (unsupported.length > 0) {
        return { ok: false, action: "respond", status: 420, reason: "Bad Extension", headers: [["Unsupported", unsupported.join(", ")]] };
      }
    }
  } catch (e) {
    if (e instanceof ParseError) return respond(e.status, errorText(e));
    throw e;
  }
  return OK;
}

function validateResponse(res: SipResponse): Validation {
  try {
    if (res.topVia === undefined) return drop("response without Via");
    if (res.defect !== undefined) return drop(res.defect.reason);
    if (res.version !== "SIP/2.0") return drop(`response in ${res.version}`);
    void res.callId;
    void res.from;
    void res.to;
    void res.cseq;
    void res.via;
  } catch (e) {
    if (e instanceof SipError) return drop(errorText(e));
    throw e;
  }
  return OK;
}

function respond(status: number, reason: string): Validation {
  return { ok: false, action: "respond", status, reason: reasonPhraseFrom(reason) };
}

function drop(reason: string): Validation {
  return { ok: false, action: "drop", reason };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A reason phrase must be TEXT-UTF8 without CR/LF (RFC 3261 §25.1); keep it short too. */
function reasonPhraseFrom(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
  return clean.length > 160 ? clean.slice(0, 157) + "..." : clean;
}

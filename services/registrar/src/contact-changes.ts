import type { BindingChange, Flow } from "@sipfleet/bindings";
import { contactBindingKey } from "@sipfleet/bindings";
import { Params, type NameAddr, type SipRequest } from "@sipfleet/sip";
import type { RegistrarConfig } from "@sipfleet/config";
import { reply, type RegistrarReply } from "./reply.js";

/**
 * RFC 3261 §10.3 step 7 (the expiry of each contact) and RFC 5626 §6 (instance and reg-id) turned
 * into the changes one REGISTER asks of the store. Everything here reads the request only: the
 * Call-ID/CSeq rules need the stored bindings and are the store's (atomically).
 */

export interface ContactChanges {
  readonly changes: BindingChange[];
  /** RFC 5626: a contact used outbound (instance + reg-id with `Supported: outbound`). */
  readonly outbound: boolean;
}

/** RFC 3261 §10.3 step 7 allows refusing a too-brief interval only below one hour. */
const BRIEF_LIMIT_SECONDS = 3600;

export function contactChanges(
  req: SipRequest,
  contacts: readonly NameAddr[],
  flow: Flow,
  settings: RegistrarConfig,
): ContactChanges | RegistrarReply {
  const supportsOutbound = req.supported.some((t) => t.toLowerCase() === "outbound");
  // §10.3 step 7: "If the request has no Contact ... the Expires header field is used", else the
  // registrar's default. An Expires header that does not parse is a bad request, not a default.
  const requestExpires = req.expires;
  // RFC 5626 §6: "If the REGISTER request contains more than one Contact header field value
  // with a reg-id ... the registrar MUST reject it with a 400".
  const withRegId = contacts.filter((c) => c.params.has("reg-id"));
  if (withRegId.length > 0 && contacts.length > 1 && supportsOutbound) {
    return reply(400, "Multiple Contacts With reg-id");
  }
  const path = req.path.map((p) => p.toString());
  const userAgent = req.userAgent ?? "";
  const changes: BindingChange[] = [];
  let outbound = false;
  for (const c of contacts) {
    const requested = c.params.has("expires") ? c.expires : requestExpires;
    if (requested !== undefined && !(Number.isInteger(requested) && requested >= 0)) {
      return reply(400, "Bad Contact expires");
    }
    let seconds = requested ?? settings.defaultExpires;
    if (seconds > 0 && seconds < settings.minExpires) {
      // §10.3 step 7: "If and only if the requested expiration interval is greater than zero
      // AND smaller than one hour AND less than a registrar-configured minimum, the registrar
      // MAY reject the registration with a response of 423 (Interval Too Brief)." Above an hour
      // the interval is lengthened instead, as the same step allows.
      if (seconds < BRIEF_LIMIT_SECONDS) return reply(423, undefined, [["Min-Expires", String(settings.minExpires)]]);
      seconds = settings.minExpires;
    }
    // "The registrar MAY choose an expiration less than the requested expiration interval."
    if (seconds > settings.maxExpires) seconds = settings.maxExpires;

    const q = c.params.has("q") ? parseQ(c.params.get("q")) : 1000;
    if (q === undefined) return reply(400, "Bad Contact q");

    // RFC 5626 §6: only with `Supported: outbound` do instance and reg-id name a flow; without
    // it the registrar ignores reg-id and the contact is an ordinary one.
    const instanceId = c.instance ?? "";
    const regIdRaw = c.regId;
    let regId = 0;
    if (supportsOutbound && instanceId !== "" && regIdRaw !== undefined) {
      if (!(Number.isInteger(regIdRaw) && regIdRaw >= 1 && regIdRaw <= 2 ** 31 - 1)) return reply(400, "Bad Contact reg-id");
      regId = regIdRaw;
      outbound = true;
    }
    let key: string;
    try {
      key = contactBindingKey(c.uri, instanceId, regId);
    } catch {
      return reply(400, "Bad Contact URI");
    }
    changes.push({
      key,
      contact: contactWithoutExpires(c),
      qMillis: q,
      instanceId,
      regId,
      path,
      flow,
      userAgent,
      lifetimeMs: seconds * 1000,
    });
  }
  return { changes, outbound };
}

/**
 * RFC 3261 §20.10 qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths;
 * undefined when it does not match.
 */
export function parseQ(v: string | null | undefined): number | undefined {
  if (v == null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(v)) return undefined;
  return Math.round(Number(v) * 1000);
}

/** The Contact as the UA sent it minus `expires`, which the 200 OK sets from the store. */
function contactWithoutExpires(c: NameAddr): string {
  const kept: (string | null)[] = [];
  for (const [name, value] of c.params) {
    if (name !== "expires") kept.push(name, value);
  }
  // Params quotes what needs it again (+sip.instance="<urn:...>").
  return `<${c.uriText}>${new Params(kept).toString()}`;
}

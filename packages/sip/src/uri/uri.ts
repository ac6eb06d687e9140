import type { AbsoluteUri } from "./absolute-uri.js";
import type { SipUri } from "./sip-uri.js";
import type { TelUri } from "./tel-uri.js";

/** Any URI parseUri() returns; narrow with `instanceof`. */
export type Uri = SipUri | TelUri | AbsoluteUri;

// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966). Re-exported by the package root.
export { parseUri } from "./parse-uri.js";
export { SipUri, type SipUriInit } from "./sip-uri.js";
export { TelUri, type TelUriInit } from "./tel-uri.js";
export { AbsoluteUri } from "./absolute-uri.js";
export type { Uri } from "./uri.js";
export type { HostType } from "./uri-host.js";
export { uriEquals } from "./uri-equals.js";
export { unescapeUriPart, escapeUriUser, escapeUriPassword, escapeUriParam, escapeUriHeader } from "./escape.js";

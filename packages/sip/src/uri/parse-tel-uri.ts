import { badChar } from "./bad-char.js";
import { scanTelNumber } from "./tel-number.js";
import { TelUri, checkTelParam } from "./tel-uri.js";
import { NO_PARAMS, NO_WIRE, scanUriParams } from "./uri-params.js";
import { rangeText } from "./range-text.js";

/**
 * Parses the rest of a tel URI, s[start] being the first char after "tel:".
 * RFC 3966 §3: telephone-uri = "tel:" telephone-subscriber;
 *   telephone-subscriber = global-number / local-number; each is the digits then `*par`.
 * A tel URI has no headers, so anything after the parameters is an error.
 */
export function parseTelUri(s: string, textStart: number, start: number, end: number, verbatim: boolean): TelUri {
  let i = scanTelNumber(s, start, end);
  const number = s.slice(start, i);
  let params = NO_PARAMS;
  let wire = NO_WIRE;
  if (i < end && s.charCodeAt(i) === 0x3b /* ; */) {
    const scan = scanUriParams(s, i, end, true, checkTelParam);
    params = scan.params;
    wire = scan.wire;
    if (!scan.verbatim) verbatim = false;
    i = scan.end;
  }
  if (i < end) throw badChar(s, i, params.size > 0 ? "the parameters" : "the telephone number");
  return new TelUri({ number, params }, wire, verbatim ? rangeText(s, textStart, end) : undefined);
}

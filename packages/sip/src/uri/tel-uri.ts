import { ParseError } from "../errors.js";
import type { Params } from "../header/lexer.js";
import { isTelNumber, scanTelNumber } from "./tel-number.js";
import { C_TEL_GLOBAL, isCharRun } from "./uri-chars.js";
import { NO_PARAMS, NO_WIRE, buildUriParams, serializeUriParams } from "./uri-params.js";

/** Fields of a tel URI as a caller supplies them: unescaped. */
export interface TelUriInit {
  /** global-number-digits (`+1-201-555-0123`) or local-number-digits (`7042`), visual separators allowed. */
  number: string;
  params?: Params | Iterable<readonly [string, string | null]>;
}

/**
 * Checks the parameters RFC 3966 §3 defines:
 *   extension = ";ext=" 1*phonedigit; context = ";phone-context=" descriptor;
 *   descriptor = domainname / global-number-digits; isdn-subaddress = ";isub=" 1*uric
 * (phone-context leniently: see below).
 */
export function checkTelParam(name: string, value: string | null): string | undefined {
  switch (name) {
    case "phone-context":
      // A value starting with "+" must be global-number-digits. Other values are not held to
      // `domainname`: RFC 2806 contexts such as `phone-context=5` (used in RFC 3261 §19.1.6)
      // are still sent, and they compare case-insensitively like a host name (uriEquals).
      if (value === null) return `parameter "phone-context" needs a value`;
      return value.charCodeAt(0) !== 0x2b || isTelNumber(value) ? undefined : `invalid phone-context "${value}"`;
    case "ext":
      if (value === null) return `parameter "ext" needs a value`;
      return isCharRun(value, C_TEL_GLOBAL) ? undefined : `invalid ext parameter "${value}"`;
    case "isub":
      return value === null ? `parameter "isub" needs a value` : undefined;
    default:
      return undefined;
  }
}

/**
 * A tel URI (RFC 3966): `tel:+1-201-555-0123;ext=1234` or `tel:7042;phone-context=example.com`.
 * Immutable; `with()` makes a modified copy.
 *
 * RFC 3966 §5.1.5 requires a phone-context on local numbers; the parser does not insist (many
 * deployments send `tel:911`), leaving that to validation, which can test `isGlobal || phoneContext`.
 */
export class TelUri {
  readonly scheme = "tel" as const;
  /** The number as written, visual separators included. */
  readonly number: string;
  /** A global number starts with "+" (RFC 3966 §5.1.4). */
  readonly isGlobal: boolean;
  /** Parameters, names lower-cased, values unescaped. */
  readonly params: Params;
  /** @internal Canonical wire name/value entries (see canonicalEscapes). */
  readonly wire: readonly (string | null)[];
  private text: string | undefined;

  /** Builds a tel URI from unescaped fields (throws ParseError). The other arguments are internal, for the parser. */
  constructor(init: TelUriInit, wire?: readonly (string | null)[], text?: string) {
    if (wire === undefined) {
      try {
        if (scanTelNumber(init.number, 0, init.number.length) !== init.number.length) {
          throw new ParseError(`invalid telephone number "${init.number}"`);
        }
        const p = init.params === undefined ? { params: NO_PARAMS, wire: NO_WIRE } : buildUriParams(init.params, true, checkTelParam);
        this.params = p.params;
        wire = p.wire;
      } catch (e) {
        throw e instanceof ParseError ? new ParseError(`tel URI: ${e.message}`, {}, { cause: e }) : e;
      }
    } else {
      this.params = (init.params as Params | undefined) ?? NO_PARAMS;
    }
    this.number = init.number;
    this.isGlobal = init.number.charCodeAt(0) === 0x2b;
    this.wire = wire;
    this.text = text;
  }

  get phoneContext(): string | undefined {
    return this.params.get("phone-context") ?? undefined;
  }

  get ext(): string | undefined {
    return this.params.get("ext") ?? undefined;
  }

  get isub(): string | undefined {
    return this.params.get("isub") ?? undefined;
  }

  /** A copy with the number and/or parameters replaced. */
  with(changes: Partial<TelUriInit>): TelUri {
    if (changes.params === undefined) {
      if (changes.number === undefined || changes.number === this.number) return this;
      if (!isTelNumber(changes.number)) throw new ParseError(`tel URI: invalid telephone number "${changes.number}"`);
      return new TelUri({ number: changes.number, params: this.params }, this.wire);
    }
    return new TelUri({ number: changes.number ?? this.number, params: changes.params });
  }

  toString(): string {
    return (this.text ??= "tel:" + this.number + serializeUriParams(this.wire));
  }
}

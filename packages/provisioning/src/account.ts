/** The SIP account a device is provisioned with, as the admin service hands it over. */

export type Transport = "udp" | "tcp" | "tls";
export type SrtpMode = "off" | "optional" | "mandatory";
/** Codecs every supported family can name; order in `DeviceAccount.codecs` is preference. */
export type Codec = "opus" | "g722" | "pcmu" | "pcma" | "g729";
export const CODECS: readonly Codec[] = ["opus", "g722", "pcmu", "pcma", "g729"];

export interface HostPort {
  /** DNS name, IPv4 address or bracketed IPv6 address. */
  host: string;
  /** Defaults to 5060, or 5061 with TLS. */
  port?: number;
}

export interface DeviceAccount {
  displayName: string;
  /** User part of the address of record (user@domain). */
  user: string;
  domain: string;
  /** Digest user name (often equal to `user`). */
  authUser: string;
  /**
   * Plain password: device formats take the password itself, not HA1 (see README).
   * Generated per device by the admin service; never logged.
   */
  password: string;
  registrar: HostPort;
  outboundProxy?: HostPort;
  /** Transport for the registrar and the outbound proxy. */
  transport: Transport;
  registerExpirySeconds: number;
  srtp?: SrtpMode;
  /** Enabled codecs in order of preference; others are disabled. Omitted: device defaults. */
  codecs?: readonly Codec[];
  ntpServer?: string;
  /** Offset from UTC in minutes (e.g. 60 for CET, -300 for EST); omitted: device default. */
  utcOffsetMinutes?: number;
}

export class ProvisioningInputError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    // The value itself is never put in the message: it may be the password.
    super(`${field}: ${reason}`);
    this.name = "ProvisioningInputError";
  }
}

// C0 controls (CR, LF, NUL, TAB...), DEL and the Unicode line/paragraph separators: any of them
// could end a `key = value` line or confuse a device's parser, so no value may carry one.
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
// RFC 3261 user part without escapes: unreserved / user-unreserved. No '@', ':', '<', '>', '"'
// or spaces, so a user cannot smuggle a second address or a parameter into a URI.
const SIP_USER = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/]{1,64}$/;

function text(field: string, value: unknown, max: number, allowEmpty = false): void {
  if (typeof value !== "string") throw new ProvisioningInputError(field, "must be a string");
  if (!allowEmpty && value.length === 0) throw new ProvisioningInputError(field, "must not be empty");
  if (value.length > max) throw new ProvisioningInputError(field, `longer than ${max} characters`);
  if (CONTROL.test(value)) throw new ProvisioningInputError(field, "contains a control character or line break");
  // Yealink trims around `=`, so an edge space would silently change the value (a password that
  // then fails digest); refused everywhere to keep one rule for every family.
  if (value !== value.trim()) throw new ProvisioningInputError(field, "starts or ends with white space");
}

function host(field: string, value: unknown): void {
  text(field, value, 253);
  const v = value as string;
  if (!HOSTNAME.test(v) && !IPV6_BRACKETED.test(v)) throw new ProvisioningInputError(field, "not a host name or address");
}

function hostPort(field: string, value: HostPort | undefined): void {
  if (value === undefined || value === null || typeof value !== "object") throw new ProvisioningInputError(field, "missing");
  host(`${field}.host`, value.host);
  if (value.port !== undefined && !(Number.isInteger(value.port) && value.port >= 1 && value.port <= 65535)) {
    throw new ProvisioningInputError(`${field}.port`, "must be an integer from 1 to 65535");
  }
}

/** Throws ProvisioningInputError naming the first invalid field; every generator calls it first. */
export function validateDeviceAccount(account: DeviceAccount): void {
  text("displayName", account.displayName, 64, true);
  text("user", account.user, 64);
  if (!SIP_USER.test(account.user)) throw new ProvisioningInputError("user", "not a SIP user part");
  host("domain", account.domain);
  text("authUser", account.authUser, 64);
  if (!SIP_USER.test(account.authUser)) throw new ProvisioningInputError("authUser", "not a SIP user part");
  text("password", account.password, 128);
  hostPort("registrar", account.registrar);
  if (account.outboundProxy !== undefined) hostPort("outboundProxy", account.outboundProxy);
  if (account.transport !== "udp" && account.transport !== "tcp" && account.transport !== "tls") {
    throw new ProvisioningInputError("transport", "must be udp, tcp or tls");
  }
  const expiry = account.registerExpirySeconds;
  if (!Number.isInteger(expiry) || expiry < 60 || expiry > 86400) {
    throw new ProvisioningInputError("registerExpirySeconds", "must be an integer from 60 to 86400");
  }
  if (account.srtp !== undefined && !["off", "optional", "mandatory"].includes(account.srtp)) {
    throw new ProvisioningInputError("srtp", "must be off, optional or mandatory");
  }
  if (account.codecs !== undefined) {
    if (!Array.isArray(account.codecs) || account.codecs.length === 0) throw new ProvisioningInputError("codecs", "must list at least one codec");
    for (const c of account.codecs) if (!CODECS.includes(c)) throw new ProvisioningInputError("codecs", "unknown codec");
    if (new Set(account.codecs).size !== account.codecs.length) throw new ProvisioningInputError("codecs", "lists a codec twice");
  }
  if (account.ntpServer !== undefined) host("ntpServer", account.ntpServer);
  const off = account.utcOffsetMinutes;
  if (off !== undefined && !(Number.isInteger(off) && off >= -720 && off <= 840 && off % 15 === 0)) {
    throw new ProvisioningInputError("utcOffsetMinutes", "must be a multiple of 15 from -720 to 840");
  }
}

export function portOf(hp: HostPort, transport: Transport): number {
  return hp.port ?? (transport === "tls" ? 5061 : 5060);
}

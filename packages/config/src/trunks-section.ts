import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { inspect } from "node:util";
import { SipUri, parseUri } from "@sipfleet/sip";
import {
  type Gateway,
  type InboundCredentials,
  type NumberAssignment,
  type NumberBlock,
  type OutboundCredentials,
  type OutboundRegistration,
  type Subnet,
  type Trunk,
  type TrunkInbound,
  type TrunkOutbound,
  type UserRef,
  e164Problem,
  parseSubnet,
} from "@sipfleet/trunks";
import { DEFAULT_TRUNK } from "./defaults.js";
import { MAX_CONCURRENT_CALLS_RULE, readHa1, readRequiredString } from "./domains-section.js";
import { domainNameProblem, userNameProblem } from "./names.js";
import {
  type Env,
  type IntRule,
  IssueList,
  describeValue,
  indexPath,
  isAbsent,
  keyPath,
  readEnum,
  readInt,
  readList,
  readMapping,
} from "./schema.js";
import type { PathBases } from "./tls-section.js";
import { readDigitsString } from "./dial-policy-section.js";

/*
 * trunks[]: carrier gateways, how the carrier's requests are recognised, the numbers it
 * delivers and to whom, the credentials we answer its challenges with, and the REGISTER we send
 * it. The shape is that of the future Kubernetes custom resource's spec.
 */

const TRUNK_KEYS = ["name", "gateways", "inbound", "numbers", "outbound", "maxConcurrentCalls"] as const;
const GATEWAY_KEYS = ["host", "port", "transport", "priority", "weight"] as const;
const INBOUND_KEYS = ["allow", "credentials", "tlsNames"] as const;
const INBOUND_CREDENTIAL_KEYS = ["username", "realm", "ha1"] as const;
const NUMBER_KEYS = ["number", "owner"] as const;
const OUTBOUND_KEYS = ["credentials", "register"] as const;
const OUTBOUND_CREDENTIAL_KEYS = ["username", "passwordEnv", "passwordFile"] as const;
const REGISTER_KEYS = ["aor", "expires", "interval"] as const;
const TRANSPORTS = ["udp", "tcp", "tls"] as const;

/** RFC 1123 label, as a Kubernetes resource name: the same trunk can later be a custom resource. */
const TRUNK_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const PORT_RULE: IntRule = { min: 1, max: 65535 };
/** SRV priority and weight are 16-bit (RFC 2782). */
/** Gateways' and number routes' trunks are ordered alike (RFC 2782), so their numbers have one range. */
export const PRIORITY_RULE: IntRule = { min: 0, max: 65535, maxWhy: "SRV priorities are 16-bit (RFC 2782)" };
export const WEIGHT_RULE: IntRule = { min: 0, max: 65535, maxWhy: "SRV weights are 16-bit (RFC 2782)" };
const EXPIRES_RULE: IntRule = { min: 60, max: 86_400, maxWhy: "a day; carriers shorten longer ones anyway" };

/** A trunk with the key paths the cross-section checks name. */
export interface TrunkEntry {
  readonly path: string;
  readonly trunk: Trunk;
  /** Each owner as written, with its key path: checked against the served users later. */
  readonly owners: readonly { readonly path: string; readonly ref: UserRef }[];
}

export function readTrunks(issues: IssueList, value: unknown, env: Env, bases: PathBases): TrunkEntry[] | undefined {
  const list = readList(issues, value, "trunks");
  if (list === undefined) return isAbsent(value) ? [] : undefined;
  const out: TrunkEntry[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  list.forEach((item, i) => {
    const entry = readTrunk(issues, item, indexPath("trunks", i), env, bases);
    if (entry === undefined) {
      ok = false;
      return;
    }
    const first = seen.get(entry.trunk.name);
    if (first !== undefined) {
      issues.add(keyPath(entry.path, "name"), `duplicate of ${first}.name (${JSON.stringify(entry.trunk.name)})`);
      ok = false;
      return;
    }
    seen.set(entry.trunk.name, entry.path);
    out.push(entry);
  });
  if (!ok) return undefined;
  const before = issues.size;
  checkNumberOverlaps(issues, out);
  checkSourceOverlaps(issues, out);
  return issues.size > before ? undefined : out;
}

function readTrunk(issues: IssueList, value: unknown, path: string, env: Env, bases: PathBases): TrunkEntry | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, TRUNK_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "expected a mapping with at least name, gateways and inbound, got nothing");
    return undefined;
  }
  const name = readRequiredString(issues, m["name"], keyPath(path, "name"));
  if (name !== undefined && !TRUNK_NAME.test(name)) {
    issues.add(
      keyPath(path, "name"),
      `must be lower-case letters, digits and "-", at most 63, starting and ending with a letter or digit (RFC 1123, as Kubernetes names), got ${JSON.stringify(name)}`,
    );
  }
  const gateways = readGateways(issues, m["gateways"], keyPath(path, "gateways"));
  const inbound = readInbound(issues, m["inbound"], keyPath(path, "inbound"));
  const numbers = readNumbers(issues, m["numbers"], keyPath(path, "numbers"));
  const outbound = readOutbound(issues, m["outbound"], keyPath(path, "outbound"), env, bases);
  const maxCalls = readInt(issues, m["maxConcurrentCalls"], keyPath(path, "maxConcurrentCalls"), MAX_CONCURRENT_CALLS_RULE);
  if (
    issues.size > before ||
    name === undefined ||
    gateways === undefined ||
    inbound === undefined ||
    numbers === undefined ||
    outbound === undefined
  ) {
    return undefined;
  }
  const trunk: Trunk = Object.freeze({
    name,
    gateways,
    inbound,
    numbers: Object.freeze(numbers.map((n) => n.assignment)),
    outbound,
    maxConcurrentCalls: maxCalls,
  });
  return { path, trunk, owners: numbers.flatMap((n) => n.owners) };
}

function readGateways(issues: IssueList, value: unknown, path: string): readonly Gateway[] | undefined {
  if (isAbsent(value)) {
    issues.add(path, "required: list at least one gateway (host, and optionally port, transport, priority, weight)");
    return undefined;
  }
  const list = readList(issues, value, path);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    issues.add(path, "must list at least one gateway");
    return undefined;
  }
  const out: Gateway[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const gateway = readGateway(issues, item, indexPath(path, i));
    if (gateway === undefined) ok = false;
    else out.push(gateway);
  });
  return ok ? Object.freeze(out) : undefined;
}

function readGateway(issues: IssueList, value: unknown, path: string): Gateway | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, GATEWAY_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "expected a mapping with at least host, got nothing");
    return undefined;
  }
  const host = readHost(issues, m["host"], keyPath(path, "host"));
  const port = readInt(issues, m["port"], keyPath(path, "port"), PORT_RULE);
  const transport = readEnum(issues, m["transport"], keyPath(path, "transport"), TRANSPORTS);
  const priority = readInt(issues, m["priority"], keyPath(path, "priority"), PRIORITY_RULE) ?? DEFAULT_TRUNK.gatewayPriority;
  const weight = readInt(issues, m["weight"], keyPath(path, "weight"), WEIGHT_RULE) ?? DEFAULT_TRUNK.gatewayWeight;
  if (issues.size > before || host === undefined) return undefined;
  return Object.freeze({ host, port, transport, priority, weight });
}

/** An IP literal (IPv6 without brackets) or a DNS name, lower-cased: DNS names are case-insensitive. */
function readHost(issues: IssueList, value: unknown, path: string): string | undefined {
  const host = readRequiredString(issues, value, path);
  if (host === undefined) return undefined;
  if (isIP(host) !== 0) return host;
  if (host.startsWith("[")) {
    issues.add(path, `write an IPv6 address without brackets, got ${JSON.stringify(host)}`);
    return undefined;
  }
  if (domainNameProblem(host.toLowerCase()) !== undefined || /^[0-9.]+$/.test(host)) {
    issues.add(path, `must be an IP address or a DNS name (RFC 1123), got ${JSON.stringify(host)}`);
    return undefined;
  }
  return host.toLowerCase();
}

function readInbound(issues: IssueList, value: unknown, path: string): TrunkInbound | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, INBOUND_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "required: allow (source addresses), to know the carrier's requests");
    return undefined;
  }
  const allow = readAllow(issues, m["allow"], keyPath(path, "allow"));
  const credentials = readInboundCredentials(issues, m["credentials"], keyPath(path, "credentials"));
  const tlsNames = readTlsNames(issues, m["tlsNames"], keyPath(path, "tlsNames"));
  if (issues.size > before || allow === undefined) return undefined;
  if (allow.length === 0) {
    // The source is the first factor; credentials are a second one on top, never instead: a trunk
    // known by its username alone would have every address on the internet challenged for our
    // numbers and guessing the carrier's password (services/proxy/README.md "Calls from trunks").
    issues.add(
      path,
      credentials === undefined
        ? "must give allow (source addresses or CIDR blocks)"
        : "credentials need allow (source addresses or CIDR blocks): they are checked on top of the source, not instead of it",
    );
    return undefined;
  }
  return Object.freeze(tlsNames === undefined ? { allow, credentials } : { allow, credentials, tlsNames });
}

/** A DNS name as a certificate's subjectAltName dNSName holds it: LDH labels, dots between. */
const CERT_DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * `inbound.tlsNames`: the names one of which the carrier's client certificate must carry
 * (mutual TLS). Compared whole and case-insensitively, so stored lower-case; never a wildcard
 * (RFC 5922 §7.2: "Implementations MUST NOT match any form of wildcard") nor an IP address
 * (only dNSName and sip: URI identities count, RFC 5922 §7.1).
 */
function readTlsNames(issues: IssueList, value: unknown, path: string): readonly string[] | undefined {
  if (isAbsent(value)) return undefined;
  const list = readList(issues, value, path);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    issues.add(path, "must list at least one certificate name (leave tlsNames out to recognise the trunk by its source alone)");
    return undefined;
  }
  const out: string[] = [];
  list.forEach((item, i) => {
    const itemPath = indexPath(path, i);
    if (typeof item !== "string") return issues.add(itemPath, `expected a DNS name, got ${describeValue(item)}`);
    const name = item.toLowerCase();
    if (isIP(name) !== 0) return issues.add(itemPath, `must be a DNS name (a certificate's subjectAltName dNSName), not an IP address, got ${JSON.stringify(item)}`);
    if (name.includes("*")) return issues.add(itemPath, `wildcards are not matched (RFC 5922 §7.2): list each name, got ${JSON.stringify(item)}`);
    if (!CERT_DNS_NAME.test(name)) return issues.add(itemPath, `must be a DNS name, got ${JSON.stringify(item)}`);
    out.push(name);
  });
  return out.length === list.length ? Object.freeze(out) : undefined;
}

export function readAllow(issues: IssueList, value: unknown, path: string): readonly Subnet[] | undefined {
  const list = readList(issues, value, path);
  if (list === undefined) return isAbsent(value) ? Object.freeze([]) : undefined;
  const out: Subnet[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const itemPath = indexPath(path, i);
    if (typeof item !== "string") {
      issues.add(itemPath, `expected an IP address or CIDR block, got ${describeValue(item)}`);
      ok = false;
      return;
    }
    const parsed = parseSubnet(item);
    if ("problem" in parsed) {
      issues.add(itemPath, parsed.problem);
      ok = false;
    } else {
      out.push(parsed.subnet);
    }
  });
  return ok ? Object.freeze(out) : undefined;
}

function readInboundCredentials(issues: IssueList, value: unknown, path: string): InboundCredentials | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, INBOUND_CREDENTIAL_KEYS);
  if (m === undefined) return undefined;
  const username = readRequiredString(issues, m["username"], keyPath(path, "username"));
  if (username !== undefined) {
    const problem = userNameProblem(username);
    if (problem !== undefined) issues.add(keyPath(path, "username"), problem);
  }
  const realm = readRequiredString(issues, m["realm"], keyPath(path, "realm"));
  if (realm !== undefined) {
    const problem = domainNameProblem(realm);
    if (problem !== undefined) issues.add(keyPath(path, "realm"), problem);
  }
  const ha1Path = keyPath(path, "ha1");
  if (isAbsent(m["ha1"])) issues.add(ha1Path, "required: HA1 = H(username:realm:password), see sipfleet-ha1");
  const ha1 = readHa1(issues, m["ha1"], ha1Path);
  if (issues.size > before || username === undefined || realm === undefined || ha1 === undefined) return undefined;
  return Object.freeze({ username, realm, ha1 });
}

interface NumbersEntry {
  readonly assignment: NumberAssignment;
  readonly owners: readonly { readonly path: string; readonly ref: UserRef }[];
}

function readNumbers(issues: IssueList, value: unknown, path: string): NumbersEntry[] | undefined {
  const list = readList(issues, value, path);
  if (list === undefined) return isAbsent(value) ? [] : undefined;
  const out: NumbersEntry[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const entry = readNumberEntry(issues, item, indexPath(path, i));
    if (entry === undefined) ok = false;
    else out.push(entry);
  });
  return ok ? out : undefined;
}

function readNumberEntry(issues: IssueList, value: unknown, path: string): NumbersEntry | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, NUMBER_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "expected a mapping with number and owner, got nothing");
    return undefined;
  }
  const numberPath = keyPath(path, "number");
  if (isAbsent(m["number"])) issues.add(numberPath, "required");
  const text = readDigitsString(issues, m["number"], numberPath);
  const block = text === undefined ? undefined : readBlock(issues, text, numberPath);
  const owners = readOwners(issues, m["owner"], keyPath(path, "owner"));
  if (issues.size > before || block === undefined || owners === undefined) return undefined;
  return {
    assignment: Object.freeze({ block, owners: Object.freeze(owners.map((o) => o.ref)) }),
    owners,
  };
}

/** `+4930123456` (one DID) or `+4930123400-+4930123499` (both ends included, same length). */
function readBlock(issues: IssueList, text: string, path: string): NumberBlock | undefined {
  const parts = text.split("-");
  if (parts.length > 2) {
    issues.add(path, `expected one E.164 number or a range "+first-+last", got ${JSON.stringify(text)}`);
    return undefined;
  }
  const [first = "", last = first] = parts;
  for (const end of new Set([first, last])) {
    const problem = e164Problem(end);
    if (problem !== undefined) {
      issues.add(path, parts.length === 2 ? `${problem} (in range ${JSON.stringify(text)})` : problem);
      return undefined;
    }
  }
  if (first.length !== last.length) {
    issues.add(path, `a range's ends must have the same number of digits (numbers of other lengths are other numbers), got ${JSON.stringify(text)}`);
    return undefined;
  }
  if (first > last) {
    issues.add(path, `range runs backwards: ${first} is after ${last}`);
    return undefined;
  }
  return Object.freeze({ first, last });
}

/** `alice@sipfleet.local`, or a list of them (a group: every one rings). */
function readOwners(
  issues: IssueList,
  value: unknown,
  path: string,
): { readonly path: string; readonly ref: UserRef }[] | undefined {
  if (isAbsent(value)) {
    issues.add(path, "required: a served user (user@domain) or a list of them");
    return undefined;
  }
  const items = Array.isArray(value) ? value.map((v, i) => [v, indexPath(path, i)] as const) : [[value, path] as const];
  if (items.length === 0) {
    issues.add(path, "must name at least one user");
    return undefined;
  }
  const out: { path: string; ref: UserRef }[] = [];
  let ok = true;
  for (const [item, itemPath] of items) {
    const at = typeof item === "string" ? item.lastIndexOf("@") : -1;
    if (typeof item !== "string" || at <= 0 || at === item.length - 1) {
      issues.add(itemPath, `expected user@domain, got ${describeValue(item)}`);
      ok = false;
      continue;
    }
    // Domain names are case-insensitive and served domains are written in lower case.
    const ref = { user: item.slice(0, at), domain: item.slice(at + 1).toLowerCase() };
    if (out.some((o) => o.ref.user === ref.user && o.ref.domain === ref.domain)) {
      issues.add(itemPath, `${JSON.stringify(item)} is listed twice`);
      ok = false;
      continue;
    }
    out.push({ path: itemPath, ref: Object.freeze(ref) });
  }
  return ok ? out : undefined;
}

function readOutbound(issues: IssueList, value: unknown, path: string, env: Env, bases: PathBases): TrunkOutbound | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, OUTBOUND_KEYS);
  const credentials = readOutboundCredentials(issues, m?.["credentials"], keyPath(path, "credentials"), env, bases);
  const register = readRegister(issues, m?.["register"], keyPath(path, "register"));
  if (issues.size > before) return undefined;
  return Object.freeze({ credentials, register });
}

function readOutboundCredentials(
  issues: IssueList,
  value: unknown,
  path: string,
  env: Env,
  bases: PathBases,
): OutboundCredentials | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, OUTBOUND_CREDENTIAL_KEYS);
  if (m === undefined) return undefined;
  const username = readRequiredString(issues, m["username"], keyPath(path, "username"));
  const fromEnv = !isAbsent(m["passwordEnv"]);
  const fromFile = !isAbsent(m["passwordFile"]);
  let password: string | undefined;
  if (fromEnv === fromFile) {
    issues.add(
      path,
      fromEnv
        ? "give passwordEnv or passwordFile, not both"
        : "required: passwordEnv (an environment variable's name) or passwordFile (a file holding the password); the password itself is never written in this file",
    );
  } else if (fromEnv) {
    password = readPasswordEnv(issues, m["passwordEnv"], keyPath(path, "passwordEnv"), env);
  } else {
    password = readPasswordFile(issues, m["passwordFile"], keyPath(path, "passwordFile"), bases);
  }
  if (issues.size > before || username === undefined || password === undefined) return undefined;
  return redacted({ username, password });
}

function readPasswordEnv(issues: IssueList, value: unknown, path: string, env: Env): string | undefined {
  const name = readRequiredString(issues, value, path);
  if (name === undefined) return undefined;
  if (!ENV_NAME.test(name)) {
    issues.add(path, `must be an environment variable name (letters, digits, _), got ${JSON.stringify(name)}`);
    return undefined;
  }
  const password = env[name];
  if (password === undefined || password === "") {
    issues.add(path, `environment variable ${name} is not set (or empty); it must hold the trunk's password`);
    return undefined;
  }
  return password;
}

/** The file's text without one trailing newline (what `echo secret > file` leaves). */
function readPasswordFile(issues: IssueList, value: unknown, path: string, bases: PathBases): string | undefined {
  const given = readRequiredString(issues, value, path);
  if (given === undefined) return undefined;
  const absolute = resolve(bases.baseDir, given);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    issues.add(path, `cannot read ${given}${given === absolute ? "" : ` (${absolute})`}: ${code}`);
    return undefined;
  }
  const password = text.replace(/\r?\n$/, "");
  if (password === "") {
    issues.add(path, `${given} is empty; it must hold the trunk's password`);
    return undefined;
  }
  return password;
}

function readRegister(issues: IssueList, value: unknown, path: string): OutboundRegistration | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, REGISTER_KEYS);
  if (m === undefined) return undefined;
  const aor = readRequiredString(issues, m["aor"], keyPath(path, "aor"));
  if (aor !== undefined && !isSipAor(aor)) {
    issues.add(keyPath(path, "aor"), `must be a sip: or sips: URI with a user part (the address-of-record registered), got ${JSON.stringify(aor)}`);
  }
  const expires = readInt(issues, m["expires"], keyPath(path, "expires"), EXPIRES_RULE);
  const effectiveExpires = isAbsent(m["expires"]) ? DEFAULT_TRUNK.registerExpires : expires;
  const interval = readInt(issues, m["interval"], keyPath(path, "interval"), { min: 1, max: 86_400 });
  if (effectiveExpires !== undefined && interval !== undefined && interval >= effectiveExpires) {
    const note = isAbsent(m["expires"]) ? ", the default" : "";
    issues.add(
      keyPath(path, "interval"),
      `must be < ${keyPath(path, "expires")} (${effectiveExpires}${note}): refresh before the registration lapses, got ${interval}`,
    );
  }
  if (issues.size > before || aor === undefined || effectiveExpires === undefined) return undefined;
  // Half: a refresh that fails leaves time for another try before the binding lapses.
  return Object.freeze({ aor, expires: effectiveExpires, interval: interval ?? Math.floor(effectiveExpires / 2) });
}

function isSipAor(text: string): boolean {
  try {
    const uri = parseUri(text);
    return uri instanceof SipUri && uri.user !== undefined && uri.user !== "";
  } catch {
    return false;
  }
}

const PLACEHOLDER = "[trunk credentials: password not shown]";

/** Frozen, and shown as a placeholder by JSON.stringify (pino) and util.inspect (console). */
function redacted(c: { username: string; password: string }): OutboundCredentials {
  Object.defineProperty(c, "toJSON", { value: () => PLACEHOLDER });
  Object.defineProperty(c, inspect.custom, { value: () => PLACEHOLDER });
  return Object.freeze(c);
}

/** A number in two blocks would have two owners: refused, naming both. */
function checkNumberOverlaps(issues: IssueList, entries: readonly TrunkEntry[]): void {
  const blocks = entries.flatMap((e) =>
    e.trunk.numbers.map((n, i) => ({ block: n.block, path: keyPath(indexPath(keyPath(e.path, "numbers"), i), "number") })),
  );
  blocks.sort((a, b) => a.block.first.length - b.block.first.length || (a.block.first < b.block.first ? -1 : a.block.first > b.block.first ? 1 : 0));
  let widest: (typeof blocks)[number] | undefined;
  for (const current of blocks) {
    if (
      widest !== undefined &&
      widest.block.first.length === current.block.first.length &&
      current.block.first <= widest.block.last
    ) {
      issues.add(current.path, `${describeBlock(current.block)} overlaps ${widest.path} (${describeBlock(widest.block)}): a number has one owner`);
      continue;
    }
    if (widest === undefined || widest.block.first.length !== current.block.first.length || current.block.last > widest.block.last) {
      widest = current;
    }
  }
}

function describeBlock(b: NumberBlock): string {
  return b.first === b.last ? b.first : `${b.first}-${b.last}`;
}

/**
 * Nested blocks are fine (the most specific wins: a carrier's /32 inside a hosting /24), but the
 * same block in two trunks leaves a source with no single trunk.
 */
function checkSourceOverlaps(issues: IssueList, entries: readonly TrunkEntry[]): void {
  const seen: { subnet: Subnet; path: string; trunk: string }[] = [];
  for (const e of entries) {
    e.trunk.inbound.allow.forEach((subnet, i) => {
      const path = indexPath(keyPath(keyPath(e.path, "inbound"), "allow"), i);
      // parseSubnet writes every network address one way, so the same block compares equal.
      const same = seen.find((s) => s.subnet.family === subnet.family && s.subnet.prefix === subnet.prefix && s.subnet.address === subnet.address);
      if (same !== undefined) {
        const where = same.trunk === e.trunk.name ? "" : ` of trunk ${JSON.stringify(same.trunk)}`;
        issues.add(path, `${subnet.address}/${subnet.prefix} is also ${same.path}${where}: a source must identify one trunk`);
        return;
      }
      seen.push({ subnet, path, trunk: e.trunk.name });
    });
  }
}

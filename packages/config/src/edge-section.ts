import type { EdgeConfig, ListenAddress } from "./config.js";
import { DEFAULT_EDGE_CONFIG } from "./defaults.js";
import { readGatewayPing } from "./gateway-ping-section.js";
import { readListenList, readListenSpec } from "./listen.js";
import { type Env, type IntRule, IssueList, describeValue, isAbsent, keyPath, readIntSection, readMapping } from "./schema.js";
import { type PathBases, readEdgeTls } from "./tls-section.js";
import { readBans, readRateLimit } from "./abuse-section.js";
import { ENV_PUBLIC_ADDRESS, readPublicAddress } from "./public-address.js";

/*
 * edge: the SIP sockets (SIPFLEET_LISTEN overrides), the overload and size limits, the bounds of
 * the connections the edge opens, and the TLS certificate of the tls and wss listeners
 * (tls-section.ts).
 */

/** Overrides edge.listen; validated like it, errors naming the variable. Empty counts as unset. */
export const ENV_LISTEN = "SIPFLEET_LISTEN";

type EdgeIntKey = Exclude<keyof EdgeConfig, "listen" | "tls" | "gatewayPing" | "rateLimit" | "bans" | "publicAddress">;
const EDGE_RULES: { readonly [K in EdgeIntKey]: IntRule } = {
  decisionTimeoutMs: {
    min: 1,
    max: 32_000,
    maxWhy: "the client gives up at Timer F = 64*T1 = 32 s, RFC 3261 §17.1.2.2",
  },
  retryAfterSeconds: { min: 1, max: 3600, maxWhy: "a longer pause is an outage, not overload" },
  cancelRelayTimeoutMs: {
    min: 1,
    max: 32_000,
    maxWhy: "the caller's CANCEL transaction gives up at Timer F = 64*T1 = 32 s, RFC 3261 §17.1.2.2",
  },
  maxMessageSize: { min: 1024, max: 1_048_576, maxWhy: "1 MiB bounds what one TCP connection may buffer" },
  connectTimeoutMs: {
    min: 1,
    max: 32_000,
    maxWhy: "the branch's transaction gives up at Timer B/F = 64*T1 = 32 s, RFC 3261 §17.1.1.2, §17.1.2.2",
  },
  outboundIdleTimeoutMs: { min: 1000, max: 86_400_000, maxWhy: "a day; an idle connection only holds a socket" },
  maxHeaderLines: {
    min: 16,
    max: 10_000,
    maxWhy: "far more than any real message; edge.maxMessageSize bounds the bytes anyway",
  },
  maxConnectionsPerSource: { min: 1, max: 65_535, maxWhy: "a source address has no more TCP ports" },
  partialMessageTimeoutMs: {
    min: 100,
    max: 600_000,
    maxWhy: "ten minutes; a message takes one round trip to arrive, not minutes",
  },
  drainInDialogMs: { min: 0, max: 3_600_000, maxWhy: "an hour; a stop that waits longer is an outage of its own" },
};
const EDGE_KEYS = ["listen", ...(Object.keys(EDGE_RULES) as EdgeIntKey[]), "gatewayPing", "rateLimit", "bans", "tls", "publicAddress"] as const;

export interface EdgeResult {
  readonly config: EdgeConfig;
  /** Where the listen addresses came from, for messages about them. */
  readonly listenFrom: string;
}

export function readEdge(
  issues: IssueList,
  value: unknown,
  env: Env,
  bases: PathBases,
): EdgeResult | undefined {
  const path = "edge";
  const m = readMapping(issues, value, path, EDGE_KEYS);
  const ints = readIntSection<EdgeIntKey>(issues, m, path, EDGE_RULES, DEFAULT_EDGE_CONFIG).values;
  // The file's value is checked even when the variable overrides it: it is the fallback the
  // next deployment without the variable gets.
  const fileListen = readListenValue(issues, m?.["listen"], keyPath(path, "listen"));
  const envSpec = env[ENV_LISTEN];
  let listen: readonly ListenAddress[] | undefined;
  let listenFrom: string;
  if (envSpec !== undefined && envSpec !== "") {
    listen = readListenSpec(issues, envSpec, "", ENV_LISTEN);
    listenFrom = ENV_LISTEN;
  } else {
    listen = fileListen;
    listenFrom = isAbsent(m?.["listen"]) ? "the default edge.listen" : keyPath(path, "listen");
  }
  const tls = readEdgeTls(issues, m?.["tls"], env, listen, listenFrom, bases);
  const gatewayPing = readGatewayPing(issues, m?.["gatewayPing"], keyPath(path, "gatewayPing"));
  const { decisionTimeoutMs, retryAfterSeconds, cancelRelayTimeoutMs, maxMessageSize, connectTimeoutMs, outboundIdleTimeoutMs } = ints;
  const { maxHeaderLines, maxConnectionsPerSource, partialMessageTimeoutMs, drainInDialogMs } = ints;
  const rateLimit = readRateLimit(issues, m?.["rateLimit"], path);
  const bans = readBans(issues, m?.["bans"], path);
  // The variable wins over the file, whose value is still checked (as for listen).
  const filePublic = isAbsent(m?.["publicAddress"]) ? undefined : readPublicAddress(issues, m?.["publicAddress"], keyPath(path, "publicAddress"));
  const envPublic = env[ENV_PUBLIC_ADDRESS];
  const publicAddress = envPublic !== undefined && envPublic !== "" ? readPublicAddress(issues, envPublic, "", ENV_PUBLIC_ADDRESS) : filePublic;
  if (listen === undefined || fileListen === undefined || tls === undefined || gatewayPing === undefined || rateLimit === undefined || bans === undefined) return undefined;
  if (
    decisionTimeoutMs === undefined ||
    retryAfterSeconds === undefined ||
    cancelRelayTimeoutMs === undefined ||
    maxMessageSize === undefined ||
    connectTimeoutMs === undefined ||
    outboundIdleTimeoutMs === undefined ||
    maxHeaderLines === undefined ||
    maxConnectionsPerSource === undefined ||
    partialMessageTimeoutMs === undefined ||
    drainInDialogMs === undefined
  ) {
    return undefined;
  }
  const config: EdgeConfig = {
    listen: Object.freeze([...listen]),
    decisionTimeoutMs,
    retryAfterSeconds,
    cancelRelayTimeoutMs,
    maxMessageSize,
    connectTimeoutMs,
    outboundIdleTimeoutMs,
    maxHeaderLines,
    maxConnectionsPerSource,
    partialMessageTimeoutMs,
    drainInDialogMs,
    gatewayPing,
    rateLimit,
    bans,
  };
  return {
    // No `tls` key at all without a tls or wss listener: the common configuration stays as it was.
    config: Object.freeze({ ...config, ...(tls.tls === undefined ? {} : { tls: tls.tls }), ...(publicAddress === undefined ? {} : { publicAddress }) }),
    listenFrom,
  };
}

/** `edge.listen`: one comma-separated string, or a list of single entries. Absent → the default. */
function readListenValue(issues: IssueList, value: unknown, path: string): readonly ListenAddress[] | undefined {
  if (isAbsent(value)) return DEFAULT_EDGE_CONFIG.listen;
  if (typeof value === "string") return readListenSpec(issues, value, path);
  if (Array.isArray(value)) return readListenList(issues, value, path);
  issues.add(
    path,
    `expected a string like "udp:127.0.0.1:5060,tcp:127.0.0.1:5060" or a list of such entries, got ${describeValue(value)}`,
  );
  return undefined;
}


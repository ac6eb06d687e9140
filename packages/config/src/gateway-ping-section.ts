import type { GatewayPingConfig } from "./config.js";
import { DEFAULT_GATEWAY_PING } from "./defaults.js";
import { type IntRule, IssueList, keyPath, readIntSection, readMapping } from "./schema.js";

const MIN_INTERVAL_MS = 1000;

/*
 * edge.gatewayPing: how often each edge pings the trunks' gateways with OPTIONS and after how
 * many failed pings in a row a gateway is down (services/edge README "Gateway health").
 */

const GATEWAY_PING_RULES: { readonly [K in keyof GatewayPingConfig]: IntRule } = {
  intervalMs: {
    // 0: no pings (as Kamailio's ds_ping_interval 0). Otherwise at least a second (below).
    min: 0,
    max: 3_600_000,
    maxWhy: "an hour; a gateway pinged less often is not watched",
  },
  failuresBeforeDown: { min: 1, max: 100, maxWhy: "more would leave a dead gateway in use for hours" },
};

/** `edge.gatewayPing`; absent → the defaults. Undefined when a key is refused (issues say why). */
export function readGatewayPing(issues: IssueList, value: unknown, path: string): GatewayPingConfig | undefined {
  const m = readMapping(issues, value, path, Object.keys(GATEWAY_PING_RULES));
  const { intervalMs, failuresBeforeDown } = readIntSection(issues, m, path, GATEWAY_PING_RULES, DEFAULT_GATEWAY_PING).values;
  if (intervalMs !== undefined && intervalMs > 0 && intervalMs < MIN_INTERVAL_MS) {
    // Below a second the pings are traffic a carrier may rate-limit, for no faster detection than
    // calls already get from proxy.gatewayProvisionalTimeoutMs.
    issues.add(keyPath(path, "intervalMs"), `must be 0 (no pings) or >= ${MIN_INTERVAL_MS}, got ${intervalMs}`);
    return undefined;
  }
  if (intervalMs === undefined || failuresBeforeDown === undefined) return undefined;
  return Object.freeze({ intervalMs, failuresBeforeDown });
}

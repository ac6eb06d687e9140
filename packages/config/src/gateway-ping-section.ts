import type { GatewayPingConfig } from "./config.js";
import { DEFAULT_GATEWAY_PING } from "./defaults.js";
import { type IntRule, IssueList, readIntSection, readMapping } from "./schema.js";

/*
 * edge.gatewayPing: how often each edge pings the trunks' gateways with OPTIONS and after how
 * many failed pings in a row a gateway is down (services/edge README "Gateway health").
 */

const GATEWAY_PING_RULES: { readonly [K in keyof GatewayPingConfig]: IntRule } = {
  intervalMs: {
    // Below a second the pings are traffic the carrier may rate-limit, for no faster detection
    // than calls already get from proxy.gatewayProvisionalTimeoutMs.
    min: 1000,
    max: 3_600_000,
    maxWhy: "an hour; a gateway pinged less often is not watched",
  },
  failuresBeforeDown: { min: 1, max: 100, maxWhy: "more would leave a dead gateway in use for hours" },
};

/** `edge.gatewayPing`; absent → the defaults. Undefined when a key is refused (issues say why). */
export function readGatewayPing(issues: IssueList, value: unknown, path: string): GatewayPingConfig | undefined {
  const m = readMapping(issues, value, path, Object.keys(GATEWAY_PING_RULES));
  const { intervalMs, failuresBeforeDown } = readIntSection(issues, m, path, GATEWAY_PING_RULES, DEFAULT_GATEWAY_PING).values;
  if (intervalMs === undefined || failuresBeforeDown === undefined) return undefined;
  return Object.freeze({ intervalMs, failuresBeforeDown });
}

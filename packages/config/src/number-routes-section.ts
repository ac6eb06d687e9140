import type { NumberRoute, RouteTrunk } from "@sipfleet/trunks";
import { e164PrefixProblem } from "@sipfleet/trunks";
import { DEFAULT_TRUNK } from "./defaults.js";
import { readDigitsString } from "./dial-policy-section.js";
import { readRequiredString } from "./domains-section.js";
import { IssueList, indexPath, isAbsent, keyPath, readInt, readList, readMapping } from "./schema.js";
import { PRIORITY_RULE, WEIGHT_RULE } from "./trunks-section.js";

/*
 * numberRoutes[]: which trunks carry calls to numbers outside our users, by the longest
 * matching E.164 prefix; `default` (the same as `+`) catches every other number.
 */

const ROUTE_KEYS = ["prefix", "trunks"] as const;
const ROUTE_TRUNK_KEYS = ["trunk", "priority", "weight"] as const;

/** `default` in the file; `+` in the NumberRoute. */
export const DEFAULT_ROUTE_PREFIX = "default";

export interface NumberRouteEntry {
  readonly path: string;
  readonly route: NumberRoute;
  /** Key path of each trunk reference, for the check that it exists. */
  readonly trunkPaths: readonly string[];
}

export function readNumberRoutes(issues: IssueList, value: unknown): NumberRouteEntry[] | undefined {
  const list = readList(issues, value, "numberRoutes");
  if (list === undefined) return isAbsent(value) ? [] : undefined;
  const out: NumberRouteEntry[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  list.forEach((item, i) => {
    const entry = readRoute(issues, item, indexPath("numberRoutes", i));
    if (entry === undefined) {
      ok = false;
      return;
    }
    const first = seen.get(entry.route.prefix);
    if (first !== undefined) {
      const shown = entry.route.prefix === "+" ? `"+" (${DEFAULT_ROUTE_PREFIX})` : JSON.stringify(entry.route.prefix);
      issues.add(keyPath(entry.path, "prefix"), `duplicate of ${first}.prefix (${shown})`);
      ok = false;
      return;
    }
    seen.set(entry.route.prefix, entry.path);
    out.push(entry);
  });
  return ok ? out : undefined;
}

function readRoute(issues: IssueList, value: unknown, path: string): NumberRouteEntry | undefined {
  const before = issues.size;
  const m = readMapping(issues, value, path, ROUTE_KEYS);
  if (m === undefined) {
    if (isAbsent(value)) issues.add(path, "expected a mapping with prefix and trunks, got nothing");
    return undefined;
  }
  const prefixPath = keyPath(path, "prefix");
  if (isAbsent(m["prefix"])) issues.add(prefixPath, `required: an E.164 prefix ("+49") or ${DEFAULT_ROUTE_PREFIX}`);
  const written = readDigitsString(issues, m["prefix"], prefixPath);
  const prefix = written === DEFAULT_ROUTE_PREFIX ? "+" : written;
  if (prefix !== undefined && prefix !== "+") {
    const problem = e164PrefixProblem(prefix);
    if (problem !== undefined) issues.add(prefixPath, `${problem} (or ${DEFAULT_ROUTE_PREFIX})`);
  }
  const trunksPath = keyPath(path, "trunks");
  const trunks = readRouteTrunks(issues, m["trunks"], trunksPath);
  if (issues.size > before || prefix === undefined || trunks === undefined) return undefined;
  return {
    path,
    route: Object.freeze({ prefix, trunks: Object.freeze(trunks) }),
    trunkPaths: trunks.map((_, i) => keyPath(indexPath(trunksPath, i), "trunk")),
  };
}

function readRouteTrunks(issues: IssueList, value: unknown, path: string): RouteTrunk[] | undefined {
  if (isAbsent(value)) {
    issues.add(path, "required: list at least one trunk ({ trunk, priority, weight })");
    return undefined;
  }
  const list = readList(issues, value, path);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    issues.add(path, "must list at least one trunk");
    return undefined;
  }
  const out: RouteTrunk[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const itemPath = indexPath(path, i);
    const before = issues.size;
    const m = readMapping(issues, item, itemPath, ROUTE_TRUNK_KEYS);
    if (m === undefined) {
      if (isAbsent(item)) issues.add(itemPath, "expected a mapping with trunk, priority, weight, got nothing");
      ok = false;
      return;
    }
    const trunk = readRequiredString(issues, m["trunk"], keyPath(itemPath, "trunk"));
    const priority = readInt(issues, m["priority"], keyPath(itemPath, "priority"), PRIORITY_RULE) ?? DEFAULT_TRUNK.gatewayPriority;
    const weight = readInt(issues, m["weight"], keyPath(itemPath, "weight"), WEIGHT_RULE) ?? DEFAULT_TRUNK.gatewayWeight;
    if (trunk !== undefined && out.some((t) => t.trunk === trunk)) {
      issues.add(keyPath(itemPath, "trunk"), `${JSON.stringify(trunk)} is listed twice in this route`);
    }
    if (issues.size > before || trunk === undefined) {
      ok = false;
      return;
    }
    out.push(Object.freeze({ trunk, priority, weight }));
  });
  return ok ? out : undefined;
}

/*
 * Just enough PromQL reading to know which metrics and labels a dashboard query names. Grafana
 * variables ($var, ${var}, $__rate_interval) are left out: they are not metric names. A full
 * parser would be more exact; the dashboards keep to plain selectors, aggregations and functions.
 */

const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const MATCHERS = /\{([^}]*)\}/g;
const RANGE = /\[[^\]]*\]/g;
const GRAFANA_VARIABLE = /\$\{[^}]*\}|\$\w+/g;
// An identifier that is neither part of a number (1e9) nor a function call (rate(...)).
const IDENTIFIER = /(?<![\w.:$])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()/g;
const KEYWORDS: ReadonlySet<string> = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN"]);

/** Metric names a PromQL expression selects. */
export function metricNamesInExpr(expr: string): string[] {
  const bare = expr
    .replace(STRING, " ")
    .replace(MATCHERS, " ")
    .replace(RANGE, " ")
    .replace(GROUPING, " ")
    .replace(GRAFANA_VARIABLE, " ");
  return unique([...bare.matchAll(IDENTIFIER)].map((m) => m[1]!).filter((name) => !KEYWORDS.has(name)));
}

/** Label names a PromQL expression groups by or matches on (Grafana variables excluded). */
export function labelNamesInExpr(expr: string): string[] {
  const noStrings = expr.replace(STRING, '""');
  const names: string[] = [];
  for (const m of noStrings.matchAll(GROUPING)) names.push(...m[1]!.split(","));
  for (const m of noStrings.matchAll(MATCHERS)) {
    for (const matcher of m[1]!.split(",")) names.push(matcher.split(/=~|!~|!=|=/)[0]!);
  }
  return unique(names.map((n) => n.trim()).filter((n) => n !== "" && !n.startsWith("$")));
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

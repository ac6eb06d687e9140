import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import * as telemetry from "@sipfleet/telemetry";
import { METRIC_KINDS, RESOURCE_SERIES, prometheusLabelName, prometheusSeriesNames } from "./metric-kinds.js";
import { labelNamesInExpr, metricNamesInExpr } from "./promql.js";

/*
 * The dashboards query metrics by their Prometheus names; these tests derive those names from
 * the METRIC_* constants of @sipfleet/telemetry, so that renaming a metric there breaks here
 * rather than leaving an empty panel in production.
 */

const DASHBOARDS = new URL("../dashboards/", import.meta.url);
/** Labels Prometheus or the scrape config adds (docs/observability.md: job, service, pod...). */
const TARGET_LABELS = ["le", "job", "service", "instance", "pod", "namespace", "service_name"];

const KNOWN_SERIES: ReadonlySet<string> = new Set([
  ...Object.entries(telemetry)
    .filter(([key]) => key.startsWith("METRIC_"))
    .flatMap(([key, name]) => prometheusSeriesNames(name as string, METRIC_KINDS[key]?.kind ?? "gauge")),
  ...RESOURCE_SERIES,
]);
const KNOWN_LABELS: ReadonlySet<string> = new Set([
  ...Object.entries(telemetry)
    .filter(([key]) => key.startsWith("ATTR_"))
    .map(([, name]) => prometheusLabelName(name as string)),
  ...TARGET_LABELS,
]);

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  gridPos: { x: number; w: number };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
}
interface Dashboard {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboards: [string, Dashboard][] = readdirSync(DASHBOARDS)
  .filter((f) => f.endsWith(".json"))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, DASHBOARDS), "utf8")) as Dashboard]);

/** Every PromQL text of a dashboard, with where it is. */
function queries(dashboard: Dashboard): [string, string][] {
  const out: [string, string][] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) if (target.expr !== undefined) out.push([`panel "${panel.title}"`, target.expr]);
  }
  for (const variable of dashboard.templating.list) {
    const q = typeof variable.query === "string" ? variable.query : variable.query?.query;
    // label_values(metric, label): the metric is PromQL; the label is checked as a label.
    const m = variable.type === "query" && q !== undefined ? /^label_values\((.*),\s*([\w$]+)\s*\)$/.exec(q) : null;
    if (m !== null) out.push([`variable ${variable.name}`, `${m[1]} by (${m[2]})`]);
  }
  return out;
}

test("there are dashboards, with distinct uids", () => {
  assert.ok(dashboards.length >= 2, "expected the overview and tiers dashboards");
  assert.equal(new Set(dashboards.map(([, d]) => d.uid)).size, dashboards.length);
});

for (const [file, dashboard] of dashboards) {
  test(`${file}: every query names only metrics @sipfleet/telemetry exports (Prometheus form)`, () => {
    const unknown: string[] = [];
    const all = queries(dashboard);
    assert.ok(all.length > 0);
    for (const [where, expr] of all) {
      const names = metricNamesInExpr(expr);
      assert.ok(names.length > 0, `${where}: no metric found in ${expr}`);
      for (const name of names) if (!KNOWN_SERIES.has(name)) unknown.push(`${where}: ${name}`);
    }
    assert.deepEqual(unknown, []);
  });

  test(`${file}: every label is an attribute of @sipfleet/telemetry or a target label`, () => {
    const unknown: string[] = [];
    for (const [where, expr] of queries(dashboard)) {
      for (const label of labelNamesInExpr(expr)) if (!KNOWN_LABELS.has(label)) unknown.push(`${where}: ${label}`);
    }
    assert.deepEqual(unknown, []);
  });

  test(`${file}: Grafana shape (schema, datasource variable, panel ids, grid)`, () => {
    assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`);
    const ds = dashboard.templating.list.find((v) => v.name === "DS_PROMETHEUS");
    assert.equal(ds?.type, "datasource");
    assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, "panel ids must be unique");
    for (const panel of dashboard.panels) {
      assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `panel "${panel.title}" overflows the grid`);
      if (panel.type === "row") continue;
      assert.equal(panel.datasource?.uid, "${DS_PROMETHEUS}", `panel "${panel.title}"`);
      assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`);
      for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, "${DS_PROMETHEUS}", `panel "${panel.title}"`);
    }
  });
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { labelNamesInExpr, metricNamesInExpr } from "./promql.js";

test("metric names: selectors inside functions and aggregations, not the functions", () => {
  const expr = 'histogram_quantile(0.95, sum by (le, sip_method) (rate(sipfleet_edge_transaction_duration_bucket{namespace=~"$namespace", sip_method!="INVITE"}[$__rate_interval])))';
  assert.deepEqual(metricNamesInExpr(expr), ["sipfleet_edge_transaction_duration_bucket"]);
});

test("metric names: both sides of a binary operator, numbers and keywords left out", () => {
  const expr = "sum(rate(a_total[5m])) / sum(rate(b_total[5m])) * 1e3 > bool 0.5 and on (job) c_gauge offset 5m";
  assert.deepEqual(metricNamesInExpr(expr), ["a_total", "b_total", "c_gauge"]);
});

test("metric names: Grafana variables are not metrics", () => {
  assert.deepEqual(metricNamesInExpr('max by ($tier_label, ${pod_label}) (x{$tier_label=~"$tier"})'), ["x"]);
});

test("label names: grouping and matchers, variables left out", () => {
  const expr = 'sum by ($tier_label, error_type) (rate(m_total{namespace=~"a,b", outcome!="ok"}[1m]))';
  assert.deepEqual(labelNamesInExpr(expr).sort(), ["error_type", "namespace", "outcome"]);
});

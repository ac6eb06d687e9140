import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as telemetry from "@sipfleet/telemetry";
import { METRIC_KINDS, prometheusBaseName } from "./metric-kinds.js";

const GUIDE = new URL("../../../docs/observability.md", import.meta.url);

test("docs/observability.md lists every metric under its Prometheus name", () => {
  const guide = readFileSync(GUIDE, "utf8");
  const missing = Object.entries(telemetry)
    .filter(([key]) => key.startsWith("METRIC_"))
    .map(([key, name]) => prometheusBaseName(name as string) + (METRIC_KINDS[key]?.kind === "counter" ? "_total" : ""))
    .filter((name) => !guide.includes("`" + name));
  assert.deepEqual(missing, []);
});

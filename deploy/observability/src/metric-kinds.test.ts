import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import * as telemetry from "@sipfleet/telemetry";
import { METRIC_KINDS, prometheusSeriesNames } from "./metric-kinds.js";

const metricExports = Object.entries(telemetry).filter(([key]) => key.startsWith("METRIC_")) as [string, string][];

test("every METRIC_* export of @sipfleet/telemetry has a kind here, and nothing else does", () => {
  assert.deepEqual(metricExports.map(([key]) => key).sort(), Object.keys(METRIC_KINDS).sort());
});

test("/metrics shows each instrument under the Prometheus names the dashboards are checked against", async () => {
  const metrics = telemetry.startMetrics("sipfleet-observability-test");
  for (const [key, name] of metricExports) {
    const { kind, unit, runtime } = METRIC_KINDS[key]!;
    if (runtime) continue; // startMetrics registered it
    const options = unit === undefined ? {} : { unit };
    if (kind === "counter") metrics.meter.createCounter(name, options).add(1, { "sip.method": "INVITE" });
    else if (kind === "updowncounter") metrics.meter.createUpDownCounter(name, options).add(1);
    else if (kind === "histogram") metrics.meter.createHistogram(name, options).record(0.02, { "sip.method": "INVITE" });
    else metrics.meter.createGauge(name, options).record(1);
  }
  const server = createServer((req, res) => metrics.scrape(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const expected = metricExports.flatMap(([key, name]) => prometheusSeriesNames(name, METRIC_KINDS[key]!.kind));
  try {
    // The event-loop gauges appear once the delay monitor has a sample: scrape until it has.
    let exposed = new Set<string>();
    let body = "";
    for (let attempt = 0; attempt < 100 && !expected.every((n) => exposed.has(n)); attempt++) {
      if (attempt > 0) await sleep(20);
      body = await (await fetch(url)).text();
      exposed = new Set(body.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]!));
    }
    assert.deepEqual(expected.filter((n) => !exposed.has(n)), [], body);
    assert.match(body, /^target_info\{[^}]*service_name="sipfleet-observability-test"/m);
    assert.match(body, /^sipfleet_edge_requests_total\{sip_method="INVITE"\} 1/m);
  } finally {
    server.close();
    await metrics.shutdown();
  }
});

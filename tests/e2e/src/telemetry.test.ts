// Telemetry end to end in cluster mode (1 edge, 2 proxies, 1 registrar, 1 location replica): every
// process exports its spans over OTLP/HTTP JSON to a receiver in this test and serves Prometheus
// /metrics on its health server. sipp drives real SIP; the test checks that one REGISTER and one
// call each make one connected trace across the tiers (edge -> worker -> location -> Redis), and
// that the counters on /metrics agree with what sipp sent. Names come from semconv.ts.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ATTR_SIP_CALL_ID,
  METRIC_EDGE_CALLS_ANSWERED,
  METRIC_EDGE_CALLS_ATTEMPTED,
  METRIC_EDGE_DIALOGS_ACTIVE,
  METRIC_EDGE_REQUESTS,
  METRIC_EDGE_RESPONSES,
  METRIC_EDGE_TRANSACTION_DURATION,
  METRIC_EVENTLOOP_DELAY_P99,
  METRIC_LOCATION_OPERATIONS,
  METRIC_PROCESS_CPU_TIME,
  METRIC_PROXY_DECISIONS,
  METRIC_REGISTRAR_REGISTERS,
  locationSpanName,
  sipSpanName,
  workerSpanName,
} from "@sipfleet/telemetry";
import {
  describeSpans,
  freePort,
  hasSample,
  hasSipp,
  prometheusCounter,
  prometheusGauge,
  prometheusHistogramCount,
  runSipp,
  scrapeMetrics,
  startOtlpReceiver,
  sumSamples,
  type OtlpReceiver,
  type PrometheusSample,
  type ReceivedSpan,
} from "@sipfleet/testing";
import { as, CALL_SCENARIOS, runCallFlow, type CallFlowOutcome } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, OPEN_DOMAIN, SCENARIOS, sleep } from "./fixtures.js";
import { findSpanTree, describeSearch, isRedisSpan, spansOfTrace, type SpanStep } from "./span-trees.js";
import { listeningSipp, sippReport } from "./sipp-runs.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const EDGE = "sipfleet-edge";
const PROXY = "sipfleet-proxy";
const REGISTRAR = "sipfleet-registrar";
const LOCATION = "sipfleet-location";
/** How long spans may take to arrive: the batch processor exports every 200 ms here. */
const SPANS_WITHIN_MS = 15_000;

/** The trace id Sipfleet gives every transaction of a call (call-trace-ids.ts), computed here independently. */
function traceIdOf(callId: string): string {
  return createHash("sha256").update(callId).digest("hex").slice(0, 32);
}

describe("telemetry through cluster mode: OTLP traces and /metrics", { skip }, () => {
  let otlp: OtlpReceiver;
  let t: TestCluster;

  before(async () => {
    otlp = await startOtlpReceiver();
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 2, locations: 1 },
      // A call limit on alice: her calls take call slots (AcquireCallSlots) and every ended call
      // frees its slots (ReleaseCallSlots), both unary RPCs the grpc-js instrumentation traces.
      { algorithms: ["MD5", "SHA-256"], userYaml: { alice: "        maxConcurrentCalls: 5" } },
      {
        healthServers: true,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          OTEL_TRACES_SAMPLER: "always_on",
          OTEL_BSP_SCHEDULE_DELAY: "200",
        },
      },
    );
  });
  after(async () => {
    await t?.stop();
    await otlp?.stop();
  });

  const edge = (): string => `127.0.0.1:${t.edgePorts[0]}`;
  const logTail = (): string => `--- cluster:\n${t.logs.slice(-40).join("\n")}`;
  /** Waits for a span tree; fails with the missing link, what arrived and the cluster's log. */
  const waitForTree = async (steps: readonly SpanStep[], scope: (spans: readonly ReceivedSpan[]) => readonly ReceivedSpan[] = (s) => s): Promise<readonly ReceivedSpan[]> => {
    try {
      await otlp.waitFor((spans) => findSpanTree(scope(spans), steps).found !== undefined, SPANS_WITHIN_MS);
    } catch (e) {
      const spans = scope(otlp.spans());
      assert.fail(`${describeSearch(findSpanTree(spans, steps), describeSpans(spans))}\n${(e as Error).message.split("\n")[0]}\n${logTail()}`);
    }
    return findSpanTree(scope(otlp.spans()), steps).found!;
  };

  // One call, shared by the tests that need one: alice (digest) calls bob, who answers, then alice
  // hangs up. The Call-ID is ours (-cid_str), so the trace id is known before the call.
  let call: Promise<{ callId: string; outcome: CallFlowOutcome }> | undefined;
  const placeCall = (): Promise<{ callId: string; outcome: CallFlowOutcome }> =>
    (call ??= (async () => {
      const callId = `otel-call-${randomBytes(6).toString("hex")}@127.0.0.1`;
      const outcome = await runCallFlow({
        proxy: { host: "127.0.0.1", port: t.edgePorts[0]! },
        uac: { ...as("alice", "uac-call-bye.xml", 300), callee: "bob", args: ["-cid_str", callId] },
        uas: [as("bob", "uas-answer.xml")],
      });
      return { callId, outcome };
    })());

  it("every process serves /metrics on its health server, with CPU time and event-loop delay", async () => {
    assert.equal(t.cluster.processes.length, 5);
    await sleep(200); // the event-loop delay gauges report once the histogram has a sample (10 ms resolution)
    for (const p of t.cluster.processes) {
      assert.ok(p.healthAddress !== undefined, `${p.name}: a health address`);
      const samples = await scrapeMetrics(p.healthAddress);
      assert.ok(sumSamples(samples, prometheusCounter(METRIC_PROCESS_CPU_TIME)) > 0, `${p.name}: ${prometheusCounter(METRIC_PROCESS_CPU_TIME)}`);
      assert.ok(hasSample(samples, prometheusGauge(METRIC_EVENTLOOP_DELAY_P99)), `${p.name}: ${prometheusGauge(METRIC_EVENTLOOP_DELAY_P99)}`);
    }
  });

  it("every process answers /readyz 200 with each of its checks passing, and /livez 200", async () => {
    const expected: Record<string, string[]> = { edge: ["nats"], proxy: ["nats", "location"], registrar: ["nats", "location"], location: ["redis"] };
    for (const p of t.cluster.processes) {
      const ready = await fetch(`http://${p.healthAddress!}/readyz`);
      const body = (await ready.json()) as { status: string; checks: Record<string, boolean> };
      assert.equal(ready.status, 200, `${p.name}: ${JSON.stringify(body)}`);
      assert.deepEqual(Object.keys(body.checks).sort(), [...expected[p.tier]!].sort(), `${p.name}: its checks`);
      assert.ok(Object.values(body.checks).every((ok) => ok), `${p.name}: ${JSON.stringify(body.checks)}`);
      assert.equal((await fetch(`http://${p.healthAddress!}/livez`)).status, 200, `${p.name}: /livez`);
    }
  });

  it("spans reach the receiver over OTLP/HTTP JSON: a List RPC's gRPC server span in the location service, its Redis commands under it", async () => {
    await t.client.list(10, undefined);
    const [server, redis] = await waitForTree([
      { label: "location gRPC List (server)", service: LOCATION, name: (n) => n.endsWith("/List"), kind: "SERVER", where: (s) => s.attributes["rpc.method"] === "List" },
      { label: "Redis command", service: LOCATION, name: () => true, parent: 0, where: isRedisSpan },
    ]);
    assert.equal(server?.attributes["rpc.system"], "grpc");
    assert.equal(redis?.kind, "CLIENT");
    assert.deepEqual(otlp.rejected(), []);
  });

  it("one REGISTER, one trace: edge SIP REGISTER -> registrar REGISTER -> location Save (client, server) -> Redis", async () => {
    const prefix = `otel-register-${randomBytes(6).toString("hex")}-`;
    const r = await runSipp({
      scenario: join(SCENARIOS, "register-digest.xml"),
      target: edge(),
      inject: [["alice", DIGEST_DOMAIN, "-", "300"]],
      calls: 1,
      args: ["-au", "alice", "-ap", "alice-secret", "-cid_str", `${prefix}%u`],
      timeoutMs: 15_000,
    });
    assert.equal(r.exitCode, 0, sippReport([r], t.logs));
    // The 401 and the authenticated REGISTER are two transactions, two traces; the second saves.
    const [edgeSpan, registrar, , , redis] = await waitForTree([
      {
        label: `edge ${sipSpanName("REGISTER")} (server)`,
        service: EDGE,
        name: sipSpanName("REGISTER"),
        kind: "SERVER",
        parent: "root",
        where: (s) => String(s.attributes[ATTR_SIP_CALL_ID] ?? "").startsWith(prefix),
      },
      { label: `registrar ${workerSpanName("registrar", "REGISTER")}`, service: REGISTRAR, name: workerSpanName("registrar", "REGISTER"), parent: 0 },
      { label: `registrar ${locationSpanName("Save")} (client)`, service: REGISTRAR, name: locationSpanName("Save"), kind: "CLIENT", parent: 1 },
      { label: `location ${locationSpanName("Save")} (server)`, service: LOCATION, name: locationSpanName("Save"), kind: "SERVER", parent: 2 },
      { label: "Redis command under the Save", service: LOCATION, name: () => true, parent: 3, where: isRedisSpan },
    ]);
    assert.equal(edgeSpan?.traceId, registrar?.traceId);
    assert.equal(redis?.traceId, edgeSpan?.traceId);
  });

  it("one call, one trace (id from the Call-ID): INVITE through edge, proxy, location and Redis, its ACK and BYE in the same trace", async () => {
    const { callId, outcome } = await placeCall();
    assert.ok(outcome.ok, `${outcome.report}\n${logTail()}`);
    const traceId = traceIdOf(callId);
    const inTrace = (spans: readonly ReceivedSpan[]): readonly ReceivedSpan[] => spansOfTrace(spans, traceId);
    const invite: SpanStep[] = [
      {
        label: `edge ${sipSpanName("INVITE")} (server)`,
        service: EDGE,
        name: sipSpanName("INVITE"),
        kind: "SERVER",
        parent: "root",
        where: (s) => s.attributes[ATTR_SIP_CALL_ID] === callId,
      },
      { label: `proxy ${workerSpanName("proxy", "INVITE")}`, service: PROXY, name: workerSpanName("proxy", "INVITE"), parent: 0 },
      { label: `proxy ${locationSpanName("Lookup")} (client)`, service: PROXY, name: locationSpanName("Lookup"), kind: "CLIENT", parent: 1 },
      { label: `location ${locationSpanName("Lookup")} (server)`, service: LOCATION, name: locationSpanName("Lookup"), kind: "SERVER", parent: 2 },
      { label: "Redis command under the Lookup", service: LOCATION, name: () => true, parent: 3, where: isRedisSpan },
      { label: `edge ${sipSpanName("INVITE")} (client branch to bob)`, service: EDGE, name: sipSpanName("INVITE"), kind: "CLIENT", parent: 0 },
    ];
    const [server] = await waitForTree(invite, inTrace);
    assert.equal(server?.traceId, traceId);
    await waitForTree(
      [
        { label: `edge ${sipSpanName("BYE")} (server)`, service: EDGE, name: sipSpanName("BYE"), kind: "SERVER", parent: "root", where: (s) => s.attributes[ATTR_SIP_CALL_ID] === callId },
        { label: `proxy ${workerSpanName("proxy", "BYE")}`, service: PROXY, name: workerSpanName("proxy", "BYE"), parent: 0 },
        { label: `edge ${sipSpanName("BYE")} (client branch to bob)`, service: EDGE, name: sipSpanName("BYE"), kind: "CLIENT", parent: 0 },
      ],
      inTrace,
    );
    await waitForTree([{ label: `edge ${sipSpanName("ACK")}`, service: EDGE, name: sipSpanName("ACK"), where: (s) => s.attributes[ATTR_SIP_CALL_ID] === callId }], inTrace);
  });

  it("unary location RPCs carry trace context across processes: the proxy's ReleaseCallSlots client span parents the location's server span", async () => {
    // An ended call frees its call slots: a proxy worker calls ReleaseCallSlots (unary, traced by
    // the grpc-js instrumentation) when the call's ENDED event reaches it.
    const { outcome } = await placeCall();
    assert.ok(outcome.ok, `${outcome.report}\n${logTail()}`);
    const [client, server] = await waitForTree([
      { label: "proxy gRPC ReleaseCallSlots (client)", service: PROXY, name: (n) => n.endsWith("/ReleaseCallSlots"), kind: "CLIENT" },
      { label: "location gRPC ReleaseCallSlots (server)", service: LOCATION, name: (n) => n.endsWith("/ReleaseCallSlots"), kind: "SERVER", parent: 0 },
      { label: "Redis command under it", service: LOCATION, name: () => true, parent: 1, where: isRedisSpan },
    ]);
    assert.equal(client?.traceId, server?.traceId);
  });

  it("after N REGISTERs and M calls, the counters on /metrics agree with what sipp sent", async (ctx) => {
    const N = 10; // digest REGISTERs: each is REGISTER -> 401, REGISTER -> 200
    const M = 6; // calls without a challenge: INVITE -> 180, 200; ACK; BYE -> 200
    const callee = `otel-callee-${randomBytes(3).toString("hex")}`;
    const calleePort = await freePort();
    // The callee registers and listens before the first scrape: only the load is counted.
    const registered = await runSipp({
      scenario: join(CALL_SCENARIOS, "register.xml"),
      target: edge(),
      inject: [[callee, OPEN_DOMAIN, "300"]],
      calls: 1,
      localPort: calleePort,
      timeoutMs: 10_000,
    });
    assert.equal(registered.exitCode, 0, sippReport([registered], t.logs));
    const answering = await listeningSipp(
      { scenario: join(CALL_SCENARIOS, "uas-load-answer.xml"), target: edge(), calls: M, localPort: calleePort, timeoutMs: 60_000 },
      "the callee's sipp",
    );

    const before = await scrapeAll();
    const [registers, calls] = await Promise.all([
      runSipp({
        scenario: join(SCENARIOS, "register-digest.xml"),
        target: edge(),
        inject: [["carol", DIGEST_DOMAIN, "-", "300"]],
        calls: N,
        rate: 5,
        args: ["-au", "carol", "-ap", "carol-secret"],
        timeoutMs: 30_000,
      }),
      runSipp({
        scenario: join(CALL_SCENARIOS, "uac-load-call.xml"),
        target: edge(),
        inject: [["otel-caller", OPEN_DOMAIN, callee]],
        calls: M,
        rate: 3,
        args: ["-d", "100"],
        timeoutMs: 30_000,
      }),
    ]);
    const uas = await answering.run;
    assert.equal(registers.successfulCalls, N, sippReport([registers], t.logs));
    assert.equal(calls.successfulCalls, M, sippReport([calls, uas], t.logs));

    const expected: Record<string, number> = {
      "edge requests REGISTER": 2 * N,
      "edge requests INVITE": M,
      "edge requests BYE": M,
      "edge responses REGISTER 4xx": N,
      "edge responses REGISTER 2xx": N,
      "edge responses INVITE 2xx": M,
      "edge responses BYE 2xx": M,
      "edge transaction duration count INVITE 2xx": M,
      "edge calls attempted": M,
      "edge calls answered": M,
      "edge dialogs active (all ended)": 0,
      "registrar registers 4xx": N,
      "registrar registers 2xx": N,
      "proxy decisions INVITE": M,
      "proxy decisions INVITE forward": M,
      "proxy decisions BYE": M,
      "location operations save ok": N,
      "location operations lookup ok": M,
    };
    // Counters are recorded as the answers go out; the last few may trail sipp's exit a little.
    let got: Record<string, number> = {};
    let after: Scrapes = before;
    for (const deadline = Date.now() + 5_000; ; await sleep(250)) {
      after = await scrapeAll();
      got = deltas(before, after);
      if (JSON.stringify(got) === JSON.stringify(expected) || Date.now() > deadline) break;
    }
    for (const [what, n] of Object.entries(got)) ctx.diagnostic(`${what}: ${n}`);
    assert.deepEqual(got, expected, logTail());
    assert.ok(hasSample(after.get("edge") ?? [], prometheusGauge(METRIC_EDGE_DIALOGS_ACTIVE)), `${prometheusGauge(METRIC_EDGE_DIALOGS_ACTIVE)} on the edge`);
    for (const p of t.cluster.processes) {
      const samples = after.get(p.name) ?? [];
      assert.ok(hasSample(samples, prometheusGauge(METRIC_EVENTLOOP_DELAY_P99)), `${p.name}: ${prometheusGauge(METRIC_EVENTLOOP_DELAY_P99)}`);
    }
  });

  /** Samples per process name and per tier (every process of the tier concatenated: sums add up over proxies). */
  type Scrapes = Map<string, PrometheusSample[]>;
  async function scrapeAll(): Promise<Scrapes> {
    const out: Scrapes = new Map();
    for (const p of t.cluster.processes) {
      assert.ok(p.healthAddress !== undefined, `${p.name} is running with a health server`);
      const samples = await scrapeMetrics(p.healthAddress);
      out.set(p.name, samples);
      out.set(p.tier, [...(out.get(p.tier) ?? []), ...samples]);
    }
    return out;
  }

  /** The change of each counter the load test checks, named as in its `expected`. */
  function deltas(before: Scrapes, after: Scrapes): Record<string, number> {
    const d = (tier: string, name: string, labels: Record<string, string> = {}): number =>
      sumSamples(after.get(tier) ?? [], name, labels) - sumSamples(before.get(tier) ?? [], name, labels);
    const requests = prometheusCounter(METRIC_EDGE_REQUESTS);
    const responses = prometheusCounter(METRIC_EDGE_RESPONSES);
    const decisions = prometheusCounter(METRIC_PROXY_DECISIONS);
    const registers = prometheusCounter(METRIC_REGISTRAR_REGISTERS);
    const operations = prometheusCounter(METRIC_LOCATION_OPERATIONS);
    return {
      "edge requests REGISTER": d("edge", requests, { "sip.method": "REGISTER" }),
      "edge requests INVITE": d("edge", requests, { "sip.method": "INVITE" }),
      "edge requests BYE": d("edge", requests, { "sip.method": "BYE" }),
      "edge responses REGISTER 4xx": d("edge", responses, { "sip.method": "REGISTER", "sip.status_class": "4xx" }),
      "edge responses REGISTER 2xx": d("edge", responses, { "sip.method": "REGISTER", "sip.status_class": "2xx" }),
      "edge responses INVITE 2xx": d("edge", responses, { "sip.method": "INVITE", "sip.status_class": "2xx" }),
      "edge responses BYE 2xx": d("edge", responses, { "sip.method": "BYE", "sip.status_class": "2xx" }),
      "edge transaction duration count INVITE 2xx": d("edge", prometheusHistogramCount(METRIC_EDGE_TRANSACTION_DURATION), { "sip.method": "INVITE", "sip.status_class": "2xx" }),
      "edge calls attempted": d("edge", prometheusCounter(METRIC_EDGE_CALLS_ATTEMPTED)),
      "edge calls answered": d("edge", prometheusCounter(METRIC_EDGE_CALLS_ANSWERED)),
      "edge dialogs active (all ended)": d("edge", prometheusGauge(METRIC_EDGE_DIALOGS_ACTIVE)),
      "registrar registers 4xx": d("registrar", registers, { "sip.status_class": "4xx" }),
      "registrar registers 2xx": d("registrar", registers, { "sip.status_class": "2xx" }),
      "proxy decisions INVITE": d("proxy", decisions, { "sip.method": "INVITE" }),
      "proxy decisions INVITE forward": d("proxy", decisions, { "sip.method": "INVITE", "sip.decision": "forward" }),
      "proxy decisions BYE": d("proxy", decisions, { "sip.method": "BYE" }),
      "location operations save ok": d("location", operations, { "sipfleet.location.op": "save", outcome: "ok" }),
      "location operations lookup ok": d("location", operations, { "sipfleet.location.op": "lookup", outcome: "ok" }),
    };
  }
});

// Calls through cluster mode (issue 4): 2 edges, 2 proxy workers, 2 registrars and 2 location
// replicas on a test-owned NATS and Redis. The RFC 3665 §3 flows the Kamailio reference carries
// (call-scenarios.test.ts) must pass through Sipfleet unchanged, with every callee registered
// through the second edge and every caller calling through the first: the call crosses edges
// (architecture invariant 1) in both directions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hasSipp } from "@sipfleet/testing";
import { CALL_FLOWS, runCallFlow } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

describe("call flows through cluster mode (RFC 3665 §3)", { skip }, () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ edges: 2, registrars: 2, proxies: 2, locations: 2 }, { algorithms: ["MD5", "SHA-256"] });
  });
  after(async () => {
    await t?.stop();
  });

  for (const [name, flow] of CALL_FLOWS) {
    it(name, async () => {
      const edge1 = { host: "127.0.0.1", port: t.edgePorts[0] as number };
      const edge2 = { host: "127.0.0.1", port: t.edgePorts[1] as number };
      const result = await runCallFlow({ ...flow, proxy: edge1, uas: flow.uas?.map((p) => ({ ...p, via: edge2 })) });
      assert.ok(result.ok, `${result.report}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`);
      const callees = flow.uas?.length ?? 0;
      assert.equal(result.runs.length, 1 + 3 * callees);
    });
  }
});

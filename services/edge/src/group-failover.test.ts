import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { Forward_Failover } from "@sipfleet/proto";
import { failsOver, knownFailover } from "./group-failover.js";
import type { BranchOutcome } from "./response-selection.js";

const outcomes = (...statuses: number[]): BranchOutcome[] => statuses.map((status) => ({ status, response: undefined }));
const { FAILOVER_UNSPECIFIED, FAILOVER_ANY_FAILURE, FAILOVER_SERVER_FAILURE } = Forward_Failover;

describe("failsOver: does a group that ended without a 2xx let the next one start", () => {
  it("unset and any failure: every outcome goes on (serial forking by q)", () => {
    for (const rule of [FAILOVER_UNSPECIFIED, FAILOVER_ANY_FAILURE]) {
      for (const s of [302, 404, 408, 430, 486, 500, 503]) assert.equal(failsOver(rule, outcomes(s)), true, `${rule} ${s}`);
    }
  });

  it("server failure: 408 and 5xx go on, a group with no final response counts as 408", () => {
    for (const s of [408, 500, 502, 503, 504, 599]) assert.equal(failsOver(FAILOVER_SERVER_FAILURE, outcomes(s)), true, String(s));
    assert.equal(failsOver(FAILOVER_SERVER_FAILURE, []), true);
  });

  it("server failure: 3xx, other 4xx (430 Flow Failed included) and 6xx stop", () => {
    for (const s of [302, 404, 430, 484, 486, 487, 603]) assert.equal(failsOver(FAILOVER_SERVER_FAILURE, outcomes(s)), false, String(s));
  });

  it("server failure: a parallel group is judged on its best response (§16.7 step 6)", () => {
    // 404 is of a lower class than 503: the group's answer is 404, the callee's, so it stops.
    assert.equal(failsOver(FAILOVER_SERVER_FAILURE, outcomes(503, 404)), false);
    assert.equal(failsOver(FAILOVER_SERVER_FAILURE, outcomes(503, 408)), true);
    assert.equal(failsOver(FAILOVER_SERVER_FAILURE, outcomes(503, 603)), false);
  });

  it("only the rules of decision.proto are known", () => {
    assert.equal(knownFailover(FAILOVER_SERVER_FAILURE), true);
    assert.equal(knownFailover(3 as Forward_Failover), false);
    assert.throws(() => failsOver(3 as Forward_Failover, []), /unknown failover rule/);
  });
});

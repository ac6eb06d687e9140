import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHECKED_SIP_PARAMS, checkSipParam } from "./sip-uri.js";

// The fast path validates only the names in CHECKED_SIP_PARAMS; checkSipParam must check exactly those.
describe("CHECKED_SIP_PARAMS", () => {
  it("lists exactly the parameters checkSipParam has rules for", () => {
    const probes = ["transport", "user", "method", "ttl", "maddr", "lr", "x", "foo", "comp", "sigcomp-id", "gr", "ob"];
    for (const name of probes) {
      const checked = checkSipParam(name, null) !== undefined || checkSipParam(name, "\u0000bad value") !== undefined;
      assert.equal(checked, CHECKED_SIP_PARAMS.includes(name), name);
    }
  });
});

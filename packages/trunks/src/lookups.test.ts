import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { trunk } from "./fixtures.js";
import { longestPrefixRoute, numberOwner } from "./lookups.js";
import type { NumberRoute } from "./types.js";

function route(prefix: string, trunkName: string): NumberRoute {
  return { prefix, trunks: [{ trunk: trunkName, priority: 1, weight: 1 }] };
}

describe("longestPrefixRoute", () => {
  const routes = [route("+", "default"), route("+4930", "berlin"), route("+49", "germany"), route("+493012", "office")];

  it("picks the longest prefix the number starts with", () => {
    assert.equal(longestPrefixRoute(routes, "+4930123456")?.prefix, "+493012");
    assert.equal(longestPrefixRoute(routes, "+4930999999")?.prefix, "+4930");
    assert.equal(longestPrefixRoute(routes, "+4989123456")?.prefix, "+49");
    assert.equal(longestPrefixRoute(routes, "+442079460000")?.prefix, "+");
  });

  it("returns undefined when no route matches and there is no default", () => {
    assert.equal(longestPrefixRoute(routes.slice(1), "+442079460000"), undefined);
  });
});

describe("numberOwner", () => {
  const trunks = [
    trunk("a", { numbers: [["+4930123400", "+4930123499", "alice"]] }),
    trunk("b", { numbers: [["+4930123500", "+4930123500", "bob"]] }),
  ];

  it("finds the trunk and owners of a number in a range or a single DID", () => {
    assert.equal(numberOwner(trunks, "+4930123400")?.trunk.name, "a");
    assert.equal(numberOwner(trunks, "+4930123499")?.assignment.owners[0]?.user, "alice");
    assert.equal(numberOwner(trunks, "+4930123500")?.trunk.name, "b");
  });

  it("does not match outside the block or a number of another length", () => {
    assert.equal(numberOwner(trunks, "+4930123501"), undefined);
    assert.equal(numberOwner(trunks, "+493012340"), undefined, "shorter: another number");
    assert.equal(numberOwner(trunks, "+49301234000"), undefined, "longer: another number");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { destinationAllowed, normalizeNumber, stripSeparators } from "./dial-plan.js";

const germany = {
  dialPlan: [
    { match: "0", replace: "+49" },
    { match: "00", replace: "+" },
  ],
  blockedPrefixes: ["+", "+49900", "+49137"],
  allowedPrefixes: ["+49"],
};

describe("stripSeparators", () => {
  it("drops RFC 3966 visual separators and nothing else", () => {
    assert.equal(stripSeparators("+49-30-(123).400"), "+4930123400");
    assert.equal(stripSeparators("+49 30/12*#"), "+49 30/12*#");
  });
});

describe("normalizeNumber", () => {
  it("applies the longest matching rule whatever the order written", () => {
    assert.equal(normalizeNumber(germany, "030123456"), "+4930123456");
    assert.equal(normalizeNumber(germany, "00442079460000"), "+442079460000");
  });

  it("keeps a number already in E.164 and drops RFC 3966 visual separators", () => {
    assert.equal(normalizeNumber(germany, "+49-30-(123).456"), "+4930123456");
  });

  it("returns undefined for what is not a routable number", () => {
    assert.equal(normalizeNumber(germany, "alice"), undefined);
    assert.equal(normalizeNumber(germany, "123"), undefined, "no rule matches");
    assert.equal(normalizeNumber(germany, "+0301"), undefined, "country code starting with 0");
    assert.equal(normalizeNumber(germany, "+1234567890123456"), undefined, "16 digits");
    assert.equal(normalizeNumber(germany, "0*31"), undefined);
    assert.equal(normalizeNumber({ dialPlan: [] }, "030123456"), undefined);
  });

  it("refuses what a rule turns into something that is not E.164", () => {
    assert.equal(normalizeNumber(germany, "000123"), undefined, "00 then 0: +0123");
  });
});

describe("destinationAllowed", () => {
  const plain = { allowedDestinations: [] };

  it("lets national numbers through and blocks international and premium-rate ones", () => {
    assert.equal(destinationAllowed(plain, germany, "+4930123456"), true);
    assert.equal(destinationAllowed(plain, germany, "+442079460000"), false);
    assert.equal(destinationAllowed(plain, germany, "+49900123456"), false);
    assert.equal(destinationAllowed(plain, germany, "+49137123456"), false);
  });

  it("lets a user call what its allowedDestinations list, the longest prefix deciding", () => {
    const international = { allowedDestinations: ["+"] };
    assert.equal(destinationAllowed(international, germany, "+442079460000"), true);
    assert.equal(destinationAllowed(international, germany, "+49900123456"), false, "a longer block still wins");
    const premium = { allowedDestinations: ["+49900"] };
    assert.equal(destinationAllowed(premium, germany, "+49900123456"), true, "equal length: the allowance wins");
    assert.equal(destinationAllowed(premium, germany, "+49137123456"), false);
  });

  it("allows everything when nothing is blocked", () => {
    assert.equal(destinationAllowed(plain, { blockedPrefixes: [], allowedPrefixes: [] }, "+442079460000"), true);
  });
});

import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parseUri } from "@sipfleet/sip";
import { addressOfRecord, userAddressOfRecord } from "./address-of-record.js";

describe("addressOfRecord (RFC 3261 §10.3 step 5)", () => {
  it("drops parameters, unescapes the user, lower-cases the domain and folds sips to sip", () => {
    assert.deepEqual(addressOfRecord(parseUri("sips:Al%69ce@SipFleet.Local:5061;transport=tls;user=ip")), {
      aor: "sip:Alice@sipfleet.local",
      user: "Alice",
      domain: "sipfleet.local",
    });
  });
  it("has none for a URI without a user or of another scheme", () => {
    assert.equal(addressOfRecord(parseUri("sip:sipfleet.local")), undefined);
    assert.equal(addressOfRecord(parseUri("tel:+15551234")), undefined);
  });
  it("keys a user in a chosen domain the same way", () => {
    assert.deepEqual(userAddressOfRecord("bob", "SIPFLEET.local"), addressOfRecord(parseUri("sip:bob@sipfleet.local")));
  });
});

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { grandstreamConfig } from "./grandstream.js";
import { linphoneConfig } from "./linphone.js";
import { polycomAccountConfig, polycomMasterConfig } from "./polycom.js";
import { snomConfig } from "./snom.js";
import { FULL_ACCOUNT, GS_MAC, LINPHONE_TOKEN, POLY_MAC, SNOM_MAC, YEALINK_MAC } from "./test-accounts.js";
import { yealinkConfig } from "./yealink.js";

// Goldens live in packages/provisioning/fixtures (this file runs from dist/).
// UPDATE_GOLDEN=1 rewrites them; review the diff before committing.
const FIXTURES = new URL("../fixtures/", import.meta.url);

const CASES = [
  ["yealink", () => yealinkConfig(FULL_ACCOUNT, YEALINK_MAC), "0015651234ab.cfg", "text/plain; charset=utf-8"],
  ["polycom master", () => polycomMasterConfig(POLY_MAC), "0004f2abcdef.cfg", "application/xml; charset=utf-8"],
  ["polycom account", () => polycomAccountConfig(FULL_ACCOUNT, POLY_MAC), "0004f2abcdef-sipfleet.cfg", "application/xml; charset=utf-8"],
  ["grandstream", () => grandstreamConfig(FULL_ACCOUNT, GS_MAC), "cfg000b82123456.xml", "application/xml; charset=utf-8"],
  ["snom", () => snomConfig(FULL_ACCOUNT, SNOM_MAC), "snom-0004132ABCDE.xml", "application/xml; charset=utf-8"],
  ["linphone", () => linphoneConfig(FULL_ACCOUNT, LINPHONE_TOKEN), `${LINPHONE_TOKEN}.xml`, "application/xml; charset=utf-8"],
] as const;

for (const [name, generate, fileName, contentType] of CASES) {
  test(`${name}: byte-for-byte golden ${fileName}`, () => {
    const file = generate();
    assert.equal(file.fileName, fileName);
    assert.equal(file.contentType, contentType);
    const golden = new URL(fileName, FIXTURES);
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, file.body);
    assert.equal(file.body, readFileSync(golden, "utf8"));
  });
}

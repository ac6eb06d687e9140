import assert from "node:assert/strict";
import { test } from "node:test";
import { macColons, macUpper, parseMac } from "./mac.js";
import { deviceFamilyFromUserAgent, routeProvisioningPath } from "./router.js";

test("parseMac accepts the common spellings and yields twelve lowercase hex digits", () => {
  for (const input of ["00:15:65:12:34:ab", "00-15-65-12-34-AB", "0015651234AB", "0015651234ab", "0015.6512.34ab", "00:15:65:12:34:Ab"]) {
    assert.equal(parseMac(input), "0015651234ab", input);
  }
  assert.equal(macUpper(parseMac("00:04:13:2a:bc:de")!), "0004132ABCDE");
  assert.equal(macColons(parseMac("0004132abcde")!), "00:04:13:2a:bc:de");
});

test("parseMac refuses malformed, mixed-separator, zero, broadcast and multicast addresses", () => {
  for (const input of ["", "0015651234a", "0015651234abc", "00:15:65-12:34:ab", "00:15:65:12:34:ag", "00:15:65:12:34:ab\n", " 0015651234ab", "000000000000", "ffffffffffff", "01005e000001", "0:15:65:12:34:ab", "00::15:65:12:34"]) {
    assert.equal(parseMac(input), undefined, JSON.stringify(input));
  }
});

const YEALINK_UA = "Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56";
const POLY_UA = "FileTransport PolycomVVX-VVX_411-UA/6.3.1.8427";
const GS_UA = "Grandstream Model HW GXP2170 SW 1.0.11.6 DevId 000b82123456";
const SNOM_UA = "Mozilla/4.0 (compatible; snom370-SIP 8.7.5.35 1.1.5-IFX-05.01.12)";

const TABLE: Array<[string, string | undefined, unknown]> = [
  ["/0015651234ab.cfg", undefined, { family: "yealink", mac: "0015651234ab" }],
  ["/0015651234AB.cfg", undefined, { family: "yealink", mac: "0015651234ab" }],
  ["/prov/805ec0123456.cfg?x=1", undefined, { family: "yealink", mac: "805ec0123456" }],
  ["/0004f2abcdef.cfg", undefined, { family: "polycom", mac: "0004f2abcdef", file: "master" }],
  ["/0004f2abcdef-sipfleet.cfg", undefined, { family: "polycom", mac: "0004f2abcdef", file: "account" }],
  // The User-Agent wins over the OUI table, and routes an OUI the table does not know.
  ["/a0b1c2d3e4f6.cfg", POLY_UA, { family: "polycom", mac: "a0b1c2d3e4f6", file: "master" }],
  ["/a0b1c2d3e4f6.cfg", YEALINK_UA, { family: "yealink", mac: "a0b1c2d3e4f6" }],
  ["/a0b1c2d3e4f6.cfg", undefined, undefined],
  ["/0015651234ab.cfg", GS_UA, undefined], // a Grandstream never asks for <mac>.cfg
  ["/cfg000b82123456.xml", undefined, { family: "grandstream", mac: "000b82123456" }],
  ["/cfg000B82123456.xml", GS_UA, { family: "grandstream", mac: "000b82123456" }],
  ["/snom-0004132ABCDE.xml", undefined, { family: "snom", mac: "0004132abcde" }],
  ["/snom370-0004132ABCDE.htm", SNOM_UA, { family: "snom", mac: "0004132abcde" }],
  ["/linphone/tok_3fA9-xYz0123456789.xml", undefined, { family: "linphone", token: "tok_3fA9-xYz0123456789" }],
  ["/p/linphone/tok_3fA9-xYz0123456789.xml", undefined, { family: "linphone", token: "tok_3fA9-xYz0123456789" }],
  ["/linphone/short.xml", undefined, undefined],
  ["/linphone/tok_3fA9-xYz0123456789.xml/../x", undefined, undefined],
  ["/000000000000.cfg", undefined, undefined],
  ["/cfg000000000000.xml", undefined, undefined],
  ["/cfg.xml", undefined, undefined],
  ["/../0015651234ab.cfg", undefined, undefined],
  ["/%30015651234ab.cfg", undefined, undefined],
  ["/0015651234ab.cfg.bak", undefined, undefined],
  ["/0015651234ab.xml", undefined, undefined],
  ["/index.html", undefined, undefined],
  ["", undefined, undefined],
];

for (const [path, ua, expected] of TABLE) {
  test(`route ${JSON.stringify(path)}${ua ? ` (${ua.split(" ")[0]})` : ""}`, () => {
    assert.deepEqual(routeProvisioningPath(path, ua), expected);
  });
}

test("deviceFamilyFromUserAgent names each family, and nothing for browsers or empty", () => {
  assert.equal(deviceFamilyFromUserAgent(YEALINK_UA), "yealink");
  assert.equal(deviceFamilyFromUserAgent(POLY_UA), "polycom");
  assert.equal(deviceFamilyFromUserAgent("Poly/CCX_500 7.0.0"), "polycom");
  assert.equal(deviceFamilyFromUserAgent(GS_UA), "grandstream");
  assert.equal(deviceFamilyFromUserAgent(SNOM_UA), "snom");
  assert.equal(deviceFamilyFromUserAgent("LinphoneAndroid/5.2.0 (Pixel) LinphoneSDK/5.3"), "linphone");
  assert.equal(deviceFamilyFromUserAgent("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"), undefined);
  assert.equal(deviceFamilyFromUserAgent(""), undefined);
  assert.equal(deviceFamilyFromUserAgent(undefined), undefined);
});

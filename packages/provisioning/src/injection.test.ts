import assert from "node:assert/strict";
import { test } from "node:test";
import { type DeviceAccount, ProvisioningInputError } from "./account.js";
import { grandstreamConfig } from "./grandstream.js";
import { linphoneConfig } from "./linphone.js";
import { polycomAccountConfig } from "./polycom.js";
import { snomConfig } from "./snom.js";
import { FULL_ACCOUNT, GS_MAC, LINPHONE_TOKEN, POLY_MAC, SNOM_MAC, YEALINK_MAC } from "./test-accounts.js";
import { linphoneSections, parseXml, parseYealink, snomSettings } from "./test-parse.js";
import { escapeXml } from "./xml.js";
import { yealinkConfig } from "./yealink.js";

const HOSTILE_NAME = `Eve <&"'> </P34><P34>x</P34> "/><x a="`;
const HOSTILE_PASSWORD = `p<&>"'w]]>`;
const hostile: DeviceAccount = { ...FULL_ACCOUNT, displayName: HOSTILE_NAME, password: HOSTILE_PASSWORD };

const GENERATORS = {
  yealink: (a: DeviceAccount) => yealinkConfig(a, YEALINK_MAC),
  polycom: (a: DeviceAccount) => polycomAccountConfig(a, POLY_MAC),
  grandstream: (a: DeviceAccount) => grandstreamConfig(a, GS_MAC),
  snom: (a: DeviceAccount) => snomConfig(a, SNOM_MAC),
  linphone: (a: DeviceAccount) => linphoneConfig(a, LINPHONE_TOKEN),
};

test("escapeXml escapes all five predefined entities and nothing else", () => {
  assert.equal(escapeXml(`a<b>c&d"e'f é`), "a&lt;b&gt;c&amp;d&quot;e&apos;f é");
});

test("polycom: markup in the display name and password stays inside its attribute", () => {
  const cfg = parseXml(polycomAccountConfig(hostile, POLY_MAC).body).polycomConfig;
  assert.equal(cfg.reg["@reg.1.displayName"], HOSTILE_NAME);
  assert.equal(cfg.reg["@reg.1.auth.password"], HOSTILE_PASSWORD);
  assert.equal(cfg.x, undefined);
});

test("grandstream: markup in the display name cannot add or replace a P-value", () => {
  const c = parseXml(grandstreamConfig(hostile, GS_MAC).body).gs_provision.config;
  assert.equal(c.P3, HOSTILE_NAME);
  assert.equal(c.P34, HOSTILE_PASSWORD); // one P34, the real one
});

test("snom: markup in the display name stays text", () => {
  const s = snomSettings(snomConfig(hostile, SNOM_MAC).body);
  assert.equal(s.user_realname, HOSTILE_NAME);
  assert.equal(s.user_pass, HOSTILE_PASSWORD);
});

test("linphone: the display name is SIP-quoted inside reg_identity, then XML-escaped", () => {
  const s = linphoneSections(linphoneConfig(hostile, LINPHONE_TOKEN).body);
  assert.equal(s.get("proxy_0")!.get("reg_identity"), `"Eve <&\\"'> </P34><P34>x</P34> \\"/><x a=\\"" <sip:alice@example.com>`);
  assert.equal(s.get("auth_info_0")!.get("passwd"), HOSTILE_PASSWORD);
});

test("yealink: a display name with '=' and '#' is one value, not a new key", () => {
  const kv = parseYealink(yealinkConfig({ ...FULL_ACCOUNT, displayName: "a = b # account.1.password = x" }, YEALINK_MAC).body);
  assert.equal(kv.get("account.1.display_name"), "a = b # account.1.password = x");
  assert.equal(kv.get("account.1.password"), FULL_ACCOUNT.password);
});

const LINE_BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u0085", "\u0000", "\t"];
const FIELDS = ["displayName", "password", "authUser", "user"] as const;

for (const [family, generate] of Object.entries(GENERATORS)) {
  test(`${family}: a line break or control character in any text field is refused, naming the field but not the value`, () => {
    for (const field of FIELDS) {
      for (const br of LINE_BREAKS) {
        const value = `x${br}account.1.password = x`;
        assert.throws(
          () => generate({ ...FULL_ACCOUNT, [field]: value }),
          (e: unknown) => e instanceof ProvisioningInputError && e.field === field && !e.message.includes("account.1.password"),
          `${field} with ${JSON.stringify(br)}`,
        );
      }
    }
  });
}

test("yealink injection attempt: display name '\\naccount.1.password = x' never produces a file", () => {
  assert.throws(() => yealinkConfig({ ...FULL_ACCOUNT, displayName: "Alice\naccount.1.password = x" }, YEALINK_MAC), ProvisioningInputError);
});

test("hosts, users and numbers that could inject into URIs or keys are refused", () => {
  const bad: Array<[Partial<DeviceAccount>, string]> = [
    [{ user: "alice@evil.com" }, "user"],
    [{ user: "alice>" }, "user"],
    [{ user: "a b" }, "user"],
    [{ authUser: "" }, "authUser"],
    [{ domain: "example.com;transport=udp" }, "domain"],
    [{ domain: "exa mple.com" }, "domain"],
    [{ registrar: { host: "sip.example.com:5060" } }, "registrar.host"],
    [{ registrar: { host: "sip.example.com", port: 70000 } }, "registrar.port"],
    [{ outboundProxy: { host: "<evil>" } }, "outboundProxy.host"],
    [{ transport: "sctp" as never }, "transport"],
    [{ registerExpirySeconds: 30 }, "registerExpirySeconds"],
    [{ registerExpirySeconds: 600.5 }, "registerExpirySeconds"],
    [{ codecs: ["opus", "opus"] }, "codecs"],
    [{ codecs: ["speex" as never] }, "codecs"],
    [{ codecs: [] }, "codecs"],
    [{ ntpServer: "pool.ntp.org\nx" }, "ntpServer"],
    [{ utcOffsetMinutes: 61 }, "utcOffsetMinutes"],
    [{ password: "" }, "password"],
    [{ password: "pw " }, "password"],
    [{ displayName: " Alice" }, "displayName"],
    [{ password: "x".repeat(129) }, "password"],
  ];
  for (const [patch, field] of bad) {
    for (const generate of Object.values(GENERATORS)) {
      assert.throws(() => generate({ ...FULL_ACCOUNT, ...patch }), (e: unknown) => e instanceof ProvisioningInputError && e.field === field, JSON.stringify(patch));
    }
  }
});

test("IPv6 registrar in brackets and an empty display name are accepted", () => {
  const a: DeviceAccount = { ...FULL_ACCOUNT, displayName: "", registrar: { host: "[2001:db8::1]" } };
  const kv = parseYealink(yealinkConfig(a, YEALINK_MAC).body);
  assert.equal(kv.get("account.1.sip_server.1.address"), "[2001:db8::1]");
  assert.equal(kv.get("account.1.label"), "alice");
  assert.equal(linphoneSections(linphoneConfig(a, LINPHONE_TOKEN).body).get("proxy_0")!.get("reg_identity"), "<sip:alice@example.com>");
});

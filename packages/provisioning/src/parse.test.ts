import assert from "node:assert/strict";
import { test } from "node:test";
import { linphoneSections, parseXml, parseYealink, snomSettings } from "./test-parse.js";
import { grandstreamConfig } from "./grandstream.js";
import { linphoneConfig } from "./linphone.js";
import { polycomAccountConfig, polycomMasterConfig } from "./polycom.js";
import { snomConfig } from "./snom.js";
import { FULL_ACCOUNT, GS_MAC, LINPHONE_TOKEN, MINIMAL_ACCOUNT, POLY_MAC, SNOM_MAC, YEALINK_MAC } from "./test-accounts.js";
import { yealinkConfig } from "./yealink.js";
import type { DeviceAccount } from "./account.js";

for (const [label, account] of [["full", FULL_ACCOUNT], ["minimal", MINIMAL_ACCOUNT]] as const) {
  const a: DeviceAccount = account;

  test(`yealink (${label}): the account's fields come back from the key = value lines`, () => {
    const kv = parseYealink(yealinkConfig(a, YEALINK_MAC).body);
    assert.equal(kv.get("account.1.display_name"), a.displayName);
    assert.equal(kv.get("account.1.user_name"), a.user);
    assert.equal(kv.get("account.1.auth_name"), a.authUser);
    assert.equal(kv.get("account.1.password"), a.password);
    assert.equal(kv.get("account.1.sip_server.1.address"), a.registrar.host);
    assert.equal(kv.get("account.1.sip_server.1.port"), label === "full" ? "5061" : "5080");
    assert.equal(kv.get("account.1.sip_server.1.transport_type"), label === "full" ? "2" : "0");
    assert.equal(kv.get("account.1.sip_server.1.expires"), String(a.registerExpirySeconds));
    assert.equal(kv.get("account.1.outbound_proxy_enable"), label === "full" ? "1" : "0");
    if (label === "full") {
      assert.equal(kv.get("account.1.outbound_proxy.1.address"), "edge.example.com");
      assert.equal(kv.get("account.1.outbound_proxy.1.port"), "5071");
      assert.equal(kv.get("account.1.srtp_encryption"), "2");
      assert.equal(kv.get("account.1.codec.opus.priority"), "1");
      assert.equal(kv.get("account.1.codec.pcma.priority"), "3");
      assert.equal(kv.get("account.1.codec.pcmu.enable"), "0");
      assert.equal(kv.get("local_time.time_zone"), "+1");
      assert.equal(kv.get("local_time.ntp_server1"), "pool.ntp.org");
    } else {
      assert.equal(kv.has("account.1.srtp_encryption"), false);
      assert.equal(kv.has("local_time.time_zone"), false);
    }
  });

  test(`polycom (${label}): master names the account file; account attributes parse back`, () => {
    const master = parseXml(polycomMasterConfig(POLY_MAC).body);
    assert.equal(master.APPLICATION["@CONFIG_FILES"], "0004f2abcdef-sipfleet.cfg");
    const cfg = parseXml(polycomAccountConfig(a, POLY_MAC).body).polycomConfig;
    const reg = cfg.reg;
    assert.equal(reg["@reg.1.displayName"], a.displayName);
    assert.equal(reg["@reg.1.address"], `${a.user}@${a.domain}`);
    assert.equal(reg["@reg.1.auth.userId"], a.authUser);
    assert.equal(reg["@reg.1.auth.password"], a.password);
    assert.equal(reg["@reg.1.server.1.address"], a.registrar.host);
    assert.equal(reg["@reg.1.server.1.transport"], label === "full" ? "TLS" : "UDPOnly");
    assert.equal(reg["@reg.1.server.1.expires"], String(a.registerExpirySeconds));
    if (label === "full") {
      assert.equal(reg["@reg.1.outboundProxy.address"], "edge.example.com");
      assert.equal(cfg.sec["@sec.srtp.require"], "1");
      assert.equal(cfg.voice["@voice.codecPref.OPUS"], "1");
      assert.equal(cfg.voice["@voice.codecPref.G711_Mu"], "0");
      assert.equal(cfg.tcpIpApp["@tcpIpApp.sntp.gmtOffset"], "3600");
    } else {
      assert.equal(reg["@reg.1.outboundProxy.address"], undefined);
      assert.equal(cfg.sec, undefined);
    }
  });

  test(`grandstream (${label}): P-values parse back`, () => {
    const doc = parseXml(grandstreamConfig(a, GS_MAC).body).gs_provision;
    assert.equal(doc["@version"], "1");
    assert.equal(doc.mac, "000b82123456");
    const c = doc.config;
    assert.equal(c.P35, a.user);
    assert.equal(c.P36, a.authUser);
    assert.equal(c.P34, a.password);
    assert.equal(c.P3, a.displayName);
    assert.equal(c.P270, a.displayName);
    assert.equal(c.P47, label === "full" ? "sip.example.com:5061" : "192.0.2.10:5080");
    assert.equal(c.P48, label === "full" ? "edge.example.com:5071" : "");
    assert.equal(c.P32, label === "full" ? "10" : "60");
    assert.equal(c.P130, label === "full" ? "2" : "0");
    if (label === "full") {
      assert.deepEqual([c.P57, c.P58, c.P59, c.P60], ["123", "9", "8", "8"]);
      assert.equal(c.P183, "2");
    }
  });

  test(`snom (${label}): identity 1 settings parse back`, () => {
    const s = snomSettings(snomConfig(a, SNOM_MAC).body);
    assert.equal(s.user_realname, a.displayName);
    assert.equal(s.user_name, a.user);
    assert.equal(s.user_pname, a.authUser);
    assert.equal(s.user_pass, a.password);
    assert.equal(s.user_host, a.domain);
    assert.equal(s.user_outbound, label === "full" ? "edge.example.com:5071;transport=tls" : "192.0.2.10:5080;transport=udp");
    assert.equal(s.user_expiry, String(a.registerExpirySeconds));
    if (label === "full") {
      assert.equal(s.user_savp, "mandatory");
      assert.equal(s.codec_priority_list, "opus,g722,pcma");
    }
  });

  test(`linphone (${label}): proxy_0 and auth_info_0 parse back`, () => {
    const s = linphoneSections(linphoneConfig(a, LINPHONE_TOKEN).body);
    const proxy = s.get("proxy_0")!;
    assert.equal(proxy.get("reg_identity"), `"${a.displayName}" <sip:${a.user}@${a.domain}>`);
    assert.equal(proxy.get("reg_proxy"), label === "full" ? "<sip:sip.example.com:5061;transport=tls>" : "<sip:192.0.2.10:5080;transport=udp>");
    assert.equal(proxy.get("reg_route"), label === "full" ? "<sip:edge.example.com:5071;transport=tls>" : undefined);
    assert.equal(proxy.get("reg_expires"), String(a.registerExpirySeconds));
    const auth = s.get("auth_info_0")!;
    assert.equal(auth.get("username"), a.user);
    assert.equal(auth.get("userid"), a.authUser);
    assert.equal(auth.get("passwd"), a.password);
    assert.equal(auth.get("realm"), a.domain);
    if (label === "full") {
      assert.equal(s.get("sip")!.get("media_encryption"), "srtp");
      assert.equal(s.get("audio_codec_0")!.get("mime"), "opus");
    }
  });
}

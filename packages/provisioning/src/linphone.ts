/**
 * Linphone remote provisioning: the linphonerc sections as XML
 * (`<config xmlns="http://www.linphone.org/xsds/lpconfig.xsd">`, `<section name>`, `<entry name>`).
 * Reference: Linphone wiki "Remote Provisioning" and liblinphone's "Provisioning configuration
 * keys" ([proxy_N]: reg_identity, reg_proxy, reg_route, reg_expires, reg_sendregister, realm;
 * [auth_info_N]; [sip] media_encryption).
 */
import { type DeviceAccount, type Codec, type HostPort, type Transport, portOf, validateDeviceAccount } from "./account.js";
import type { ProvisioningFile } from "./file.js";
import { XML_CONTENT_TYPE, XML_DECLARATION, escapeXml } from "./xml.js";

const CODEC_MIME: Record<Codec, [string, number]> = {
  opus: ["opus", 48000],
  g722: ["G722", 8000],
  pcmu: ["PCMU", 8000],
  pcma: ["PCMA", 8000],
  g729: ["G729", 8000],
};

/** SIP quoted-string (RFC 3261 §25.1): backslash-escape `"` and `\`. */
export function sipQuoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function sipUri(hp: HostPort, transport: Transport): string {
  return `<sip:${hp.host}:${portOf(hp, transport)};transport=${transport}>`;
}

/** Linphone fetches a URL it was given, not a MAC-named file: the name carries the device token. */
export function linphoneFileName(token: string): string {
  return `${token}.xml`;
}

export function linphoneConfig(account: DeviceAccount, token: string): ProvisioningFile {
  validateDeviceAccount(account);
  const t = account.transport;
  const identity = `sip:${account.user}@${account.domain}`;
  const sections: Array<[string, Array<[string, string | number]>]> = [];
  const proxy: Array<[string, string | number]> = [
    ["reg_identity", account.displayName ? `${sipQuoted(account.displayName)} <${identity}>` : `<${identity}>`],
    ["reg_proxy", sipUri(account.registrar, t)],
  ];
  if (account.outboundProxy) proxy.push(["reg_route", sipUri(account.outboundProxy, t)]);
  proxy.push(["reg_expires", account.registerExpirySeconds], ["reg_sendregister", 1], ["realm", account.domain]);
  sections.push(["proxy_0", proxy]);
  sections.push([
    "auth_info_0",
    [
      ["username", account.user],
      ["userid", account.authUser],
      ["passwd", account.password],
      ["realm", account.domain],
      ["domain", account.domain],
    ],
  ]);
  const sip: Array<[string, string | number]> = [["default_proxy", 0]];
  if (account.srtp !== undefined) {
    sip.push(["media_encryption", account.srtp === "off" ? "none" : "srtp"], ["media_encryption_mandatory", account.srtp === "mandatory" ? 1 : 0]);
  }
  sections.push(["sip", sip]);
  account.codecs?.forEach((codec, i) => {
    const [mime, rate] = CODEC_MIME[codec];
    sections.push([`audio_codec_${i}`, [["mime", mime], ["rate", rate], ["enabled", 1]]]);
  });
  const body = [
    XML_DECLARATION,
    '<config xmlns="http://www.linphone.org/xsds/lpconfig.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.linphone.org/xsds/lpconfig.xsd lpconfig.xsd">',
    ...sections.flatMap(([name, entries]) => [
      `  <section name="${escapeXml(name)}">`,
      ...entries.map(([k, v]) => `    <entry name="${escapeXml(k)}" overwrite="true">${escapeXml(String(v))}</entry>`),
      "  </section>",
    ]),
    "</config>",
    "",
  ].join("\n");
  return { contentType: XML_CONTENT_TYPE, fileName: linphoneFileName(token), body };
}

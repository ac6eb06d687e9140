/** From a phone's request (path, User-Agent) to what it asks for: family plus MAC, or a token. */
import type { DeviceFamily } from "./file.js";
import { type Mac, parseMac } from "./mac.js";

export type ProvisioningRequest =
  | { family: "yealink"; mac: Mac }
  | { family: "polycom"; mac: Mac; file: "master" | "account" }
  | { family: "grandstream"; mac: Mac }
  | { family: "snom"; mac: Mac }
  | { family: "linphone"; token: string };

const USER_AGENTS: ReadonlyArray<[RegExp, DeviceFamily]> = [
  [/\byealink\b/i, "yealink"],
  [/polycom|\bpoly\b/i, "polycom"],
  [/grandstream/i, "grandstream"],
  [/\bsnom/i, "snom"],
  [/linphone/i, "linphone"],
];

/** The family a provisioning request's User-Agent names, if it names one we serve. */
export function deviceFamilyFromUserAgent(userAgent: string | undefined): DeviceFamily | undefined {
  if (!userAgent) return undefined;
  for (const [pattern, family] of USER_AGENTS) if (pattern.test(userAgent)) return family;
  return undefined;
}

// Vendor OUIs (IEEE registry) to tell Yealink from Poly when both ask for `<mac>.cfg` and the
// User-Agent did not say. Not exhaustive: an unlisted OUI without a User-Agent is not routed.
const OUI_FAMILY: ReadonlyMap<string, "yealink" | "polycom"> = new Map([
  ["001565", "yealink"],
  ["805ec0", "yealink"],
  ["805e0c", "yealink"],
  ["249ad8", "yealink"],
  ["44dbd2", "yealink"],
  ["0004f2", "polycom"],
  ["64167f", "polycom"],
]);

const MAC_CFG = /^([0-9A-Fa-f]{12})\.cfg$/;
const POLY_ACCOUNT = /^([0-9A-Fa-f]{12})-sipfleet\.cfg$/;
const GRANDSTREAM = /^cfg([0-9A-Fa-f]{12})\.xml$/;
// Snom's default setting URL names the model (snom370-<MAC>.htm); ours may omit it (snom-<MAC>.xml).
const SNOM = /^snom[A-Za-z0-9]{0,12}-([0-9A-Fa-f]{12})\.(?:xml|htm)$/;
const LINPHONE = /(?:^|\/)linphone\/([A-Za-z0-9_-]{16,128})\.xml$/;

/**
 * Routes a request path (query ignored; only the last segment is read for MAC files, so the
 * HTTP layer may serve under any prefix) to the file it asks for, or undefined.
 * `<mac>.cfg` is shared by Yealink and Poly: the User-Agent decides, then the OUI.
 */
export function routeProvisioningPath(path: string, userAgent?: string): ProvisioningRequest | undefined {
  if (typeof path !== "string" || path.length > 512) return undefined;
  const clean = path.split(/[?#]/, 1)[0]!;
  if (clean.includes("..") || clean.includes("\\") || clean.includes("%")) return undefined;
  const linphone = LINPHONE.exec(clean);
  if (linphone) return { family: "linphone", token: linphone[1]! };
  const name = clean.slice(clean.lastIndexOf("/") + 1);

  let m: RegExpExecArray | null;
  if ((m = GRANDSTREAM.exec(name))) return withMac(m[1]!, (mac) => ({ family: "grandstream", mac }));
  if ((m = SNOM.exec(name))) return withMac(m[1]!, (mac) => ({ family: "snom", mac }));
  if ((m = POLY_ACCOUNT.exec(name))) return withMac(m[1]!, (mac) => ({ family: "polycom", mac, file: "account" }));
  if ((m = MAC_CFG.exec(name))) {
    return withMac(m[1]!, (mac) => {
      const byAgent = deviceFamilyFromUserAgent(userAgent);
      const family = byAgent === "yealink" || byAgent === "polycom" ? byAgent : byAgent === undefined ? OUI_FAMILY.get(mac.slice(0, 6)) : undefined;
      if (family === "yealink") return { family, mac };
      if (family === "polycom") return { family, mac, file: "master" };
      return undefined;
    });
  }
  return undefined;
}

function withMac(raw: string, build: (mac: Mac) => ProvisioningRequest | undefined): ProvisioningRequest | undefined {
  const mac = parseMac(raw);
  return mac === undefined ? undefined : build(mac);
}

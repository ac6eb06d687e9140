/** Accounts shared by the tests (not exported from the package). */
import type { DeviceAccount } from "./account.js";
import { requireMac } from "./mac.js";

export const FULL_ACCOUNT: DeviceAccount = {
  displayName: "Alice Example",
  user: "alice",
  domain: "example.com",
  authUser: "alice-auth",
  password: "s3cr3t-Pa55",
  registrar: { host: "sip.example.com" },
  outboundProxy: { host: "edge.example.com", port: 5071 },
  transport: "tls",
  registerExpirySeconds: 600,
  srtp: "mandatory",
  codecs: ["opus", "g722", "pcma"],
  ntpServer: "pool.ntp.org",
  utcOffsetMinutes: 60,
};

export const MINIMAL_ACCOUNT: DeviceAccount = {
  displayName: "Bob",
  user: "bob",
  domain: "example.org",
  authUser: "bob",
  password: "pw",
  registrar: { host: "192.0.2.10", port: 5080 },
  transport: "udp",
  registerExpirySeconds: 3600,
};

export const YEALINK_MAC = requireMac("00:15:65:12:34:ab");
export const POLY_MAC = requireMac("00-04-F2-AB-CD-EF");
export const GS_MAC = requireMac("000b82123456");
export const SNOM_MAC = requireMac("00:04:13:2a:bc:de");
export const LINPHONE_TOKEN = "tok_3fA9-xYz0123456789";

export {
  cachedDnsLookup,
  DnsLookupError,
  type NaptrRecord,
  type SipDnsLookup,
  type SrvRecord,
  systemDnsLookup,
} from "./dns-lookup.js";
export { defaultSipPort, locateSipServers, MAX_SERVERS, type SipServer, type SipServerQuery, type SipServerTransport } from "./locate.js";
export { type Random, weightedOrder } from "./srv-order.js";

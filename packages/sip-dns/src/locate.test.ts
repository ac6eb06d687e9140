import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type DnsRecord, type DnsServer, freePort, startDnsServer } from "@sipfleet/testing";
import { cachedDnsLookup, DnsLookupError, systemDnsLookup } from "./dns-lookup.js";
import { locateSipServers, type SipServer, type SipServerQuery } from "./locate.js";

// Every lookup goes through node:dns to a DNS server on loopback answering from the zone below.
const CARRIER: DnsRecord[] = [
  { name: "carrier.test", type: "NAPTR", order: 50, preference: 50, flags: "s", service: "SIPS+D2T", regexp: "", replacement: "_sips._tcp.carrier.test" },
  { name: "carrier.test", type: "NAPTR", order: 90, preference: 50, flags: "s", service: "SIP+D2T", regexp: "", replacement: "_sip._tcp.carrier.test" },
  { name: "carrier.test", type: "NAPTR", order: 100, preference: 50, flags: "s", service: "SIP+D2U", regexp: "", replacement: "_sip._udp.carrier.test" },
  // SCTP, which the platform does not send over: skipped.
  { name: "carrier.test", type: "NAPTR", order: 10, preference: 50, flags: "s", service: "SIP+D2S", regexp: "", replacement: "_sip._sctp.carrier.test" },
  { name: "_sips._tcp.carrier.test", type: "SRV", priority: 10, weight: 1, port: 5061, target: "tls1.carrier.test" },
  { name: "_sip._tcp.carrier.test", type: "SRV", priority: 10, weight: 1, port: 5060, target: "sip1.carrier.test" },
  { name: "_sip._udp.carrier.test", type: "SRV", priority: 20, weight: 1, port: 5080, target: "sip2.carrier.test" },
  { name: "_sip._udp.carrier.test", type: "SRV", priority: 10, weight: 1, port: 5070, target: "sip1.carrier.test" },
  { name: "tls1.carrier.test", type: "A", address: "127.0.0.11" },
  { name: "sip1.carrier.test", type: "A", address: "127.0.0.12" },
  { name: "sip2.carrier.test", type: "A", address: "127.0.0.13" },
  { name: "sip2.carrier.test", type: "AAAA", address: "::1" },
  // No NAPTR: SRV per transport.
  { name: "_sip._udp.srvonly.test", type: "SRV", priority: 2, weight: 0, port: 5090, target: "b.srvonly.test" },
  { name: "_sip._udp.srvonly.test", type: "SRV", priority: 1, weight: 0, port: 5091, target: "a.srvonly.test" },
  { name: "a.srvonly.test", type: "A", address: "127.0.0.21" },
  { name: "b.srvonly.test", type: "A", address: "127.0.0.22" },
  // Neither NAPTR nor SRV.
  { name: "plain.test", type: "A", address: "127.0.0.31" },
  // "." : the service is decidedly not available (RFC 2782).
  { name: "_sip._tcp.none.test", type: "SRV", priority: 0, weight: 0, port: 0, target: "." },
  { name: "none.test", type: "A", address: "127.0.0.41" },
];

const query = (host: string, extra: Partial<SipServerQuery> = {}): SipServerQuery => ({ host, port: undefined, transport: undefined, secure: false, ...extra });
const brief = (servers: readonly SipServer[]): string[] => servers.map((s) => `${s.transport} ${s.ip}:${s.port} ${s.serverName}`);

describe("locateSipServers (RFC 3263 through node:dns and a loopback DNS server)", () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer(CARRIER);
  });
  after(async () => {
    await dns.close();
  });
  beforeEach(() => {
    dns.questions.splice(0);
  });
  const lookup = () => systemDnsLookup([dns.address]);

  it("an IP literal asks DNS nothing: the given or default transport and port (§4.1, §4.2)", async () => {
    assert.deepEqual(brief(await locateSipServers(query("127.0.0.5"), lookup())), ["udp 127.0.0.5:5060 127.0.0.5"]);
    assert.deepEqual(brief(await locateSipServers(query("::1", { secure: true }), lookup())), ["tls ::1:5061 ::1"]);
    assert.deepEqual(dns.questions, []);
  });

  it("a name with a port is only looked up for addresses, over UDP unless the URI says otherwise", async () => {
    assert.deepEqual(brief(await locateSipServers(query("sip1.carrier.test", { port: 5099 }), lookup())), ["udp 127.0.0.12:5099 sip1.carrier.test"]);
    assert.ok(!dns.questions.some((q) => q.startsWith("NAPTR") || q.startsWith("SRV")), dns.questions.join(", "));
  });

  it("NAPTR in order, skipping services not spoken; SRV by priority within each; the URI's host is the TLS name", async () => {
    const servers = await locateSipServers(query("carrier.test"), lookup(), () => 0);
    assert.deepEqual(brief(servers), [
      "tls 127.0.0.11:5061 carrier.test",
      "tcp 127.0.0.12:5060 carrier.test",
      "udp 127.0.0.12:5070 carrier.test",
      "udp 127.0.0.13:5080 carrier.test",
      "udp ::1:5080 carrier.test",
    ]);
    assert.ok(!dns.questions.includes("SRV _sip._sctp.carrier.test"), "the SCTP record's SRV was not asked for");
  });

  it("a sips URI considers SIPS records only", async () => {
    assert.deepEqual(brief(await locateSipServers(query("carrier.test", { secure: true }), lookup())), ["tls 127.0.0.11:5061 carrier.test"]);
  });

  it("a transport in the URI goes straight to that transport's SRV (§4.2)", async () => {
    assert.deepEqual(brief(await locateSipServers(query("carrier.test", { transport: "tcp" }), lookup())), ["tcp 127.0.0.12:5060 carrier.test"]);
    assert.ok(!dns.questions.some((q) => q.startsWith("NAPTR")), dns.questions.join(", "));
  });

  it("no NAPTR: an SRV query per transport, UDP first (§4.1)", async () => {
    assert.deepEqual(brief(await locateSipServers(query("srvonly.test"), lookup())), ["udp 127.0.0.21:5091 srvonly.test", "udp 127.0.0.22:5090 srvonly.test"]);
    for (const q of ["NAPTR srvonly.test", "SRV _sip._udp.srvonly.test", "SRV _sip._tcp.srvonly.test", "SRV _sips._tcp.srvonly.test"]) {
      assert.ok(dns.questions.includes(q), `asked ${q}: ${dns.questions.join(", ")}`);
    }
  });

  it("neither NAPTR nor SRV: the host's addresses at 5060 over UDP, or 5061 over TLS for sips (§4.2)", async () => {
    assert.deepEqual(brief(await locateSipServers(query("plain.test"), lookup())), ["udp 127.0.0.31:5060 plain.test"]);
    assert.deepEqual(brief(await locateSipServers(query("plain.test", { secure: true }), lookup())), ["tls 127.0.0.31:5061 plain.test"]);
  });

  it("an SRV target of '.' means no server for that transport, not a fall back to the host's address", async () => {
    assert.deepEqual(await locateSipServers(query("none.test", { transport: "tcp" }), lookup()), []);
  });

  it("a name DNS does not know has no servers", async () => {
    assert.deepEqual(await locateSipServers(query("missing.test"), lookup()), []);
  });

  it("a DNS server that does not answer is an error, not an empty list", async () => {
    const silent = systemDnsLookup([`127.0.0.1:${await freePort()}`]);
    await assert.rejects(locateSipServers(query("carrier.test"), silent), DnsLookupError);
  });

  it("cached answers ask nothing again until they expire, and a zone change then shows", async () => {
    let now = 1_000;
    const cached = cachedDnsLookup(lookup(), 30_000, () => now);
    assert.deepEqual(brief(await locateSipServers(query("plain.test"), cached)), ["udp 127.0.0.31:5060 plain.test"]);
    const asked = dns.questions.length;
    dns.setRecords([...CARRIER.filter((r) => r.name !== "plain.test"), { name: "plain.test", type: "A", address: "127.0.0.32" }]);
    assert.deepEqual(brief(await locateSipServers(query("plain.test"), cached)), ["udp 127.0.0.31:5060 plain.test"]);
    assert.equal(dns.questions.length, asked, "the second locate asked nothing");
    now += 30_001;
    assert.deepEqual(brief(await locateSipServers(query("plain.test"), cached)), ["udp 127.0.0.32:5060 plain.test"]);
    dns.setRecords(CARRIER);
  });
});

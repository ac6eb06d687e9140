import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { Transport } from "@sipfleet/proto";
import { systemDnsLookup } from "@sipfleet/sip-dns";
import { type DnsServer, startDnsServer } from "@sipfleet/testing";
import { type Gateway, type Trunk } from "@sipfleet/trunks";
import { ALICE_FLOW, domain, forwarded, OPEN, proxyWith, REALM, RecordingLogger, responded, settings, withCredentials } from "./proxy-fixtures.js";

// The proxy locates a trunk's domain-named gateways through node:dns, asking a DNS server on
// loopback: NAPTR to SRV to A, as RFC 3263 §4 reads them.
const ZONE = [
  { name: "carrier.test", type: "NAPTR", order: 10, preference: 10, flags: "s", service: "SIP+D2T", regexp: "", replacement: "_sip._tcp.carrier.test" },
  { name: "carrier.test", type: "NAPTR", order: 20, preference: 10, flags: "s", service: "SIP+D2U", regexp: "", replacement: "_sip._udp.carrier.test" },
  { name: "_sip._tcp.carrier.test", type: "SRV", priority: 1, weight: 0, port: 5080, target: "a.carrier.test" },
  { name: "_sip._udp.carrier.test", type: "SRV", priority: 1, weight: 0, port: 5090, target: "b.carrier.test" },
  { name: "a.carrier.test", type: "A", address: "127.0.0.71" },
  { name: "b.carrier.test", type: "A", address: "127.0.0.72" },
] as const;

function gw(host: string, port: number | undefined, priority: number): Gateway {
  return { host, port, transport: undefined, priority, weight: 1 };
}

function trunk(name: string, gateways: Gateway[]): Trunk {
  return {
    name,
    gateways,
    inbound: { allow: [], credentials: undefined },
    numbers: [],
    outbound: { credentials: undefined, register: undefined },
    maxConcurrentCalls: undefined,
  };
}

describe("SipProxy: gateways a trunk names by a domain (RFC 3263)", () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer(ZONE);
  });
  after(async () => {
    await dns.close();
  });

  function setup(gateways: Gateway[]) {
    const logger = new RecordingLogger();
    const base = domain(REALM, ["alice"]);
    const proxy = proxyWith(new MemoryBindingStore(), {
      settings: settings({
        domains: [{ ...base, blockedPrefixes: [] }, domain(OPEN, [], "none")],
        trunks: [trunk("carrier", gateways)],
        numberRoutes: [{ prefix: "+", trunks: [{ trunk: "carrier", priority: 1, weight: 1 }] }],
      }),
      logger,
      dns: systemDnsLookup([dns.address]),
    });
    const dial = { ruri: "sip:+4930555@sipfleet.local", to: "sip:+4930555@sipfleet.local", from: "sip:alice@sipfleet.local" };
    return { proxy, logger, call: () => withCredentials(proxy, dial, ALICE_FLOW) };
  }

  it("each server DNS locates becomes a gateway of its own, in NAPTR then SRV order; the Request-URI keeps the domain", async () => {
    const { call } = setup([gw("carrier.test", undefined, 1), gw("127.0.0.99", 5060, 2)]);
    const f = forwarded(await call());
    const targets = f.groups.map((g) => g.targets[0]!);
    assert.deepEqual(
      targets.map((t) => [t.requestUri, t.nextHop === undefined ? "-" : `${Transport[t.nextHop.transport]} ${t.nextHop.ip}:${t.nextHop.port} ${t.nextHop.serverName}`]),
      [
        ["sip:+4930555@carrier.test", "TRANSPORT_TCP 127.0.0.71:5080 carrier.test"],
        ["sip:+4930555@carrier.test", "TRANSPORT_UDP 127.0.0.72:5090 carrier.test"],
        ["sip:+4930555@127.0.0.99:5060", "-"],
      ],
    );
    assert.ok(targets.every((t) => t.trunk === "carrier"));
  });

  it("a name DNS does not know is skipped and logged; the other gateways stay", async () => {
    const { call, logger } = setup([gw("missing.test", undefined, 1), gw("127.0.0.99", 5060, 2)]);
    const f = forwarded(await call());
    assert.deepEqual(f.groups.map((g) => g.targets[0]!.requestUri), ["sip:+4930555@127.0.0.99:5060"]);
    assert.ok(logger.lines.some((l) => l.msg.includes("no SIP server in DNS")), JSON.stringify(logger.lines));
  });

  it("no gateway left to try: 503 with Retry-After, a failure that may pass", async () => {
    const { call } = setup([gw("missing.test", undefined, 1)]);
    const r = responded(await call());
    assert.equal(r.status, 503);
    assert.ok(r.headers.some((h) => h.name === "Retry-After"), JSON.stringify(r.headers));
  });
});

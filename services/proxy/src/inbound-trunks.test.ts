import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Flow, MemoryBindingStore } from "@sipfleet/bindings";
import { parseUri } from "@sipfleet/sip";
import { parseSubnet, type Subnet, type Trunk } from "@sipfleet/trunks";
import { Envelope } from "@sipfleet/proto";
import { requestedNumber } from "./inbound-trunks.js";
import { answerEnvelope } from "./proxy-worker.js";
import { resolveRequestUri } from "./platform-address.js";
import {
  ALICE_FLOW,
  bind,
  BOB_FLOW,
  forwarded,
  headerValues,
  OPEN,
  proxyWith,
  RecordingLogger,
  recordRouteFlow,
  request,
  responded,
  settings,
  wire,
} from "./proxy-fixtures.js";

const LOCAL = { ip: "127.0.0.1", port: 5060 };
const DOMAINS = settings().domains;

function subnet(text: string): Subnet {
  const parsed = parseSubnet(text);
  if ("problem" in parsed) throw new RangeError(parsed.problem);
  return parsed.subnet;
}

function trunk(name: string, allow: string, numbers: [first: string, last: string, owners: string[]][], withDigest = false): Trunk {
  return {
    name,
    gateways: [{ host: "192.0.2.200", port: 5060, transport: "udp", priority: 1, weight: 1 }],
    inbound: {
      allow: [subnet(allow)],
      credentials: withDigest ? { username: "carrier", realm: "sipfleet.local", ha1: {} } : undefined,
    },
    numbers: numbers.map(([first, last, owners]) => ({
      block: { first, last },
      owners: owners.map((o) => ({ user: o.split("@")[0]!, domain: o.split("@")[1]! })),
    })),
    outbound: { credentials: undefined, register: undefined },
    maxConcurrentCalls: undefined,
  };
}

const CARRIER = trunk("carrier", "198.51.100.0/24", [
  ["+4930123400", "+4930123409", ["alice@sipfleet.local"]],
  ["+4930123410", "+4930123410", ["alice@sipfleet.local", "bob@sipfleet.local"]],
  ["+4930123411", "+4930123411", [`dave@${OPEN}`]],
]);
const OTHER = trunk("other", "203.0.113.7", [["+4989000000", "+4989000000", ["carol@sipfleet.local"]]]);
/** A carrier the edges register with: it calls our registered Contact, `sip:acct77@<edge>`, with the DID in To. */
const REGISTERED: Trunk = {
  ...trunk("registered", "203.0.113.9", [["+4969000000", "+4969000000", ["carol@sipfleet.local"]]]),
  outbound: { credentials: { username: "acct77", password: "x" }, register: { aor: "sip:acct77@carrier.example", expires: 3600, interval: 3000 } },
};
const REGISTERED_FLOW: Flow = { ...ALICE_FLOW, connectionId: "udp:127.0.0.1:5060:203.0.113.9:5060", remote: { ip: "203.0.113.9", port: 5060 } };
const LOCKED = trunk("locked", "203.0.113.8", [["+4940000000", "+4940000000", ["carol@sipfleet.local"]]], true);
/** A carrier bound to its client certificate too (mutual TLS, inbound.tlsNames). */
const MTLS_BASE = trunk("mtls", "203.0.113.10", [["+4950000000", "+4950000000", ["bob@sipfleet.local"]]]);
const MTLS: Trunk = { ...MTLS_BASE, inbound: { ...MTLS_BASE.inbound, tlsNames: ["sbc1.carrier.test", "sbc2.carrier.test"] } };

/** The carrier's gateway sending to edge-a. */
const CARRIER_FLOW: Flow = { ...ALICE_FLOW, connectionId: "udp:127.0.0.1:5060:198.51.100.5:5060", remote: { ip: "198.51.100.5", port: 5060 } };
const CARRIER_FROM = "sip:+4915112345678@198.51.100.5";

function setup(logger = new RecordingLogger()) {
  const store = new MemoryBindingStore();
  const lookups: string[] = [];
  const lookup = store.lookup.bind(store);
  store.lookup = async (aor: string) => {
    lookups.push(aor);
    return lookup(aor);
  };
  const proxy = proxyWith(store, { settings: settings({ trunks: [CARRIER, OTHER, LOCKED, REGISTERED, MTLS] }), logger });
  return { store, proxy, lookups, logger };
}

describe("requestedNumber: which Request-URIs are for a number", () => {
  const number = (text: string) => {
    const uri = parseUri(text);
    return requestedNumber(uri, resolveRequestUri(uri, { local: LOCAL }, DOMAINS, undefined));
  };

  it("reads a global tel: number, dropping visual separators", () => {
    assert.equal(number("tel:+4930123400"), "+4930123400");
    assert.equal(number("tel:+49-30-(123).400"), "+4930123400");
  });

  it("refuses a tel: URI that is local or carries any parameter", () => {
    assert.equal(number("tel:030123400;phone-context=+49"), undefined);
    assert.equal(number("tel:+4930123400;ext=12"), undefined);
    assert.equal(number("tel:+4930123400;isub=12"), undefined);
  });

  it("reads an E.164 user part in a served domain or at the platform's address, with or without user=phone", () => {
    assert.equal(number("sip:+4930123400@sipfleet.local"), "+4930123400");
    assert.equal(number("sip:+4930123400@SIPFLEET.local;user=phone"), "+4930123400");
    assert.equal(number("sips:+4930123400@sipfleet.local"), "+4930123400");
    assert.equal(number("sip:+4930123400@127.0.0.1:5060"), "+4930123400");
    assert.equal(number("sip:+4930123400@127.0.0.1"), "+4930123400");
    assert.equal(number("sip:+49-30-123400@sipfleet.local;user=phone"), "+4930123400", "a telephone-subscriber may be punctuated");
  });

  it("refuses names, local numbers, punctuation without user=phone, non-E.164 and other domains", () => {
    for (const uri of [
      "sip:alice@sipfleet.local",
      "sip:030123400@sipfleet.local;user=phone",
      "sip:+49-30-123400@sipfleet.local",
      "sip:+0301234@sipfleet.local",
      "sip:+1234567890123456@sipfleet.local",
      "sip:+4930123400;isub=1@sipfleet.local;user=phone",
      "sip:+4930123400@example.org",
      "sip:+4930123400@127.0.0.1:5099",
      "sip:sipfleet.local",
    ]) {
      assert.equal(number(uri), undefined, uri);
    }
  });
});

describe("SipProxy: calls from a trunk we register with, to our registered Contact", () => {
  it("reads the DID from the To when the Request-URI is the registered Contact, and rings its owner", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:carol@sipfleet.local", "<sip:carol@192.0.2.30:40000>", BOB_FLOW);
    for (const to of ["sip:+4969000000@carrier.example", "tel:+4969000000", "sip:+49-69-000000@carrier.example;user=phone"]) {
      const f = forwarded(await proxy.handle(request({ ruri: "sip:acct77@127.0.0.1:5060", to, from: CARRIER_FROM }), REGISTERED_FLOW));
      assert.deepEqual(f.groups[0]!.targets.map((t) => t.requestUri), ["sip:carol@192.0.2.30:40000"], to);
    }
  });

  it("keeps the To out of it for another user part, another trunk, or a trunk that does not register", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:carol@sipfleet.local", "<sip:carol@192.0.2.30:40000>", BOB_FLOW);
    const to = "sip:+4969000000@carrier.example";
    // Another user part at our address: not our Contact at this carrier.
    assert.equal(responded(await proxy.handle(request({ ruri: "sip:someone@127.0.0.1:5060", to, from: CARRIER_FROM }), REGISTERED_FLOW)).status, 404);
    // The same Request-URI from a trunk without outbound.register: its To is not read.
    assert.equal(responded(await proxy.handle(request({ ruri: "sip:acct77@127.0.0.1:5060", to, from: CARRIER_FROM }), CARRIER_FLOW)).status, 404);
    // A DID in the To that the registered trunk does not deliver.
    const other = "sip:+4989000000@carrier.example";
    assert.equal(responded(await proxy.handle(request({ ruri: "sip:acct77@127.0.0.1:5060", to: other, from: CARRIER_FROM }), REGISTERED_FLOW)).status, 404);
  });
});

describe("SipProxy: calls from trunks", () => {
  it("forks a trunk's call to its number to every binding of the owner, record-routed, without a challenge", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:alice@sipfleet.local", "<sip:alice@192.0.2.10:40000>", ALICE_FLOW);
    await bind(store, "sip:alice@sipfleet.local", "<sip:alice@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: "sip:+4930123405@sipfleet.local;user=phone", from: CARRIER_FROM }), CARRIER_FLOW));
    assert.equal(f.groups.length, 1);
    const targets = f.groups[0]!.targets;
    assert.deepEqual(targets.map((t) => t.requestUri).sort(), ["sip:alice@192.0.2.10:40000", "sip:alice@192.0.2.20:51000;transport=tcp"]);
    // Record-routed as a local call: the callee-side token names the owner's flow, the caller-side one the carrier's.
    for (const t of targets) {
      assert.equal(t.recordRoutes.length, 2);
      assert.deepEqual(recordRouteFlow(t.recordRoutes[0]!), t.flow);
      assert.deepEqual(recordRouteFlow(t.recordRoutes[1]!), wire(CARRIER_FLOW));
    }
    assert.deepEqual(targets.map((t) => t.flow?.edgeId).sort(), [ALICE_FLOW.edgeId, BOB_FLOW.edgeId]);
  });

  it("rings every owner of a group number in parallel, and takes a tel: Request-URI", async () => {
    const { store, proxy, lookups } = setup();
    await bind(store, "sip:alice@sipfleet.local", "<sip:alice@192.0.2.10:40000>", ALICE_FLOW);
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000>", BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: "tel:+4930123410", from: CARRIER_FROM }), CARRIER_FLOW));
    assert.equal(f.groups.length, 1);
    assert.deepEqual(f.groups[0]!.targets.map((t) => t.requestUri).sort(), ["sip:alice@192.0.2.10:40000", "sip:bob@192.0.2.20:51000"]);
    assert.equal(f.groups[0]!.timeoutMs, 0, "one group: rings until its branches end");
    assert.deepEqual(lookups.sort(), ["sip:alice@sipfleet.local", "sip:bob@sipfleet.local"]);
  });

  it("reaches an owner in a domain without authentication, by the platform's address", async () => {
    const { store, proxy } = setup();
    await bind(store, `sip:dave@${OPEN}`, "<sip:dave@192.0.2.30:5060>", BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: "sip:+4930123411@127.0.0.1:5060", from: CARRIER_FROM }), CARRIER_FLOW));
    assert.deepEqual(f.groups[0]!.targets.map((t) => t.requestUri), ["sip:dave@192.0.2.30:5060"]);
  });

  it("answers 480 when no owner has a live binding", async () => {
    const { proxy } = setup();
    assert.equal(responded(await proxy.handle(request({ ruri: "sip:+4930123410@sipfleet.local", from: CARRIER_FROM }), CARRIER_FLOW)).status, 480);
  });

  it("answers 404 for another trunk's DID or a number nobody owns from a trunk's source, looking nothing up", async () => {
    const { store, proxy, lookups } = setup();
    await bind(store, "sip:carol@sipfleet.local", "<sip:carol@192.0.2.31:5060>", BOB_FLOW);
    for (const ruri of ["sip:+4989000000@sipfleet.local", "tel:+4930123499"]) {
      assert.equal(responded(await proxy.handle(request({ ruri, from: CARRIER_FROM }), CARRIER_FLOW)).status, 404, ruri);
    }
    assert.deepEqual(lookups, []);
  });

  it("refuses a number from a source no trunk allows with 403, whether the number exists or not, and routes nothing", async () => {
    const logger = new RecordingLogger();
    const { store, proxy, lookups } = setup(logger);
    await bind(store, "sip:alice@sipfleet.local", "<sip:alice@192.0.2.10:40000>", ALICE_FLOW);
    for (const ruri of ["sip:+4930123400@sipfleet.local", "tel:+4930123400", "sip:+4930123499@sipfleet.local", "sip:+4930123400@127.0.0.1"]) {
      for (const from of [CARRIER_FROM, `sip:dave@${OPEN}`]) {
        const r = responded(await proxy.handle(request({ ruri, from }), ALICE_FLOW));
        assert.deepEqual([r.status, r.reason], [403, "Forbidden"], `${ruri} from ${from}`);
      }
    }
    assert.deepEqual(lookups, []);
    assert.ok(logger.lines.every((l) => l.msg === "request for a number from a source no trunk allows"));
  });

  it("leaves a number dialled by a caller of a digest domain to the outbound step: challenged first (outbound-trunks.test.ts)", async () => {
    const { proxy } = setup();
    const r = responded(await proxy.handle(request({ ruri: "sip:+4930123400@sipfleet.local" }), ALICE_FLOW));
    assert.equal(r.status, 407);
    assert.ok(headerValues(r, "Proxy-Authenticate").length > 0);
  });

  it("treats a trunk's request for a user by name like any foreign caller's", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000>", BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: "sip:bob@sipfleet.local", from: CARRIER_FROM }), CARRIER_FLOW));
    assert.deepEqual(f.groups[0]!.targets.map((t) => t.requestUri), ["sip:bob@192.0.2.20:51000"]);
  });

  it("challenges a trunk with inbound digest credentials before routing its number (trunk-digest.test.ts has the rest)", async () => {
    const { store, proxy, lookups } = setup();
    await bind(store, "sip:carol@sipfleet.local", "<sip:carol@192.0.2.31:5060>", BOB_FLOW);
    const flow = { ...CARRIER_FLOW, remote: { ip: "203.0.113.8", port: 5060 } };
    const r = responded(await proxy.handle(request({ ruri: "sip:+4940000000@sipfleet.local", from: CARRIER_FROM }), flow));
    assert.equal(r.status, 407);
    assert.deepEqual(lookups, []);
  });
});

describe("SipProxy: calls from a trunk with inbound.tlsNames (mutual TLS)", () => {
  const MTLS_FLOW: Flow = { ...CARRIER_FLOW, connectionId: "tls/1.1", transport: "tls", remote: { ip: "203.0.113.10", port: 40123 } };
  const DID = "sip:+4950000000@sipfleet.local";

  it("routes the trunk's DID to its owner when the verified certificate names one of tlsNames", async () => {
    const logger = new RecordingLogger();
    const { store, proxy } = setup(logger);
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000>", BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ ruri: DID, from: CARRIER_FROM }), MTLS_FLOW, wire(MTLS_FLOW), ["other.example", "sbc2.carrier.test"]));
    assert.deepEqual(f.groups[0]!.targets.map((t) => t.requestUri), ["sip:bob@192.0.2.20:51000"]);
    assert.deepEqual(logger.lines, []);
  });

  it("refuses with 403 without names or with names that are not the trunk's, logging the trunk, source and names once", async () => {
    const logger = new RecordingLogger();
    const { store, proxy, lookups } = setup(logger);
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000>", BOB_FLOW);
    const cases: [Flow, string[]][] = [
      [MTLS_FLOW, []],
      [MTLS_FLOW, ["sbc3.carrier.test", "carrier.test"]],
      // The trunk's address over UDP: what a spoofed source looks like.
      [{ ...MTLS_FLOW, transport: "udp", connectionId: "udp:127.0.0.1:5060:203.0.113.10:5060" }, []],
    ];
    for (const [flow, names] of cases) {
      const r = responded(await proxy.handle(request({ ruri: DID, from: CARRIER_FROM }), flow, wire(flow), names));
      assert.deepEqual([r.status, r.reason], [403, "Forbidden"], `${flow.transport} ${names.join(",")}`);
    }
    assert.deepEqual(lookups, []);
    assert.equal(logger.lines.length, cases.length);
    logger.lines.forEach((l, i) => {
      assert.equal(l.level, "warn");
      assert.match(l.msg, /tlsNames/);
      assert.deepEqual(
        { ...(l.obj as Record<string, unknown>), callId: undefined },
        { trunk: "mtls", source: cases[i]![0].remote, transport: cases[i]![0].transport, tlsPeerNames: cases[i]![1], callId: undefined },
      );
    });
  });

  it("leaves trunks without tlsNames as they were: names or none, the source decides", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:alice@sipfleet.local", "<sip:alice@192.0.2.10:40000>", ALICE_FLOW);
    for (const names of [[], ["sbc1.carrier.test"]]) {
      const f = forwarded(await proxy.handle(request({ ruri: "sip:+4930123405@sipfleet.local", from: CARRIER_FROM }), CARRIER_FLOW, wire(CARRIER_FLOW), names));
      assert.deepEqual(f.groups[0]!.targets.map((t) => t.requestUri), ["sip:alice@192.0.2.10:40000"]);
    }
  });

  it("the worker passes the envelope's tls_peer_names to the proxy", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000>", BOB_FLOW);
    const envelope = (tlsPeerNames: string[]) =>
      Envelope.encode({ message: request({ ruri: DID, from: CARRIER_FROM }).bytes, flow: wire(MTLS_FLOW), receivedAtMs: Date.now(), tlsPeerNames }).finish();
    const logger = new RecordingLogger();
    const routed = await answerEnvelope(envelope(["sbc1.carrier.test"]), proxy, logger);
    assert.deepEqual(forwarded(routed).groups[0]!.targets.map((t) => t.requestUri), ["sip:bob@192.0.2.20:51000"]);
    assert.equal(responded(await answerEnvelope(envelope([]), proxy, logger)).status, 403);
  });
});

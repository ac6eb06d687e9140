import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type BindingStore, MemoryBindingStore } from "@sipfleet/bindings";
import { FlowTokens } from "@sipfleet/routing";
import {
  ALICE_FLOW,
  applyForward,
  bind,
  BOB_FLOW,
  domain,
  dropped,
  forwarded,
  headerValues,
  onlyTarget,
  OPEN,
  proxyWith,
  RecordingLogger,
  request,
  responded,
  SECRET,
  settings,
  wire,
  withCredentials,
} from "./proxy-fixtures.js";

const FEDERATED = "sip:eve@example.org"; // a caller of a domain we do not serve: no challenge

function setup(opts: Parameters<typeof proxyWith>[1] = {}) {
  const store = new MemoryBindingStore();
  return { store, proxy: proxyWith(store, opts) };
}

describe("SipProxy: §16.3 validation", () => {
  it("answers Max-Forwards 0 with 483, and drops such an ACK", async () => {
    const { proxy } = setup();
    assert.equal(responded(await proxy.handle(request({ maxForwards: 0, from: FEDERATED }), ALICE_FLOW)).status, 483);
    assert.match(dropped(await proxy.handle(request({ method: "ACK", maxForwards: 0, toTag: "t" }), ALICE_FLOW)), /^483/);
  });

  it("answers a request that comes back unchanged with 482, and lets a spiral through", async () => {
    const { store, proxy } = setup();
    await bind(store, `sip:dave@${OPEN}`, "<sip:dave@192.0.2.30:5060>", BOB_FLOW);
    const first = request({ ruri: `sip:dave@${OPEN}`, from: FEDERATED });
    const f = forwarded(await proxy.handle(first, ALICE_FLOW));
    // dave's UA sends it straight back, unchanged.
    const back = applyForward(first, f, { ...onlyTarget(f), requestUri: "" }, "edge-a");
    assert.equal(responded(await proxy.handle(back, BOB_FLOW)).status, 482);
    // Back with another Request-URI (a forwarding): a spiral, routed again.
    const spiral = applyForward(first, f, { ...onlyTarget(f), requestUri: `sip:carol@${OPEN}` }, "edge-a");
    await bind(store, `sip:carol@${OPEN}`, "<sip:carol@192.0.2.31:5060>", BOB_FLOW);
    assert.equal(forwarded(await proxy.handle(spiral, BOB_FLOW)).groups.length, 1);
  });

  it("answers 500 to a CANCEL or REGISTER (the edge keeps them) and logs it", async () => {
    const logger = new RecordingLogger();
    const { proxy } = setup({ logger });
    for (const method of ["CANCEL", "REGISTER"]) {
      assert.equal(responded(await proxy.handle(request({ method }), ALICE_FLOW)).status, 500, method);
    }
    assert.equal(logger.lines.length, 2);
  });

  it("answers 400 naming the header when a Route value does not parse", async () => {
    const { proxy } = setup();
    const r = responded(await proxy.handle(request({ routes: ["<sip:[bad>"], from: FEDERATED }), ALICE_FLOW));
    assert.equal(r.status, 400);
    assert.match(r.reason, /Route|URI/);
  });
});

describe("SipProxy: §16.5 the Request-URI", () => {
  it("refuses a Request-URI in a domain it does not serve with 403 Relaying Denied, before any challenge", async () => {
    const { proxy } = setup();
    // A global tel: is a number: from a caller of a digest domain it is dialled out
    // (outbound-trunks.test.ts), from anyone else refused by the inbound step (inbound-trunks.test.ts).
    for (const ruri of ["sip:bob@example.org", "sip:bob@192.0.2.99", "sip:bob@127.0.0.1:5099"]) {
      const r = responded(await proxy.handle(request({ ruri }), ALICE_FLOW));
      assert.deepEqual([r.status, r.reason], [403, "Relaying Denied"], ruri);
    }
  });

  it("takes the address the request arrived at (with or without the port) as the only served domain", async () => {
    const store = new MemoryBindingStore();
    const proxy = proxyWith(store, { settings: settings({ domains: [domain(OPEN, [], "none")] }) });
    await bind(store, `sip:dave@${OPEN}`, "<sip:dave@192.0.2.30:5060>", BOB_FLOW);
    for (const ruri of ["sip:dave@127.0.0.1:5060", "sip:dave@127.0.0.1"]) {
      const f = forwarded(await proxy.handle(request({ ruri, from: FEDERATED }), ALICE_FLOW));
      assert.equal(onlyTarget(f).requestUri, "sip:dave@192.0.2.30:5060", ruri);
    }
  });

  it("with several domains, an address means the From's domain; without a served From it is 404", async () => {
    const { store, proxy } = setup();
    await bind(store, `sip:dave@${OPEN}`, "<sip:dave@192.0.2.30:5060>", BOB_FLOW);
    assert.equal(responded(await proxy.handle(request({ ruri: "sip:dave@127.0.0.1:5060", from: FEDERATED }), ALICE_FLOW)).status, 404);
    const f = forwarded(await proxy.handle(request({ ruri: "sip:dave@127.0.0.1:5060", from: `sip:frank@${OPEN}` }), ALICE_FLOW));
    assert.equal(onlyTarget(f).requestUri, "sip:dave@192.0.2.30:5060");
  });

  it("answers 480 to a caller from outside for a user a digest domain does not have (unknown-user.ts), 404 for a Request-URI without a user", async () => {
    const { proxy } = setup();
    assert.deepEqual(responded(await proxy.handle(request({ ruri: "sip:mallory@sipfleet.local", from: FEDERATED }), ALICE_FLOW)).status, 480);
    assert.deepEqual(responded(await proxy.handle(request({ method: "MESSAGE", ruri: "sip:sipfleet.local", from: FEDERATED }), ALICE_FLOW)).status, 404);
  });

  it("answers 480 for a configured user with no live binding", async () => {
    const { proxy } = setup();
    assert.equal(responded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW)).status, 480);
  });

  it("in a domain without authentication any user may be registered: no binding is 480", async () => {
    const { proxy } = setup();
    assert.equal(responded(await proxy.handle(request({ ruri: `sip:nobody@${OPEN}`, from: FEDERATED }), ALICE_FLOW)).status, 480);
  });

  it("answers 503 with Retry-After when the location service is unreachable, and logs it", async () => {
    const logger = new RecordingLogger();
    const broken: BindingStore = Object.assign(new MemoryBindingStore(), {
      lookup: async () => {
        throw new Error("UNAVAILABLE: no location replica");
      },
    });
    const proxy = proxyWith(broken, { logger });
    const r = responded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW));
    assert.equal(r.status, 503);
    assert.deepEqual(headerValues(r, "Retry-After"), ["5"]);
    assert.equal(logger.lines[0]?.msg, "binding store unavailable");
  });
});

describe("SipProxy: targets from the bindings (§16.6)", () => {
  it("sends each branch to the contact's URI, over the binding's flow, behind its Path", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", '<sip:bob@192.0.2.20:51000;transport=tcp;ob>;+sip.instance="<urn:uuid:1>";reg-id=1', BOB_FLOW, {
      path: ["<sip:pathproxy.example.net;lr>"],
    });
    const f = forwarded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW));
    const t = onlyTarget(f);
    assert.equal(t.requestUri, "sip:bob@192.0.2.20:51000;transport=tcp;ob", "the URI, not the name-addr with its parameters");
    assert.deepEqual(t.routes, ["<sip:pathproxy.example.net;lr>"]);
    assert.deepEqual(t.flow, wire(BOB_FLOW));
    assert.equal(f.groups[0]!.timeoutMs, 0, "a single group rings until it ends");
  });

  it("forks by q: higher q first, equal q together; the last group has no timeout", async () => {
    const { store, proxy } = setup({ settings: settings({ serialGroupTimeoutMs: 15_000 }) });
    const aor = "sip:bob@sipfleet.local";
    await bind(store, aor, "<sip:bob@192.0.2.21>", BOB_FLOW, { q: 0.5 });
    await bind(store, aor, "<sip:bob@192.0.2.22>", BOB_FLOW, { q: 1 });
    await bind(store, aor, "<sip:bob@192.0.2.23>", BOB_FLOW, { q: 0.1 });
    await bind(store, aor, "<sip:bob@192.0.2.24>", BOB_FLOW, { q: 0.5 });
    const f = forwarded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW));
    const uris = f.groups.map((g) => g.targets.map((t) => t.requestUri).sort());
    assert.deepEqual(uris, [["sip:bob@192.0.2.22"], ["sip:bob@192.0.2.21", "sip:bob@192.0.2.24"], ["sip:bob@192.0.2.23"]]);
    assert.deepEqual(f.groups.map((g) => g.timeoutMs), [15_000, 15_000, 0]);
    assert.deepEqual(f.groups.map((g) => g.provisionalTimeoutMs), [0, 0, 0], "a user's phone may be slow to answer: no provisional timeout");
  });

  it("rings every contact at once when none gives a q", async () => {
    const { store, proxy } = setup();
    for (const host of ["192.0.2.21", "192.0.2.22", "192.0.2.23"]) await bind(store, "sip:bob@sipfleet.local", `<sip:bob@${host}>`, BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW));
    assert.equal(f.groups.length, 1);
    assert.equal(f.groups[0]!.targets.length, 3);
  });

  it("forks to at most maxTargets, keeping the highest q and then the most recently registered", async () => {
    const { store, proxy } = setup({ settings: settings({ maxTargets: 2 }) });
    const aor = "sip:bob@sipfleet.local";
    await bind(store, aor, "<sip:bob@192.0.2.21>", BOB_FLOW, { q: 0.2 });
    await bind(store, aor, "<sip:bob@192.0.2.22>", BOB_FLOW, { q: 0.9, now: 1000 });
    await bind(store, aor, "<sip:bob@192.0.2.23>", BOB_FLOW, { q: 0.9, now: 2000 });
    const f = forwarded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW));
    assert.deepEqual(f.groups.map((g) => g.targets.map((t) => t.requestUri)), [["sip:bob@192.0.2.23", "sip:bob@192.0.2.22"]]);
  });

  it("skips a stored contact that does not parse, logging it; none left is 480", async () => {
    const logger = new RecordingLogger();
    const { store, proxy } = setup({ logger });
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@[bad>", BOB_FLOW);
    assert.equal(responded(await proxy.handle(request({ from: FEDERATED }), ALICE_FLOW)).status, 480);
    assert.equal(logger.lines[0]?.msg, "stored contacts that do not parse were skipped");
  });

  it("record-routes INVITE, SUBSCRIBE and REFER out of a dialog, nothing else", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
    for (const method of ["INVITE", "SUBSCRIBE", "REFER", "MESSAGE", "OPTIONS", "NOTIFY", "PUBLISH", "INFO"]) {
      const t = onlyTarget(forwarded(await proxy.handle(request({ method, from: FEDERATED }), ALICE_FLOW)));
      assert.equal(t.recordRoutes.length, ["INVITE", "SUBSCRIBE", "REFER"].includes(method) ? 2 : 0, method);
    }
  });

  it("writes each transport's parameter and brackets IPv6 addresses in Record-Route", async () => {
    const { store, proxy } = setup();
    const cases = [
      ["udp", "<sip:127.0.0.2:5070;lr;"],
      ["tcp", "<sip:127.0.0.2:5070;transport=tcp;lr;"],
      ["tls", "<sip:127.0.0.2:5070;transport=tls;lr;"],
      ["ws", "<sip:127.0.0.2:5070;transport=ws;lr;"],
      ["wss", "<sip:127.0.0.2:5070;transport=wss;lr;"],
    ] as const;
    for (const [transport, prefix] of cases) {
      const aor = `sip:${transport}@${OPEN}`;
      await bind(store, aor, `<sip:${transport}@192.0.2.20>`, { ...BOB_FLOW, transport });
      const t = onlyTarget(forwarded(await proxy.handle(request({ ruri: aor, from: FEDERATED }), ALICE_FLOW)));
      assert.ok(t.recordRoutes[0]!.startsWith(prefix), `${transport}: ${t.recordRoutes[0]}`);
    }
    const v6 = { ...ALICE_FLOW, local: { ip: "::1", port: 5060 } };
    await bind(store, `sip:six@${OPEN}`, "<sip:six@[2001:db8::6]>", { ...BOB_FLOW, local: { ip: "::1", port: 5070 } });
    const t = onlyTarget(forwarded(await proxy.handle(request({ ruri: `sip:six@${OPEN}`, from: FEDERATED }), v6)));
    assert.ok(t.recordRoutes[0]!.startsWith("<sip:[::1]:5070;transport=tcp;lr;"));
    assert.ok(t.recordRoutes[1]!.startsWith("<sip:[::1]:5060;lr;"));
  });

  it("forwards a method it does not know like any other (a proxy need not understand it, §16)", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20>", BOB_FLOW);
    assert.equal(onlyTarget(forwarded(await proxy.handle(request({ method: "FROBNICATE", from: FEDERATED }), ALICE_FLOW))).requestUri, "sip:bob@192.0.2.20");
  });
});

describe("SipProxy: §16.4 Route processing", () => {
  it("removes a preloaded Route naming the platform (by address or domain) and routes by the Request-URI", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20>", BOB_FLOW);
    for (const routes of [["<sip:127.0.0.1:5060;lr>"], ["<sip:sipfleet.local;lr>"], ["<sip:127.0.0.1;lr>", "<sip:sipfleet.local;lr>"]]) {
      const f = forwarded(await proxy.handle(request({ routes, from: FEDERATED }), ALICE_FLOW));
      assert.equal(f.popRoutes, routes.length, routes.join());
      assert.equal(onlyTarget(f).requestUri, "sip:bob@192.0.2.20");
    }
  });

  it("keeps a Route that is not the platform's (and then answers by the Request-URI)", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20>", BOB_FLOW);
    const f = forwarded(await proxy.handle(request({ routes: ["<sip:127.0.0.1:5060;lr>", "<sip:other.example;lr>"], from: FEDERATED }), ALICE_FLOW));
    assert.equal(f.popRoutes, 1);
  });

  it("answers 403 Invalid Flow Token to a value naming the platform with a token it did not write (RFC 5626 §5.3)", async () => {
    const { proxy } = setup();
    const forged = new FlowTokens("somebody-else's-secret-0123456789abcdef").encode(wire(BOB_FLOW));
    const bye = request({ method: "BYE", ruri: "sip:bob@192.0.2.20", toTag: "b", routes: [`<sip:127.0.0.1:5060;lr;ft=${forged}>`] });
    const r = responded(await proxy.handle(bye, ALICE_FLOW));
    assert.deepEqual([r.status, r.reason], [403, "Invalid Flow Token"]);
    dropped(await proxy.handle(request({ method: "ACK", ruri: "sip:bob@192.0.2.20", toTag: "b", routes: [`<sip:127.0.0.1:5060;lr;ft=${forged}>`] }), ALICE_FLOW));
  });

  it("leaves a token it cannot read on another host's URI to that host", async () => {
    const { proxy } = setup();
    const bye = request({ method: "BYE", ruri: "sip:bob@192.0.2.20", toTag: "b", routes: ["<sip:proxy.example.org;lr;ft=theirs>"] });
    // Not ours: routed as out of the dialog, and the Request-URI is not ours either.
    assert.equal(responded(await proxy.handle(bye, ALICE_FLOW)).status, 403);
  });

  it("in a dialog, a token without a flow (a trunk call's carrier side) goes nowhere but to a carrier: 403 with no trunks", async () => {
    const { proxy } = setup();
    const none = new FlowTokens(SECRET).encode(undefined);
    // What remains (a Route, then the Request-URI) would decide, and the sender chooses it: no relay.
    const viaRoute = request({ method: "BYE", ruri: "sip:bob@192.0.2.20", toTag: "b", routes: [`<sip:127.0.0.1:5060;lr;ft=${none}>`, "<sip:next.example;lr>"] });
    assert.equal(responded(await proxy.handle(viaRoute, ALICE_FLOW)).status, 403);
    const viaUri = request({ method: "BYE", ruri: "sip:bob@192.0.2.20", toTag: "b", routes: [`<sip:127.0.0.1:5060;lr;ft=${none}>`] });
    assert.equal(responded(await proxy.handle(viaUri, ALICE_FLOW)).status, 403);
  });

  it("out of a dialog, our token is removed but does not route: the Request-URI does, after authentication", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20>", BOB_FLOW);
    const token = new FlowTokens(SECRET).encode(wire(BOB_FLOW));
    const spec = { routes: [`<sip:127.0.0.2:5070;lr;ft=${token}>`] };
    assert.equal(responded(await proxy.handle(request(spec), ALICE_FLOW)).status, 407);
    const f = forwarded(await withCredentials(proxy, spec, ALICE_FLOW));
    assert.equal(f.popRoutes, 1);
    assert.equal(onlyTarget(f).requestUri, "sip:bob@192.0.2.20");
  });
});

describe("SipProxy: in-dialog requests and ACK", () => {
  it("routes an in-dialog request without our Route as out of a dialog (authenticated, relaying refused)", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20>", BOB_FLOW);
    assert.equal(responded(await proxy.handle(request({ method: "BYE", toTag: "b" }), ALICE_FLOW)).status, 407);
    assert.equal(responded(await proxy.handle(request({ method: "BYE", toTag: "b", ruri: "sip:bob@192.0.2.20" }), ALICE_FLOW)).status, 403);
    const f = forwarded(await withCredentials(proxy, { method: "BYE", toTag: "b" }, ALICE_FLOW));
    assert.deepEqual(onlyTarget(f).recordRoutes, [], "no Record-Route inside a dialog");
  });

  it("drops an ACK it cannot route, in a dialog or out of one, never answering it", async () => {
    const { store, proxy } = setup();
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20>", BOB_FLOW);
    assert.match(dropped(await proxy.handle(request({ method: "ACK", toTag: "b" }), ALICE_FLOW)), /did not record-route/);
    assert.match(dropped(await proxy.handle(request({ method: "ACK" }), ALICE_FLOW)), /outside/);
  });

  it("routes BYE, UPDATE, INFO, PRACK, NOTIFY, MESSAGE, REFER and OPTIONS in a dialog by the token, unchallenged", async () => {
    const { proxy } = setup();
    const token = new FlowTokens(SECRET).encode(wire(BOB_FLOW));
    for (const method of ["BYE", "UPDATE", "INFO", "PRACK", "NOTIFY", "MESSAGE", "REFER", "OPTIONS", "SUBSCRIBE"]) {
      const req = request({ method, ruri: "sip:bob@192.0.2.20", toTag: "b", routes: [`<sip:127.0.0.2:5070;transport=tcp;lr;ft=${token}>`] });
      assert.deepEqual(onlyTarget(forwarded(await proxy.handle(req, ALICE_FLOW))).flow, wire(BOB_FLOW), method);
    }
  });
});

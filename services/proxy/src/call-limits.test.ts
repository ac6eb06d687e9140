import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AcquireCallSlots, type Flow, MemoryBindingStore, MemoryCallSlots } from "@sipfleet/bindings";
import { MemoryBus } from "@sipfleet/bus";
import { MemoryCallEvents } from "@sipfleet/call-events/memory";
import type { DomainConfig } from "@sipfleet/config";
import { CallEvent, CallEvent_Ending, CallEvent_Kind } from "@sipfleet/proto";
import { parseSubnet, type Gateway, type NumberRoute, type Trunk } from "@sipfleet/trunks";
import { anyCallLimit } from "./call-limits.js";
import { releasedUpTo, releaseSlotsOfEndedCalls } from "./call-slot-release.js";
import { startProxy } from "./start-proxy.js";
import { ALICE_FLOW, bind, BOB_FLOW, domain, forwarded, OPEN, proxyWith, REALM, request, responded, settings, withCredentials } from "./proxy-fixtures.js";

/** Counts what reaches the slot store: users and trunks without a limit must cost nothing. */
class CountingSlots extends MemoryCallSlots {
  acquires: AcquireCallSlots[] = [];
  override acquireCallSlots(r: AcquireCallSlots) {
    this.acquires.push(r);
    return super.acquireCallSlots(r);
  }
}

/** alice and bob may be in one call each; carol has no limit. */
function limitedDomain(): DomainConfig {
  const base = domain(REALM, ["alice", "bob", "carol"]);
  const users = new Map(base.users);
  for (const name of ["alice", "bob"]) users.set(name, { ...users.get(name)!, maxConcurrentCalls: 1, allowedDestinations: ["+"] });
  users.set("carol", { ...users.get("carol")!, allowedDestinations: ["+"] });
  return { ...base, users, allowedPrefixes: ["+"], blockedPrefixes: [] };
}

function trunk(name: string, limit: number | undefined, gateway: Gateway, numbers: [string, string[]][] = []): Trunk {
  const allow = parseSubnet(name === "carrier-a" ? "198.51.100.0/24" : "203.0.113.0/24");
  if ("problem" in allow) throw new RangeError(allow.problem);
  return {
    name,
    gateways: [gateway],
    inbound: { allow: [allow.subnet], credentials: undefined },
    numbers: numbers.map(([n, owners]) => ({ block: { first: n, last: n }, owners: owners.map((o) => ({ user: o, domain: REALM })) })),
    outbound: { credentials: undefined, register: undefined },
    maxConcurrentCalls: limit,
  };
}

const gw = (host: string): Gateway => ({ host, port: 5060, transport: "udp", priority: 1, weight: 1 });
const CARRIER_A = trunk("carrier-a", 1, gw("192.0.2.91"), [["+4930123400", ["carol"]]]);
const CARRIER_B = trunk("carrier-b", 1, gw("192.0.2.92"));
const SPARE = trunk("spare", undefined, gw("192.0.2.93"));
const ROUTES: NumberRoute[] = [
  { prefix: "+49", trunks: [{ trunk: "carrier-a", priority: 1, weight: 1 }, { trunk: "carrier-b", priority: 2, weight: 1 }] },
  { prefix: "+1", trunks: [{ trunk: "carrier-a", priority: 1, weight: 1 }, { trunk: "spare", priority: 2, weight: 1 }] },
];
const CARRIER_FLOW: Flow = { ...ALICE_FLOW, connectionId: "udp:carrier", remote: { ip: "198.51.100.5", port: 5060 } };
const CAROL_FLOW: Flow = { ...BOB_FLOW, connectionId: "tcp/carol", remote: { ip: "192.0.2.30", port: 5080 } };

async function setup() {
  const store = new MemoryBindingStore();
  const slots = new CountingSlots();
  const proxy = proxyWith(store, {
    settings: settings({ domains: [limitedDomain(), domain(OPEN, [], "none")], trunks: [CARRIER_A, CARRIER_B, SPARE], numberRoutes: ROUTES }),
    callSlots: slots,
    random: () => 0,
  });
  await bind(store, `sip:bob@${REALM}`, "sip:bob@192.0.2.20:51000", BOB_FLOW);
  await bind(store, `sip:alice@${REALM}`, "sip:alice@192.0.2.10:40000", ALICE_FLOW);
  await bind(store, `sip:carol@${REALM}`, "sip:carol@192.0.2.30:5080", CAROL_FLOW);
  return { proxy, slots };
}

const call = (from: string, to: string, callId: string) => ({ from: `sip:${from}@${REALM}`, ruri: `sip:${to}@${REALM}`, to: `sip:${to}@${REALM}`, callId });
const trunksOf = (d: ReturnType<typeof forwarded>) => d.groups.flatMap((g) => g.targets.map((t) => t.trunk));

describe("concurrent-call limits of users", () => {
  it("refuses a caller at their limit with 403 and a callee at theirs with 486; a release lets the next call through", async () => {
    const { proxy, slots } = await setup();
    forwarded(await withCredentials(proxy, call("alice", "carol", "c1"), ALICE_FLOW));
    const again = responded(await withCredentials(proxy, call("alice", "carol", "c2"), ALICE_FLOW));
    assert.deepEqual([again.status, again.reason], [403, "Concurrent Call Limit Reached"]);
    // bob is free, but alice (the callee now) is in c1.
    const busy = responded(await withCredentials(proxy, call("bob", "alice", "c3"), BOB_FLOW, { user: "bob" }));
    assert.deepEqual([busy.status, busy.reason], [486, "Busy Here"]);
    // The refused attempts kept nothing: bob can still call carol.
    forwarded(await withCredentials(proxy, call("bob", "carol", "c4"), BOB_FLOW, { user: "bob" }));
    assert.equal(await slots.releaseCallSlots("c1", 0), 1);
    forwarded(await withCredentials(proxy, call("alice", "carol", "c5"), ALICE_FLOW));
  });

  it("takes nothing for calls between users without a limit, nor for requests other than an initial INVITE", async () => {
    const { proxy, slots } = await setup();
    // carol → carol's... carol has no limit; an unauthenticated domain's caller neither.
    forwarded(await proxy.handle(request({ from: `sip:dave@${OPEN}`, ruri: `sip:carol@${REALM}`, to: `sip:carol@${REALM}`, callId: "o1" }), ALICE_FLOW));
    forwarded(await withCredentials(proxy, { ...call("carol", "carol", "o2") }, CAROL_FLOW, { user: "carol" }));
    forwarded(await withCredentials(proxy, { ...call("alice", "bob", "o3"), method: "MESSAGE" }, ALICE_FLOW));
    assert.equal(slots.acquires.length, 0);
    // alice in a call; her re-INVITE in it (To tag) is not a new call.
    forwarded(await withCredentials(proxy, call("alice", "carol", "o4"), ALICE_FLOW));
    assert.equal(slots.acquires.length, 1);
    const reinvite = await withCredentials(proxy, { ...call("alice", "carol", "o4"), toTag: "carol-tag", cseq: 5 }, ALICE_FLOW);
    assert.equal(slots.acquires.length, 1);
    assert.notEqual(reinvite.action?.$case === "respond" ? reinvite.action.value.status : 0, 403);
  });

  it("counts a user calling themselves once", async () => {
    const { proxy } = await setup();
    // alice (limit 1) calling alice: one call, one slot, not refused as two.
    forwarded(await withCredentials(proxy, call("alice", "alice", "self"), ALICE_FLOW));
  });
});

describe("concurrent-call limits of trunks", () => {
  it("refuses an inbound call beyond the trunk's limit with 503 and no Retry-After", async () => {
    const { proxy, slots } = await setup();
    const inbound = (callId: string) => request({ from: "sip:+4915112345678@198.51.100.5", ruri: `sip:+4930123400@${REALM}`, to: `sip:+4930123400@${REALM}`, callId });
    forwarded(await proxy.handle(inbound("t1"), CARRIER_FLOW));
    const full = responded(await proxy.handle(inbound("t2"), CARRIER_FLOW));
    assert.deepEqual([full.status, full.reason, full.headers], [503, "Trunk Call Limit Reached", []]);
    await slots.releaseCallSlots("t1", 0);
    forwarded(await proxy.handle(inbound("t3"), CARRIER_FLOW));
  });

  it("skips a full trunk for the next one of the route, and leaves out limited trunks whose slot the call does not hold", async () => {
    const { proxy } = await setup();
    const dial = (user: string, callId: string, number = "+4930555000") => ({ from: `sip:${user}@${REALM}`, ruri: `sip:${number}@${REALM}`, to: `sip:${number}@${REALM}`, callId });
    // alice's call takes carrier-a; carrier-b (limited, no slot) is not a failover.
    assert.deepEqual(trunksOf(forwarded(await withCredentials(proxy, dial("alice", "o1"), ALICE_FLOW))), ["carrier-a"]);
    // bob's: carrier-a is full, carrier-b has room.
    assert.deepEqual(trunksOf(forwarded(await withCredentials(proxy, dial("bob", "o2"), BOB_FLOW, { user: "bob" }))), ["carrier-b"]);
    // carol's: both full.
    const none = responded(await withCredentials(proxy, dial("carol", "o3"), CAROL_FLOW, { user: "carol" }));
    assert.deepEqual([none.status, none.reason], [503, "Trunk Call Limit Reached"]);
    // +1: carrier-a full, the unlimited spare trunk remains.
    assert.deepEqual(trunksOf(forwarded(await withCredentials(proxy, dial("carol", "o4", "+12125550100"), CAROL_FLOW, { user: "carol" }))), ["spare"]);
  });
});

describe("releasing slots of ended calls", () => {
  const ended = (callId: string, inviteCseq: number, ending: CallEvent_Ending, answeredAtMs = 0) =>
    CallEvent.fromPartial({ kind: CallEvent_Kind.KIND_ENDED, callId, inviteCseq, ending, answeredAtMs, fromTag: "a", attemptedAtMs: 1 });

  it("frees every attempt after an answered call, only up to its own CSeq after a failed one", () => {
    assert.equal(releasedUpTo(ended("c", 2, CallEvent_Ending.ENDING_BYE, 5)), 0);
    assert.equal(releasedUpTo(ended("c", 2, CallEvent_Ending.ENDING_TIMEOUT, 5)), 0);
    assert.equal(releasedUpTo(ended("c", 1, CallEvent_Ending.ENDING_FAILED)), 1);
    assert.equal(releasedUpTo(ended("c", 3, CallEvent_Ending.ENDING_CANCEL)), 3);
  });

  it("the ENDED of a challenged first attempt leaves the slot its authenticated retry took", async () => {
    const slots = new MemoryCallSlots();
    const events = new MemoryCallEvents({ logger: { warn() {}, error() {}, info() {} } as never });
    const sub = releaseSlotsOfEndedCalls(events, slots, { warn() {}, error() {} });
    const claim = [{ key: "user:sip:alice@x", limit: 1 }];
    assert.equal((await slots.acquireCallSlots({ callId: "c", inviteCseq: 2, claims: claim, ttlMs: 60_000 })).acquired, true);
    events.emit(ended("c", 1, CallEvent_Ending.ENDING_FAILED));
    events.emit(ended("other", 1, CallEvent_Ending.ENDING_FAILED));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await slots.acquireCallSlots({ callId: "d", inviteCseq: 1, claims: claim, ttlMs: 60_000 })).acquired, false);
    events.emit(ended("c", 2, CallEvent_Ending.ENDING_BYE, 5));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await slots.acquireCallSlots({ callId: "d", inviteCseq: 1, claims: claim, ttlMs: 60_000 })).acquired, true);
    await sub.stop();
  });

  it("a worker consumes the ended calls only when some user or trunk has a limit", async () => {
    const claim = [{ key: "user:sip:alice@x", limit: 1 }];
    const quietEvents = { warn() {}, error() {}, info() {} } as never;
    for (const limited of [false, true]) {
      const slots = new MemoryCallSlots();
      const events = new MemoryCallEvents({ logger: quietEvents });
      const base = domain(REALM, ["alice"]);
      const users = new Map(base.users);
      if (limited) users.set("alice", { ...users.get("alice")!, maxConcurrentCalls: 1 });
      const config = settings({ domains: [{ ...base, users }, domain(OPEN, [], "none")] });
      assert.equal(anyCallLimit(config), limited);
      const bus = new MemoryBus({ logger: { warn() {}, error() {} } as never });
      const service = startProxy({ bus, store: new MemoryBindingStore(), config, logger: { warn() {}, error() {} }, callLimits: { slots, endedCalls: events } });
      assert.equal((await slots.acquireCallSlots({ callId: "c", inviteCseq: 1, claims: claim, ttlMs: 60_000 })).acquired, true);
      events.emit(ended("c", 1, CallEvent_Ending.ENDING_BYE, 5));
      await new Promise((r) => setTimeout(r, 20));
      const freed = (await slots.acquireCallSlots({ callId: "d", inviteCseq: 1, claims: claim, ttlMs: 60_000 })).acquired;
      assert.equal(freed, limited, limited ? "a limit configured: the ENDED freed the slot" : "no limit: the ENDED was not consumed");
      await service.stop();
      await bus.drain();
    }
  });
});


// Concurrent-call limits (issue 5) through cluster mode, two proxy workers sharing the slots in
// the location service (Redis) and the ended-call feed (JetStream). alice may be in one call at a
// time; the trunk carries one call at a time; bob has no limit. Every call goes out over the trunk
// to a gateway sipp on 127.0.0.91 that answers; the callers hang up after a talk time.
//
//   user:  alice's call 1 answered → her call 2 gets 403 → call 1's BYE frees the slot → call 3 answered
//   trunk: bob's call 1 answered   → his call 2 gets 503 → call 1's BYE frees the slot → call 3 answered
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { callSlotKey, userAddressOfRecord } from "@sipfleet/bindings";
import { readCallEvents } from "@sipfleet/call-events";
import { CallEvent_Kind } from "@sipfleet/proto";
import { freePort, hasSipp, runSipp, type SippResult } from "@sipfleet/testing";
import { connect, type NatsConnection } from "nats";
import { CALL_SCENARIOS } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, NO_GATEWAY_PINGS, sleep } from "./fixtures.js";
import { listeningSipp } from "./sipp-runs.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const GATEWAY = "127.0.0.91";
const DIALLED = "0301234567";
const TRUNK_KEY = callSlotKey("trunk", "limited-carrier");
const PASSWORDS: Record<string, string> = { alice: "alice-secret", bob: "bob-secret" };

describe("concurrent-call limits (cluster mode)", { skip }, () => {
  let t: TestCluster;
  let nc: NatsConnection;
  let gatewayPort: number;

  before(async () => {
    gatewayPort = await freePort(GATEWAY);
    t = await startTestCluster(
      { edges: 1, registrars: 1, proxies: 2, locations: 1 },
      {
        algorithms: ["MD5", "SHA-256"],
        // The gateway sipp plays calls only; gateway pings are gateway-health.test.ts's.
        edgeYaml: NO_GATEWAY_PINGS,
        extraYaml: `trunks:
  - name: limited-carrier
    maxConcurrentCalls: 1
    gateways:
      - { host: ${GATEWAY}, port: ${gatewayPort}, transport: udp }
    inbound:
      allow: [127.0.0.90]
numberRoutes:
  - prefix: "+49"
    trunks: [{ trunk: limited-carrier }]
`,
        digestDomainYaml: `    dialPlan: [{ match: "0", replace: "+49" }]\n    allowedPrefixes: ["+49"]\n`,
        userYaml: { alice: "        maxConcurrentCalls: 1" },
      },
    );
    nc = await connect({ servers: t.nats.url });
  });
  after(async () => {
    await nc?.close();
    await t?.stop();
  });

  function dial(user: string, scenario: string, talkMs: number): Promise<SippResult> {
    const edge = `127.0.0.1:${t.edgePorts[0] as number}`;
    return freePort("127.0.0.1").then((port) =>
      runSipp({
        scenario: CALL_SCENARIOS + scenario,
        target: edge,
        inject: [[user, DIGEST_DOMAIN, DIALLED]],
        calls: 1,
        localIp: "127.0.0.1",
        localPort: port,
        args: ["-au", user, "-ap", PASSWORDS[user]!, "-auth_uri", `${DIALLED}@${DIGEST_DOMAIN}`, "-d", String(talkMs)],
        timeoutMs: 30_000 + talkMs,
      }),
    );
  }

  async function answeredCount(): Promise<number> {
    let n = 0;
    for await (const _ of readCallEvents(nc, { kind: CallEvent_Kind.KIND_ANSWERED, logger: { warn() {}, error() {} } as never })) n++;
    return n;
  }

  /** Polls until `done`; the deadline guards against hanging, it is not a timing assertion. */
  async function until(done: () => Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (!(await done())) {
      if (Date.now() > end) throw new Error(`gave up waiting for ${what}\n${t.logs.slice(-40).join("\n")}`);
      await sleep(100);
    }
  }

  /**
   * Whether `key` has room for one more call right now, asked of the location service with a probe
   * attempt that is given back at once.
   */
  async function hasRoom(key: string, limit: number): Promise<boolean> {
    const probe = `probe-${Date.now()}-${Math.random()}`;
    const r = await t.client.acquireCallSlots({ callId: probe, inviteCseq: 1, claims: [{ key, limit }], ttlMs: 10_000 });
    await t.client.releaseCallSlots(probe, 0);
    return r.acquired;
  }

  function report(results: Record<string, SippResult | undefined>): string {
    return `${Object.entries(results)
      .map(([name, r]) => `--- ${name}: ${r === undefined ? "not run" : `exit ${r.exitCode}\n${r.stderr}`}`)
      .join("\n")}\n--- cluster:\n${t.logs.slice(-60).join("\n")}`;
  }

  async function limitHolds(caller: string, refusedScenario: string, key: string, limit: number): Promise<void> {
    // The previous test's last call holds the trunk until its ENDED is handled.
    await until(() => hasRoom(TRUNK_KEY, 1), "the trunk to be free");
    // The gateway answers two calls (the first and the third) and then exits.
    const { run: gateway } = await listeningSipp(
      { scenario: CALL_SCENARIOS + "uas-answer.xml", target: `127.0.0.1:${t.edgePorts[0] as number}`, calls: 2, localIp: GATEWAY, localPort: gatewayPort, args: ["-d", "200"], timeoutMs: 90_000 },
      "gateway sipp",
    );

    const answeredBefore = await answeredCount();
    // Call 1 talks for 6 s: long enough for call 2 to be refused meanwhile.
    const first = dial(caller, "uac-call-bye.xml", 6_000);
    await until(async () => (await answeredCount()) > answeredBefore, "call 1 to be answered");
    const second = await dial(caller, refusedScenario, 0);
    const firstResult = await first;
    // The BYE's ENDED event reaches a proxy worker, which frees the slot.
    await until(() => hasRoom(key, limit), `the slot of ${key} to be freed after call 1's BYE`);
    const third = await dial(caller, "uac-call-bye.xml", 200);
    const gatewayResult = await gateway;
    const results = { "call 1": firstResult, "call 2 (refused)": second, "call 3": third, gateway: gatewayResult };
    console.log(
      `${caller}: call 1 exit ${firstResult.exitCode} (answered, BYE), call 2 exit ${second.exitCode} (${refusedScenario}), call 3 exit ${third.exitCode} (answered after the release), gateway exit ${gatewayResult.exitCode} (2 calls)`,
    );
    assert.ok(Object.values(results).every((r) => r.exitCode === 0), report(results));
  }

  it("a user at maxConcurrentCalls 1 gets 403 for a second call; after the BYE a new call goes through", async () => {
    await limitHolds("alice", "uac-call-refused-403.xml", callSlotKey("user", userAddressOfRecord("alice", DIGEST_DOMAIN).aor), 1);
  });

  it("a trunk at maxConcurrentCalls 1 gets 503 for a second call over it; after the BYE a new call goes through", async () => {
    await limitHolds("bob", "uac-call-limit-503.xml", TRUNK_KEY, 1);
  });
});

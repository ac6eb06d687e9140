// Registering with a carrier (issue 5, outbound REGISTER) through cluster mode, sipp as the
// carrier's registrar. Two trunks: "carrier" (password from the environment, passwordEnv) whose
// registrar checks the digest answer with sipp's verifyauth against the right password, and
// "wrong-password" (password from a file, passwordFile) whose registrar expects another one, so
// the credential check can be seen failing (403). Both edges register with each; the carrier then
// calls the Contact an edge registered, with the DID in the To header, and the DID's owner answers.
// Stopping the cluster unregisters (Expires: 0) each edge's Contact.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { freePort, hasSipp, type SippResult } from "@sipfleet/testing";
import { as, runCallFlow } from "./call-flows.js";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, NO_GATEWAY_PINGS } from "./fixtures.js";
import { listeningSipp } from "./sipp-runs.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

const TRUNK_SCENARIOS = fileURLToPath(new URL("../scenarios/trunks/", import.meta.url));

/** The carrier: its registrar and the gateway its calls come from (inbound.allow). */
const CARRIER_IP = "127.0.0.90";
/** The other carrier, whose registrar refuses our credentials. */
const REFUSING_IP = "127.0.0.93";
const AOR_USER = "sipfleet-trunk";
const USERNAME = "sipfleet-account";
const PASSWORD = "carrier-secret-4711";
const PASSWORD_ENV = "SIPFLEET_E2E_CARRIER_PASSWORD";
const DID = "+4930123400";
const CALLER = "+4915112345678";
/** Seconds between refreshes: short, so that the test sees one. */
const INTERVAL = 2;
const EDGES = 2;

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-carrier-"));
  tempDirs.push(dir);
  return dir;
}

/** One SIP message from sipp's -trace_msg file. */
interface TracedMessage {
  readonly direction: "received" | "sent";
  readonly text: string;
}

/** A sipp registrar running in the background, its message trace readable while it runs. */
interface Registrar {
  readonly port: number;
  readonly traceFile: string;
  readonly run: Promise<SippResult>;
  messages(): TracedMessage[];
}

async function startRegistrar(ip: string, username: string, password: string): Promise<Registrar> {
  const port = await freePort(ip);
  const traceFile = join(tempDir(), "messages.log");
  const { run } = await listeningSipp(
    {
      scenario: join(TRUNK_SCENARIOS, "carrier-registrar.xml"),
      // A UAS answers where requests come from; the target is never used.
      target: "127.0.0.1:9",
      inject: Array.from({ length: EDGES }, () => [username, password]),
      calls: EDGES,
      localIp: ip,
      localPort: port,
      args: ["-trace_msg", "-message_file", traceFile],
      timeoutMs: 40_000,
    },
    "sipp carrier-registrar.xml",
  );
  return { port, traceFile, run, messages: () => readTrace(traceFile) };
}

/** sipp's -trace_msg file: each message after "UDP message received [n] bytes :" or "UDP message sent (n bytes):". */
function readTrace(file: string): TracedMessage[] {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return [];
  }
  const out: TracedMessage[] = [];
  for (const block of text.split(/^-{10,}.*$/m)) {
    const m = /^\s*UDP message (received|sent) (?:\[\d+\] bytes :|\(\d+ bytes\):)\s*\n\n?([\s\S]*)$/.exec(block);
    if (m === null) continue;
    out.push({ direction: m[1] as "received" | "sent", text: (m[2] as string).trim() });
  }
  return out;
}

function header(message: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(message);
  return m === null ? undefined : (m[1] as string).trim();
}

const startLine = (m: TracedMessage): string => m.text.split(/\r?\n/, 1)[0] as string;
const cseq = (m: TracedMessage): number => Number.parseInt(header(m.text, "CSeq") ?? "NaN", 10);

/**
 * Per Call-ID (one per edge), the REGISTERs received and the statuses sent, in order; a
 * retransmission (same CSeq again, on a slow machine) counts once.
 */
function exchanges(messages: readonly TracedMessage[]): Map<string, { registers: TracedMessage[]; statuses: number[] }> {
  const byCallId = new Map<string, { registers: TracedMessage[]; statuses: number[]; seen: Set<string> }>();
  for (const m of messages) {
    const callId = header(m.text, "Call-ID") ?? "";
    const entry = byCallId.get(callId) ?? { registers: [], statuses: [], seen: new Set<string>() };
    byCallId.set(callId, entry);
    const key = `${m.direction} ${cseq(m)} ${startLine(m)}`;
    if (entry.seen.has(key)) continue;
    entry.seen.add(key);
    if (m.direction === "received" && startLine(m).startsWith("REGISTER ")) entry.registers.push(m);
    if (m.direction === "sent") entry.statuses.push(Number(startLine(m).split(" ")[1]));
  }
  return new Map([...byCallId].map(([callId, { registers, statuses }]) => [callId, { registers, statuses }]));
}

function summary(messages: readonly TracedMessage[]): string {
  return [...exchanges(messages)]
    .map(
      ([callId, e]) =>
        `Call-ID ${callId}: REGISTER CSeq ${e.registers.map(cseq).join(",")} (Expires ${e.registers.map((r) => header(r.text, "Expires")).join(",")}), answered ${e.statuses.join(",")}`,
    )
    .join("\n");
}

async function waitFor(what: string, ready: () => boolean, explain: () => string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !ready(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${explain()}`);
  }
}

describe("registering with a carrier and taking its calls on the registered Contact (cluster mode)", { skip }, () => {
  let t: TestCluster | undefined;
  let carrier: Registrar;
  let refusing: Registrar;

  before(async () => {
    carrier = await startRegistrar(CARRIER_IP, USERNAME, PASSWORD);
    refusing = await startRegistrar(REFUSING_IP, USERNAME, "the-password-the-carrier-has");
    const wrongPasswordFile = join(tempDir(), "password");
    writeFileSync(wrongPasswordFile, "an-outdated-password\n");
    const trunks = `trunks:
  - name: carrier
    gateways:
      - { host: ${CARRIER_IP}, port: ${carrier.port}, transport: udp }
    inbound:
      allow: [${CARRIER_IP}]
    numbers:
      - { number: "${DID}", owner: alice@${DIGEST_DOMAIN} }
    outbound:
      credentials: { username: ${USERNAME}, passwordEnv: ${PASSWORD_ENV} }
      register: { aor: "sip:${AOR_USER}@carrier.test", expires: 60, interval: ${INTERVAL} }
  - name: wrong-password
    gateways:
      - { host: ${REFUSING_IP}, port: ${refusing.port}, transport: udp }
    inbound:
      allow: [${REFUSING_IP}]
    outbound:
      credentials: { username: ${USERNAME}, passwordFile: ${wrongPasswordFile} }
      register: { aor: "sip:other-account@refusing.test", expires: 60, interval: ${INTERVAL} }
`;
    t = await startTestCluster(
      { edges: EDGES, registrars: 1, proxies: 1, locations: 1 },
      // The registrar sipp plays REGISTERs only; gateway pings are gateway-health.test.ts's.
      { algorithms: ["MD5", "SHA-256"], extraYaml: trunks, edgeYaml: NO_GATEWAY_PINGS },
      { env: { [PASSWORD_ENV]: PASSWORD } },
    );
  });
  after(async () => {
    await t?.stop();
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const clusterLogs = (): string => `--- cluster:\n${(t?.logs ?? []).slice(-60).join("\n")}`;

  it("each edge REGISTERs, answers the 401 with credentials the carrier verifies (200), then refreshes on the same Call-ID with a higher CSeq, answering its challenge too", async () => {
    const explain = (): string => `${summary(carrier.messages())}\n${clusterLogs()}`;
    // Done when each edge's Call-ID has had its challenge answered and one refresh accepted.
    await waitFor(
      "a registration and one refresh from each edge",
      () => {
        const e = [...exchanges(carrier.messages()).values()];
        return e.length === EDGES && e.every((x) => x.statuses.length >= 4);
      },
      explain,
    );
    const seen = exchanges(carrier.messages());
    console.log(`carrier registrar saw:\n${summary(carrier.messages())}`);
    assert.equal(seen.size, EDGES, explain());
    const contacts = new Set<string>();
    for (const [callId, { registers, statuses }] of seen) {
      // The registrar challenges every REGISTER and accepts only credentials verifyauth finds valid.
      assert.deepEqual(statuses.slice(0, 4), [401, 200, 401, 200], `${callId}: 401, 200 for valid credentials, then the same for the refresh\n${explain()}`);
      const [first, answer, refresh, refreshAnswer] = registers as [TracedMessage, TracedMessage, TracedMessage, TracedMessage];
      assert.equal(header(first.text, "Authorization"), undefined, "the first REGISTER has no credentials");
      const authorization = header(answer.text, "Authorization") ?? "";
      assert.match(authorization, /^Digest /, "the second REGISTER answers the challenge");
      assert.match(authorization, new RegExp(`username="${USERNAME}"`));
      assert.match(authorization, /realm="carrier\.test"/);
      assert.match(startLine(first), /^REGISTER sip:carrier\.test SIP\/2\.0$/, "Request-URI: the AOR's domain (RFC 3261 §10.2)");
      assert.match(header(first.text, "To") ?? "", new RegExp(`sip:${AOR_USER}@carrier\\.test`));
      assert.ok(
        cseq(answer) > cseq(first) && cseq(refresh) > cseq(answer) && cseq(refreshAnswer) > cseq(refresh),
        `CSeq rises (RFC 3261 §10.2.4): ${registers.map(cseq).join(", ")}`,
      );
      assert.match(header(refreshAnswer.text, "Authorization") ?? "", new RegExp(`username="${USERNAME}"`), "the refresh's challenge is answered");
      for (const r of registers) assert.equal(header(r.text, "Call-ID"), callId);
      contacts.add(header(first.text, "Contact") ?? "");
      for (const r of [answer, refresh, refreshAnswer]) assert.equal(header(r.text, "Contact"), header(first.text, "Contact"), "the refresh binds the same Contact");
    }
    // Each edge registers its own Contact: the AOR's user at that edge.
    const expected = new Set((t as TestCluster).edgePorts.map((p) => `<sip:${AOR_USER}@127.0.0.1:${p}>`));
    assert.deepEqual(contacts, expected);
    assert.ok(
      (t as TestCluster).logs.filter((l) => l.includes("registered with carrier") && l.includes('"trunk":"carrier"')).length >= EDGES,
      `each edge logged its registration\n${clusterLogs()}`,
    );
  });

  it("a carrier that finds the credentials wrong answers 403: each edge logs the failure and does not retry at once", async () => {
    const explain = (): string => `${summary(refusing.messages())}\n${clusterLogs()}`;
    await waitFor(
      "the 403 to each edge",
      () => {
        const e = [...exchanges(refusing.messages()).values()];
        return e.length === EDGES && e.every((x) => x.statuses.includes(403));
      },
      explain,
    );
    await waitFor(
      "each edge to log the failure",
      () => (t as TestCluster).logs.filter((l) => l.includes("carrier registration failed") && l.includes('"trunk":"wrong-password"')).length >= EDGES,
      explain,
    );
    console.log(`refusing registrar saw:\n${summary(refusing.messages())}`);
    for (const [callId, { registers, statuses }] of exchanges(refusing.messages())) {
      assert.deepEqual(statuses, [401, 403], `${callId}\n${explain()}`);
      assert.equal(registers.length, 2, `the edge answered the challenge once, then backs off (retryBaseMs)\n${explain()}`);
      assert.match(header(registers[1]!.text, "Authorization") ?? "", new RegExp(`username="${USERNAME}"`));
    }
    assert.ok(!t!.logs.some((l) => l.includes("an-outdated-password") || l.includes(PASSWORD)), "no password in the logs");
  });

  it("the carrier's INVITE to an edge's registered Contact, DID in the To header, rings the DID's owner, who answers; BYE ends it", async () => {
    const cluster = t as TestCluster;
    // The second edge's registration when there is one (any edge's Contact would do).
    const registered = [...exchanges(carrier.messages()).values()];
    const chosen = registered[1] ?? registered[0];
    // A carrier calls only a Contact it accepted (the proxy itself routes by the AOR's user alone).
    assert.ok(chosen !== undefined && chosen.statuses.includes(200), `the carrier accepted the Contact\n${summary(carrier.messages())}`);
    const registers = chosen.registers;
    // The Contact as the carrier got it in the REGISTER: sip:<AOR user>@<edge host>:<port>.
    const contact = /<sip:([^>;]+)>/.exec(header(registers[0]!.text, "Contact") ?? "")?.[1];
    assert.ok(contact !== undefined, "the REGISTER carried a Contact");
    const [, hostPort] = contact.split("@") as [string, string];
    const [host, port] = hostPort.split(":") as [string, string];
    // alice registers through the other edge: the call crosses edges as any call may.
    const otherEdge = cluster.edgePorts.find((p) => p !== Number(port)) as number;
    const result = await runCallFlow({
      proxy: { host, port: Number(port) },
      uac: {
        scenario: join(TRUNK_SCENARIOS, "uac-carrier-call-contact.xml"),
        user: CALLER,
        callee: DID,
        moreFields: [contact],
        pauseMs: 300,
        localIp: CARRIER_IP,
      },
      uas: [{ ...as("alice", "uas-answer.xml", 300), via: { host: "127.0.0.1", port: otherEdge } }],
      timeoutMs: 15_000,
    });
    console.log(`call to the registered Contact sip:${contact}:\n${result.report}`);
    assert.ok(result.ok, `${result.report}\n${clusterLogs()}`);
  });

  it("stopping the cluster unregisters each edge's Contact (Expires: 0) where it was registered", async () => {
    const cluster = t as TestCluster;
    t = undefined;
    await cluster.stop();
    const [carrierRun, refusingRun] = await Promise.all([carrier.run, refusing.run]);
    const messages = carrier.messages();
    console.log(`carrier registrar saw, after the stop:\n${summary(messages)}`);
    assert.equal(carrierRun.exitCode, 0, `the registrar played to its end (an unregister from each edge)\n${carrierRun.stderr}\n${summary(messages)}`);
    for (const [callId, { registers, statuses }] of exchanges(messages)) {
      const last = registers[registers.length - 1] as TracedMessage;
      assert.equal(header(last.text, "Expires"), "0", `${callId}: the last REGISTER removes the binding`);
      assert.equal(header(last.text, "Contact"), header(registers[0]!.text, "Contact"), "only this edge's Contact, not *");
      assert.match(header(last.text, "Authorization") ?? "", /^Digest /, "the unregister answers its challenge too");
      assert.equal(statuses[statuses.length - 1], 200);
    }
    // The refusing carrier never accepted a Contact: nothing to remove there.
    assert.equal(refusingRun.exitCode, 0, refusingRun.stderr);
    for (const [, { registers }] of exchanges(refusing.messages())) assert.equal(registers.length, 2);
  });
});

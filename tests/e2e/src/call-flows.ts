// One call flow between real SIP peers through a proxy (RFC 3665 §3): each callee's sipp registers
// its own address, then waits for the call on it; the caller's sipp calls; every sipp must play
// its scenario to the end. The proxy is whatever listens at `proxy`: the Kamailio reference or
// Sipfleet, so the same flows hold both to the same behaviour.
import { join, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, runSipp, type SippResult } from "@sipfleet/testing";
import { DIGEST_DOMAIN, USERS } from "./fixtures.js";
import { waitForUdpPort } from "./udp-ports.js";

/** The call-flow scenarios and the reference proxy config. */
export const CALL_SCENARIOS = fileURLToPath(new URL("../scenarios/calls/", import.meta.url));

export interface SipAddress {
  readonly host: string;
  readonly port: number;
}

export interface CallParty {
  /** A scenario in scenarios/calls/ by file name (`uas-answer.xml`), or an absolute path. */
  readonly scenario: string;
  /** The party's user: the caller's From, or the address-of-record a callee registers. */
  readonly user: string;
  /** Digest password (-au user -ap password); without one sipp has no credentials to offer. */
  readonly password?: string;
  /** Digest username when it is not `user` (a carrier's account, whose From is a phone number). */
  readonly authUser?: string;
  /** How long the scenario's <pause/>s last (sipp -d): ringing, talking. Default 200 ms. */
  readonly pauseMs?: number;
  /** Where this party sends (registers, calls) instead of the flow's proxy: another edge. */
  readonly via?: SipAddress;
  /** Address this party's sipp binds instead of the flow's (a trunk's source address). */
  readonly localIp?: string;
}

export interface Caller extends CallParty {
  /** The user called: the Request-URI is sip:<callee>@<domain>. */
  readonly callee: string;
  /** Injection fields after caller;domain;callee (field3 on), for scenarios that take more. */
  readonly moreFields?: readonly string[];
  /** More sipp arguments for the caller's run (`-cid_str` to know the call's Call-ID). */
  readonly args?: readonly string[];
}

export interface CallFlow {
  /** The proxy and registrar, where every sipp sends. UDP. */
  readonly proxy: SipAddress;
  /** Default sipfleet.local. */
  readonly domain?: string;
  readonly uac: Caller;
  /** Callees, all registered before the call (two for one user: a forked call). */
  readonly uas?: readonly CallParty[];
  /** Longest a caller's sipp may run; callees get 5 s more. Default 20 s. */
  readonly timeoutMs?: number;
  /** Address sipp binds. Default 127.0.0.1. */
  readonly localIp?: string;
  /** sipp -trace_msg: every message in the report of a failed run (it can push the errors out). */
  readonly traceMessages?: boolean;
}

export type PartyRole = "register" | "uas" | "uac" | "unregister";

export interface PartyRun {
  readonly role: PartyRole;
  readonly scenario: string;
  readonly user: string;
  readonly port: number;
  readonly result: SippResult;
}

export interface CallFlowOutcome {
  /** Every sipp (registrations included) exited 0. */
  readonly ok: boolean;
  readonly runs: readonly PartyRun[];
  /** One line per run, then the stderr of each run that failed: for an assertion message. */
  readonly report: string;
}

const REGISTER = "register.xml";
/** Long enough to outlive any flow; each flow removes its bindings when it ends anyway. */
const REGISTER_EXPIRES = 300;

/**
 * Runs one call flow: register each callee from a port of its own, start it there, wait until it
 * listens, run the caller, wait for everyone, then remove the callees' bindings (so the next flow
 * forks to no stale contact). Never throws for a failed peer: the outcome says which failed.
 */
export async function runCallFlow(flow: CallFlow): Promise<CallFlowOutcome> {
  const domain = flow.domain ?? DIGEST_DOMAIN;
  const target = `${flow.proxy.host}:${flow.proxy.port}`;
  const localIp = flow.localIp ?? "127.0.0.1";
  const timeoutMs = flow.timeoutMs ?? 20_000;
  const trace = flow.traceMessages === true ? ["-trace_msg"] : [];
  const runs: PartyRun[] = [];
  const ipOf = (party: CallParty): string => party.localIp ?? localIp;
  const callees = await Promise.all((flow.uas ?? []).map(async (party) => ({ party, port: await freePort(ipOf(party)) })));

  const targetOf = (party: CallParty): string => (party.via === undefined ? target : `${party.via.host}:${party.via.port}`);
  const registration = (party: CallParty, port: number, expires: number): Promise<SippResult> =>
    runSipp({
      scenario: scenarioPath(REGISTER),
      target: targetOf(party),
      inject: [[party.user, domain, String(expires)]],
      calls: 1,
      localIp: ipOf(party),
      localPort: port,
      args: [...credentials(party), "-auth_uri", domain],
      timeoutMs: 10_000,
    });

  let answering: { run: Promise<PartyRun>; listening: Promise<void> }[] = [];
  const play = async (): Promise<void> => {
    for (const { party, port } of callees) {
      const result = await registration(party, port, REGISTER_EXPIRES);
      runs.push({ role: "register", scenario: REGISTER, user: party.user, port, result });
      // A callee that is not registered cannot be called: nothing more to learn from this flow.
      if (result.exitCode !== 0) return;
    }

    answering = callees.map(({ party, port }) => {
      let settled: string | undefined;
      const run = runSipp({
        scenario: scenarioPath(party.scenario),
        target: targetOf(party),
        calls: 1,
        localIp: ipOf(party),
        localPort: port,
        args: ["-d", String(party.pauseMs ?? 200), ...trace],
        timeoutMs: timeoutMs + 5_000,
      }).then((result): PartyRun => {
        settled = `exit ${result.exitCode}: ${result.stderr}`;
        return { role: "uas", scenario: party.scenario, user: party.user, port, result };
      });
      run.catch(() => {}); // awaited below; a spawn failure must not surface as unhandled meanwhile
      return { run, listening: waitForUdpPort(port, { timeoutMs: 10_000, what: `sipp ${party.scenario}`, gaveUp: () => settled }) };
    });
    // A callee that never listens fails on its own (its run ends); the caller still runs, and
    // fails for want of it, so the outcome shows both.
    await Promise.allSettled(answering.map((a) => a.listening));

    const uacPort = await freePort(ipOf(flow.uac));
    const uac = await runSipp({
      scenario: scenarioPath(flow.uac.scenario),
      target: targetOf(flow.uac),
      inject: [[flow.uac.user, domain, flow.uac.callee, ...(flow.uac.moreFields ?? [])]],
      calls: 1,
      localIp: ipOf(flow.uac),
      localPort: uacPort,
      args: [...credentials(flow.uac), "-auth_uri", `${flow.uac.callee}@${domain}`, "-d", String(flow.uac.pauseMs ?? 200), ...trace, ...(flow.uac.args ?? [])],
      timeoutMs,
    });
    runs.push({ role: "uac", scenario: flow.uac.scenario, user: flow.uac.user, port: uacPort, result: uac });
    runs.push(...(await Promise.all(answering.map((a) => a.run))));
  };
  try {
    await play();
  } finally {
    // Each callee's sipp must have exited (its timeout bounds that) before its port is free to
    // unregister from.
    await Promise.allSettled(answering.map((a) => a.run));
    for (const { party, port } of callees) {
      if (!runs.some((r) => r.role === "register" && r.port === port && r.result.exitCode === 0)) continue;
      const result = await registration(party, port, 0);
      runs.push({ role: "unregister", scenario: REGISTER, user: party.user, port, result });
    }
  }
  return outcome(runs);
}

function scenarioPath(scenario: string): string {
  return isAbsolute(scenario) ? scenario : join(CALL_SCENARIOS, scenario);
}

/** sipp 3.6 takes credentials from the command line only ([authentication] expands no fields). */
function credentials(party: CallParty): string[] {
  return party.password === undefined ? [] : ["-au", party.authUser ?? party.user, "-ap", party.password];
}

function outcome(runs: readonly PartyRun[]): CallFlowOutcome {
  const failed = runs.filter((r) => r.result.exitCode !== 0);
  const lines = runs.map(
    (r) => `${r.role} ${r.scenario} as ${r.user} on port ${r.port}: exit ${r.result.exitCode} (${Math.round(r.result.elapsedMs)} ms)`,
  );
  const details = failed.map((r) => `--- ${r.role} ${r.scenario} (${r.user}):\n${r.result.stderr}`);
  return { ok: failed.length === 0, runs, report: [...lines, ...details].join("\n") };
}

const PASSWORDS: ReadonlyMap<string, string> = new Map(USERS);

/** A party with the password fixtures.ts gives its user. */
export function as(user: string, scenario: string, pauseMs?: number): CallParty {
  const password = PASSWORDS.get(user);
  return { scenario, user, ...(password === undefined ? {} : { password }), ...(pauseMs === undefined ? {} : { pauseMs }) };
}

/** A flow without its proxy: the same flows run against Kamailio and against Sipfleet. */
export type ProxylessFlow = Omit<CallFlow, "proxy">;

/** The RFC 3665 §3 flows every proxy under test must carry, by name. */
export const CALL_FLOWS: readonly (readonly [string, ProxylessFlow])[] = [
  [
    "a challenged call that the caller ends: 407, re-INVITE, 180, 200, ACK and BYE along the record-routed dialog",
    { uac: { ...as("alice", "uac-call-bye.xml", 300), callee: "bob" }, uas: [as("bob", "uas-answer.xml")] },
  ],
  [
    "a call that the callee ends: its BYE goes to the caller's Contact through the proxy's route",
    { uac: { ...as("alice", "uac-call-callee-bye.xml"), callee: "bob" }, uas: [as("bob", "uas-answer-then-bye.xml", 300)] },
  ],
  [
    "a busy callee: 486 reaches the caller, who ACKs it; the proxy ACKs the callee",
    { uac: { ...as("carol", "uac-call-busy.xml"), callee: "bob" }, uas: [as("bob", "uas-busy.xml")] },
  ],
  [
    "the caller gives up while it rings: CANCEL, 200, 487 and ACK on both sides",
    { uac: { ...as("alice", "uac-call-cancel.xml", 300), callee: "bob" }, uas: [as("bob", "uas-ring-no-answer.xml")] },
  ],
  [
    "a known user with no binding: 480",
    { uac: { ...as("alice", "uac-call-unavailable.xml"), callee: "carol" } },
  ],
  [
    "a user the proxy does not know: 404",
    { uac: { ...as("alice", "uac-call-unknown.xml"), callee: "dave" } },
  ],
  [
    "two devices for one callee: both ring, one answers, the proxy cancels the other",
    {
      uac: { ...as("alice", "uac-call-bye.xml", 300), callee: "bob" },
      uas: [as("bob", "uas-answer.xml", 500), as("bob", "uas-ring-cancelled.xml")],
    },
  ],
  [
    "a re-INVITE in the dialog puts the callee on hold, then BYE",
    { uac: { ...as("carol", "uac-reinvite.xml", 300), callee: "bob" }, uas: [as("bob", "uas-answer-reinvite.xml")] },
  ],
  [
    "a MESSAGE is challenged like an INVITE and delivered with its text",
    { uac: { ...as("bob", "uac-message.xml"), callee: "alice" }, uas: [as("alice", "uas-message.xml")] },
  ],
];


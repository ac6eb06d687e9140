// sipp runs the end-to-end tests share: a sipp that must listen before anyone calls it (a
// gateway, a carrier, a callee), alice dialling a number, and the report a failed run prints.
import { freePort, runSipp, type SippResult, type SippRun } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { DIGEST_DOMAIN } from "./fixtures.js";
import { waitForUdpPort } from "./udp-ports.js";

/**
 * The digest domain's dial plan in the trunk tests: `0...` is national (+49), `00...`
 * international; +49 may be dialled (`digestDomainYaml` of startTestCluster).
 */
export const GERMAN_DIAL_PLAN = `    dialPlan: [{ match: "00", replace: "+" }, { match: "0", replace: "+49" }]\n    allowedPrefixes: ["+49"]\n`;

/**
 * Starts sipp and resolves once it has bound its UDP port (`run.localPort`), failing at once if
 * it exits first. The run is wrapped: an async function would otherwise wait for the run itself.
 */
export async function listeningSipp(run: SippRun & { readonly localPort: number }, what: string): Promise<{ readonly run: Promise<SippResult> }> {
  let settled: string | undefined;
  const result = runSipp(run);
  void result.then((r) => (settled = `exit ${r.exitCode}: ${r.stderr}`), () => {});
  await waitForUdpPort(run.localPort, { timeoutMs: 10_000, what, gaveUp: () => settled });
  return { run: result };
}

/** alice calls `dialled` through `edge` (host:port) with a call scenario, answering the 407 with her password. */
export async function aliceDials(edge: string, dialled: string, scenario = "uac-call-bye.xml", timeoutMs = 20_000): Promise<SippResult> {
  return runSipp({
    scenario: CALL_SCENARIOS + scenario,
    target: edge,
    inject: [["alice", DIGEST_DOMAIN, dialled]],
    calls: 1,
    localIp: "127.0.0.1",
    localPort: await freePort("127.0.0.1"),
    args: ["-au", "alice", "-ap", "alice-secret", "-auth_uri", `${dialled}@${DIGEST_DOMAIN}`, "-d", "300"],
    timeoutMs,
  });
}

/** The message of a failed assertion: each sipp's exit and stderr, then the cluster's last log lines. */
export function sippReport(results: readonly SippResult[], logs: readonly string[]): string {
  return `${results.map((r, i) => `--- sipp ${i}: exit ${r.exitCode}\n${r.stderr}`).join("\n")}\n--- cluster:\n${logs.slice(-60).join("\n")}`;
}

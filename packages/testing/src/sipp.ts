import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineMissingError, hasBinary } from "./engine-process.js";

/*
 * sipp (Debian package sip-tester) as a real SIP peer for end-to-end tests and benchmarks. Runs
 * a scenario against a target, in the background (-bg would detach; we keep the child), and
 * returns its exit code and the counters from its statistics file.
 */

export interface SippRun {
  /** Scenario XML file. */
  scenario: string;
  /** host:port of the SIP server. */
  target: string;
  transport?: "udp" | "tcp";
  /** Rows for the injection file (-inf), e.g. [["alice", "sipfleet.local", "alice-secret"]]. */
  inject?: readonly (readonly string[])[];
  /** How the injection file is read: SEQUENTIAL (default), RANDOM or USER. */
  injectOrder?: "SEQUENTIAL" | "RANDOM" | "USER";
  /** Calls (scenario runs) to make: -m. */
  calls: number;
  /** Calls started per second: -r. Default 10. */
  rate?: number;
  /** Concurrent calls at most: -l. */
  limit?: number;
  /** Local address and port for sipp (-i, -p); the port defaults to a free one sipp picks. */
  localIp?: string;
  localPort?: number;
  /** Extra command-line arguments. */
  args?: readonly string[];
  /** Kill sipp after this many ms (then exit code null). Default 60 s. */
  timeoutMs?: number;
}

export interface SippResult {
  /** 0: every call succeeded; 1: at least one failed; others: sipp's fatal errors. */
  readonly exitCode: number | null;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  /** Retransmissions sipp sent (it counts them per scenario; summed here). */
  readonly retransmissions: number;
  /** Response time partition / final statistics row as sipp wrote it, header → value. */
  readonly stats: Readonly<Record<string, string>>;
  readonly stderr: string;
  /** Wall time of the run. */
  readonly elapsedMs: number;
}

export function hasSipp(): boolean {
  return hasBinary("sipp");
}

export async function runSipp(run: SippRun): Promise<SippResult> {
  if (!hasSipp()) throw new EngineMissingError("sipp");
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-sipp-"));
  try {
    const statFile = join(dir, "stats.csv");
    const args = [
      run.target,
      "-sf", run.scenario,
      "-t", run.transport === "tcp" ? "t1" : "u1",
      "-m", String(run.calls),
      "-r", String(run.rate ?? 10),
      "-i", run.localIp ?? "127.0.0.1",
      "-nostdin",
      "-trace_stat", "-stf", statFile, "-fd", "1",
      "-trace_err", "-error_file", join(dir, "errors.log"),
      "-timeout", `${Math.ceil((run.timeoutMs ?? 60_000) / 1000)}s`,
      "-timeout_error",
    ];
    if (run.limit !== undefined) args.push("-l", String(run.limit));
    if (run.localPort !== undefined) args.push("-p", String(run.localPort));
    if (run.inject !== undefined) {
      const file = join(dir, "inject.csv");
      writeFileSync(file, [run.injectOrder ?? "SEQUENTIAL", ...run.inject.map((r) => r.join(";"))].join("\n") + "\n");
      args.push("-inf", file);
    }
    args.push(...(run.args ?? []));
    const started = Date.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn("sipp", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        if (err.length < 8192) err += d.toString();
      });
      const killer = setTimeout(() => child.kill("SIGKILL"), (run.timeoutMs ?? 60_000) + 5_000);
      child.once("error", reject);
      child.once("exit", (c) => {
        clearTimeout(killer);
        resolve({ code: c, stderr: err });
      });
    });
    const stats = lastStatsRow(statFile);
    const errors = readdirSync(dir).filter((f) => f.endsWith(".log")).map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
    return {
      exitCode: code,
      successfulCalls: Number(stats["SuccessfulCall(C)"] ?? 0),
      failedCalls: Number(stats["FailedCall(C)"] ?? 0),
      retransmissions: Number(stats["Retransmissions(C)"] ?? 0),
      stats,
      stderr: (stderr + "\n" + errors.slice(0, 8192)).trim(),
      elapsedMs: Date.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sipp's -trace_stat CSV: a header row of `;`-separated names, then one row per dump period. */
function lastStatsRow(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return {};
  }
  const rows = text.split("\n").filter((l) => l.trim() !== "");
  const head = rows[0]?.split(";") ?? [];
  const last = rows.length > 1 ? (rows[rows.length - 1] as string).split(";") : [];
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h !== "") out[h] = last[i] ?? "";
  });
  return out;
}

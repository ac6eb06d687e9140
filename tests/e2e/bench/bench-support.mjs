// What the throughput benchmarks (register.bench.mjs, calls.bench.mjs) share: cleanups run on
// exit, progress lines, per-process CPU from /proc, percentiles and number formats.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";

export const cleanups = [];

export function onCleanup(name, fn) {
  const entry = { name, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs (newest first) every cleanup registered after `mark` (0: all of them). */
export async function runCleanups(mark = 0) {
  while (cleanups.length > mark) {
    const { name, fn } = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      progress(`cleanup ${name}: ${e.message}`);
    }
  }
}

export function progress(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const CLK_TCK = (() => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(out.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/** /proc/<pid>/stat fields after the `(comm)`, which may itself contain spaces and parentheses. */
export function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15 of proc(5); index 11 and 12 counting from field 3). */
export function cpuTicks(pid) {
  const f = statFields(pid);
  return f === undefined ? undefined : Number(f[11]) + Number(f[12]);
}

export function childrenOf(pid) {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (f !== undefined && Number(f[1]) === pid) out.push(Number(name));
  }
  return out;
}

/** Machine-wide busy ticks (all CPUs, everything but idle and iowait) from /proc/stat. */
export function machineBusyTicks() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - f[3] - f[4];
}

/** @param {{ group: string, pid: number }[]} procs */
export function snapshotCpu(procs) {
  return procs.map((p) => ({ ...p, ticks: cpuTicks(p.pid) }));
}

/** CPU seconds per group between two snapshots of the same processes. */
export function cpuDelta(before, after) {
  const byGroup = new Map();
  for (let i = 0; i < before.length; i++) {
    const a = before[i];
    const b = after[i];
    if (a.ticks === undefined || b.ticks === undefined) throw new Error(`process ${a.group} (pid ${a.pid}) vanished during the measured run`);
    const g = byGroup.get(a.group) ?? { seconds: 0, processes: 0 };
    g.seconds += (b.ticks - a.ticks) / CLK_TCK;
    g.processes += 1;
    byGroup.set(a.group, g);
  }
  return byGroup;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function fmtMs(v) {
  return v === undefined ? "-" : v < 1 ? "<1" : String(v);
}

/** Where Debian installs Kamailio. */
export const KAMAILIO = "/usr/sbin/kamailio";

export function kamailioVersion() {
  const out = spawnSync(KAMAILIO, ["-v"], { encoding: "utf8" });
  return /kamailio (\S+)/.exec(out.stdout ?? "")?.[1] ?? "?";
}

export const f2 = (x) => (x === undefined ? "-" : x.toFixed(2));

export const f3 = (x) => (x === undefined ? "-" : x.toFixed(3));

export const int = (x) => x.toLocaleString("en-US");

export function pct(x) {
  return `${(x * 100).toFixed(x < 0.01 ? 3 : 1)}%`;
}

/** The last row of a sipp `-trace_stat` CSV, by column name; undefined before sipp wrote one. */
export function lastStatsRow(file) {
  if (!existsSync(file)) return undefined;
  const rows = readFileSync(file, "latin1").split("\n").filter((l) => l.trim() !== "");
  if (rows.length < 2) return undefined;
  const head = rows[0].split(";");
  const last = rows[rows.length - 1].split(";");
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? ""]));
}

/** POSIX `times`: the shell's user/system, then its children's, as `0m1.230000s 0m0.450000s`. */
export function readTimes(file) {
  try {
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const secs = [...(lines[1] ?? "").matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    return secs.length === 2 ? secs[0] + secs[1] : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the machine had CPU to spare during the final run, and who used it. */
export function saturation(s, m) {
  const others = Math.max(0, s.machineCores - s.serverCores - (s.sippCores ?? 0));
  const head = `the whole machine was ${f2(s.machineCores)} of ${m.nproc} cores busy (other jobs ${f2(others)})`;
  if (s.machineCores < m.nproc * 0.85) return `${head}: not saturated, so the limit is latency under queueing rather than CPU.`;
  return others > 0.2
    ? `${head}: saturated, partly by other jobs, so this rate is a floor of what the box gives an idle run.`
    : `${head}: saturated, so the rate is CPU-bound here.`;
}

/** Replaces the section between `begin` and `end` in `doc` (appends it the first time). */
export function writeDoc(doc, begin, end, section) {
  const block = `${begin}\n${section}${end}\n`;
  let text;
  if (existsSync(doc)) {
    const old = readFileSync(doc, "utf8");
    const a = old.indexOf(begin);
    const b = old.indexOf(end);
    text = a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + end.length + 1) : `${old.trimEnd()}\n\n${block}`;
  } else {
    text = `# Benchmarks\n\nMeasured on the development machines; each section says how to reproduce it.\n\n${block}`;
  }
  writeFileSync(doc, text);
}

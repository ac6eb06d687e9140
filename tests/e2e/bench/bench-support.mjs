// What the throughput benchmarks (register.bench.mjs, calls.bench.mjs) share: cleanups run on
// exit, progress lines, per-process CPU from /proc, the timed sipp spawn and the merge of a run's
// sipps, Kamailio and the cluster as systems under test, the report's tables, and main(). Each
// script keeps what differs: its defaults, its verdict, its load (injection, callees) and its text.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, release, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, freePortRun, hasBinary, kamailioBinary, startKamailio, startNatsServer, startRedisServer } from "@sipfleet/testing";

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

export function kamailioVersion() {
  const out = spawnSync(kamailioBinary() ?? "kamailio", ["-v"], { encoding: "utf8" });
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

// ---------------------------------------------------------------------------------------------
// Options

/** Integer options both benchmarks take: option name -> [key in the options, least value]. */
const COMMON_INTEGERS = {
  edges: ["edges", 1],
  registrars: ["registrars", 1],
  locations: ["locations", 1],
  "start-rate": ["startRate", 1],
  "max-rate": ["maxRate", 1],
  "step-seconds": ["stepSeconds", 1],
  "bisect-seconds": ["bisectSeconds", 1],
  "final-seconds": ["finalSeconds", 1],
  bisections: ["bisections", 0],
  "kamailio-children": ["kamailioChildren", 1],
};

/**
 * The command line over `defaults`: the common options, the script's own integers (`integers`,
 * as COMMON_INTEGERS), and --no-kamailio, --no-sipfleet, --no-doc. --help prints `usage` and exits.
 */
export function readOptions(defaults, integers, usage, strings = {}) {
  const all = { ...COMMON_INTEGERS, ...integers };
  // `pnpm bench:x -- --opt` hands the `--` on (pnpm 10+): it only separates pnpm's options from ours.
  const args = process.argv.slice(2);
  if (args[0] === "--") args.shift();
  const { values } = parseArgs({
    args,
    options: {
      ...Object.fromEntries([...Object.keys(all), ...Object.keys(strings)].map((name) => [name, { type: "string" }])),
      "no-kamailio": { type: "boolean", default: false },
      "no-sipfleet": { type: "boolean", default: false },
      "no-doc": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const opts = { ...defaults };
  for (const [name, [key, min]] of Object.entries(all)) {
    const raw = values[name];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    opts[key] = n;
  }
  for (const [name, key] of Object.entries(strings)) if (values[name] !== undefined) opts[key] = values[name];
  return { ...opts, kamailio: !values["no-kamailio"], sipfleet: !values["no-sipfleet"], writeDoc: !values["no-doc"] };
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started is stopped by its PID, newest first, even on error or Ctrl-C.

export function installSignalCleanup() {
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      progress(`${signal}: stopping everything this benchmark started`);
      void runCleanups().then(() => process.exit(130));
    });
  }
}

/** Runs `fn`, then stops everything it started (one system under test at a time). */
export async function withCleanups(fn) {
  const mark = cleanups.length;
  try {
    return await fn();
  } finally {
    await runCleanups(mark);
  }
}

// ---------------------------------------------------------------------------------------------
// sipp: our own spawn (the @sipfleet/testing runner removes its directory, and with it the
// per-call response times, and does not report sipp's own CPU).

/**
 * One sipp to completion in its own process group (killed as a group after `timeoutMs` or at
 * cleanup). With `times`, through `sh -c` so the shell's `times` after sipp exits gives sipp's
 * own user and system CPU (it is gone before /proc could be read).
 * @returns { code, stderr (trimmed), wallSeconds, sippCpuSeconds (undefined without `times`) }
 */
export async function spawnSipp(args, { cwd, timeoutMs, name = "sipp", times = false }) {
  const timesFile = join(cwd, "times.txt");
  const script = 'sipp "$@" >/dev/null; rc=$?; times > "$SIPP_TIMES"; exit $rc';
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise((resolve, reject) => {
    const child = times
      ? spawn("sh", ["-c", script, "sh", ...args], {
          cwd,
          env: { ...process.env, SIPP_TIMES: timesFile },
          stdio: ["ignore", "ignore", "pipe"],
          detached: true,
        })
      : spawn("sipp", args, { cwd, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let err = "";
    child.stderr.on("data", (d) => {
      if (err.length < 8192) err += d.toString();
    });
    const kill = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const forget = onCleanup(name, kill);
    const killer = setTimeout(kill, timeoutMs);
    child.once("error", reject);
    child.once("exit", (c) => {
      clearTimeout(killer);
      forget();
      resolve({ code: c, stderr: err });
    });
  });
  return {
    code,
    stderr: stderr.trim(),
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    sippCpuSeconds: times ? readTimes(timesFile) : undefined,
  };
}

/**
 * One sipp load run: `rate` calls/s of `scenario` for `seconds`, from a fixed local port, over
 * UDP, with response times (`-trace_rtt`) and the statistics file (`-trace_stat`).
 * @param extraArgs(dir) the script's own arguments (talk time, error file...)
 * @param collect(dir) the script's own results read from sipp's directory before it is removed
 */
export async function runSippLoad({ scenario, target, rate, seconds, localPort, injection, limit, extraArgs = () => [], collect }) {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-bench-sipp-"));
  try {
    const calls = rate * seconds;
    const statFile = join(dir, "stats.csv");
    const args = [
      target,
      "-sf", scenario,
      "-t", "u1",
      "-i", "127.0.0.1",
      "-p", String(localPort),
      "-inf", injection,
      "-m", String(calls),
      "-r", String(rate),
      "-l", String(limit),
      "-recv_timeout", "5000",
      // sipp's default 64 KiB socket buffers drop answers in its own bursts: the load generator
      // must not be what loses packets (capped by net.core.rmem_max / wmem_max).
      "-buff_size", "4194304",
      "-timeout", `${seconds * 3 + 15}s`,
      "-nostdin",
      "-trace_stat", "-stf", statFile, "-fd", "1",
      "-trace_rtt", "-rtt_freq", "1",
      ...extraArgs(dir),
    ];
    const sipp = await spawnSipp(args, { cwd: dir, timeoutMs: (seconds * 3 + 30) * 1000, times: true });
    const stats = lastStatsRow(statFile);
    if (stats === undefined) throw new Error(`sipp wrote no statistics (exit ${sipp.code}): ${sipp.stderr}`);
    const num = (k) => Number(stats[k] ?? 0);
    const epoch = (k) => Number((stats[k] ?? "").split("\t")[2]);
    return {
      rate,
      seconds,
      calls,
      exitCode: sipp.code,
      successful: num("SuccessfulCall(C)"),
      failed: num("FailedCall(C)"),
      retransmissions: num("Retransmissions(C)"),
      // Why calls failed: no answer in time, or another answer (e.g. a 500 or 503).
      timeouts: num("FailedTimeoutOnRecv(C)") + num("FailedMaxUDPRetrans(C)"),
      unexpected: num("FailedUnexpectedMessage(C)"),
      // sipp's own clock from its first call to its last statistics dump (after the last answer).
      elapsed: epoch("CurrentTime") - epoch("StartTime"),
      wallSeconds: sipp.wallSeconds,
      sippCpuSeconds: sipp.sippCpuSeconds,
      sippProcesses: 1,
      stderr: sipp.stderr,
      ...collect(dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `rate` calls/s spread over the system's targets (one sipp per edge), merged into one run:
 * counters summed, the slowest sipp's elapsed time, every response time.
 * @param runOne({ target, rate, localPort }) one sipp's run (runSippLoad)
 * @param mergeExtra(runs) the merge of what the script's `collect` added
 */
export async function splitLoad(sut, rate, seconds, runOne, mergeExtra = () => ({})) {
  // Below one call per second per sipp (the probe), fewer sipps: `-m 0` would mean "no limit".
  const targets = sut.targets.slice(0, Math.min(sut.targets.length, rate));
  const n = targets.length;
  const runs = await Promise.all(
    targets.map((target, k) => runOne({ target, rate: Math.floor(rate / n) + (k < rate % n ? 1 : 0), localPort: sut.localPorts[k] })),
  );
  if (n === 1) return runs[0];
  const sum = (key) => runs.reduce((s, r) => s + r[key], 0);
  return {
    rate,
    seconds,
    calls: sum("calls"),
    exitCode: runs.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
    successful: sum("successful"),
    failed: sum("failed"),
    retransmissions: sum("retransmissions"),
    timeouts: sum("timeouts"),
    unexpected: sum("unexpected"),
    elapsed: Math.max(...runs.map((r) => r.elapsed)),
    wallSeconds: Math.max(...runs.map((r) => r.wallSeconds)),
    rtts: runs.flatMap((r) => r.rtts).sort((a, b) => a - b),
    sippCpuSeconds: runs.some((r) => r.sippCpuSeconds === undefined) ? undefined : sum("sippCpuSeconds"),
    sippProcesses: n,
    stderr: runs.map((r) => r.stderr).filter((e) => e !== "").join("\n"),
    ...mergeExtra(runs),
  };
}

// ---------------------------------------------------------------------------------------------
// Systems under test

/**
 * The script's Kamailio on a free port, from `config` with `{{PORT}}` and `{{CHILDREN}}` filled
 * in, stopped at cleanup. Ready when its workers exist (children + timers); the probe call then
 * proves it answers.
 */
export async function startBenchKamailio({ config, children, sharedMemoryMb }) {
  const kamailio = await startKamailio({
    config,
    port: await freePort(),
    substitutions: { CHILDREN: String(children) },
    sharedMemoryMb,
    privateMemoryMb: 16,
    ready: async (k) => {
      const deadline = Date.now() + 10_000;
      while (childrenOf(k.pid).length < children) {
        if (Date.now() > deadline) throw new Error(`kamailio did not start its workers within 10 s:\n${k.logs().trim()}`);
        await sleep(100);
      }
      await sleep(300);
    },
  });
  onCleanup("kamailio", () => kamailio.stop());
  return kamailio;
}

/**
 * Cluster mode (each tier its own process) with its own nats-server and redis-server, measured
 * by the script's `measure(sut, opts)`. `load(base)` starts what the load needs besides the
 * callers (the callees) and returns the sut's extra fields and processes.
 */
export async function benchCluster(opts, { configPath, measure, load = async () => ({}) }) {
  // Imported here: a Kamailio-only run (--no-sipfleet) needs no built cluster.
  const { startCluster } = await import("@sipfleet/local");
  const nats = await startNatsServer();
  onCleanup("nats-server", () => nats.stop());
  const redis = await startRedisServer();
  onCleanup("redis-server", () => redis.stop());
  const base = await freePortRun(opts.edges);
  const locationPorts = [];
  for (let k = 0; k < opts.locations; k++) locationPorts.push(await freePort());
  const logs = [];
  let logLines = 0;
  const proxies = opts.proxies === undefined ? "" : `${opts.proxies} proxies, `;
  progress(`starting cluster: ${opts.edges} edge(s), ${proxies}${opts.registrars} registrar(s), ${opts.locations} location replica(s); NATS ${nats.url}, Redis ${redis.url}`);
  const cluster = await startCluster({
    edges: opts.edges,
    proxies: opts.proxies,
    registrars: opts.registrars,
    locations: opts.locations,
    natsUrl: nats.url,
    redisUrl: redis.url,
    configPath,
    listen: `udp:127.0.0.1:${base}`,
    locationPorts,
    // "info": the cluster runner waits for each process's "ready" line.
    env: { SIPFLEET_LOG_LEVEL: "info", ...opts.clusterEnv },
    // Measured as deployed: every process serves /metrics, so its instruments record.
    healthServers: true,
    onLog: (name, line) => {
      logLines++;
      if (logs.length >= 200) logs.shift();
      logs.push(`[${name}] ${line}`);
    },
  }).catch((e) => {
    throw new Error(`cluster did not start: ${e.message}\n${logs.slice(-30).join("\n")}`);
  });
  onCleanup("cluster", () => cluster.stop());
  const { processes: loadProcesses = [], ...sutExtra } = await load(base);
  const localPorts = [];
  for (let k = 0; k < opts.edges; k++) localPorts.push(await freePort());
  const sut = {
    name: "sipfleet",
    // One sipp per edge, each with an equal share of the rate: what a load balancer in front would do.
    targets: Array.from({ length: opts.edges }, (_, k) => `127.0.0.1:${base + k}`),
    localPorts,
    ...sutExtra,
    processes: () => [
      ...cluster.processes.map((p) => ({ group: p.tier, pid: p.pid })),
      { group: "nats", pid: nats.pid },
      { group: "redis", pid: redis.pid },
      ...loadProcesses,
    ],
  };
  const linesBefore = logLines;
  const result = await measure(sut, opts);
  const down = cluster.processes.filter((p) => !p.running).map((p) => p.name);
  if (down.length > 0) throw new Error(`cluster processes exited during the benchmark: ${down.join(", ")}\n${logs.slice(-30).join("\n")}`);
  if (logLines - linesBefore > 0) progress(`the cluster logged ${logLines - linesBefore} lines during the load; last: ${logs.at(-1)}`);
  const shape = `${opts.edges} edge, ${proxies}${opts.registrars} registrar, ${opts.locations} location; NATS, Redis`;
  return { ...result, shape, logLinesDuringLoad: logLines - linesBefore };
}

// ---------------------------------------------------------------------------------------------
// Report

/** 1, 5 and 15 minute load averages: how busy the shared machine was around the run. */
/**
 * Where the services export their spans during a tracing benchmark: an OTLP/HTTP endpoint in this
 * process that reads each export, counts it and answers 200, as a collector would, so the cost
 * measured is the services' own (span work, batching, encoding, sending), not a backend's.
 */
export async function startOtlpSink() {
  const { createServer } = await import("node:http");
  const stats = { exports: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on("data", (chunk) => (stats.bytes += chunk.length));
    req.on("end", () => {
      stats.exports++;
      res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 });
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, stats, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

export function loadAverage() {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ");
}

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const nproc = Number(spawnSync("nproc", { encoding: "utf8" }).stdout?.trim()) || availableParallelism();
  const version = (cmd, args, re) => re.exec(spawnSync(cmd, args, { encoding: "utf8" }).stdout ?? "")?.[1] ?? "?";
  return {
    nproc,
    model,
    kernel: release(),
    node: process.version,
    sipp: version("sipp", ["-v"], /SIPp (v[\d.]+)/),
    nats: version("nats-server", ["--version"], /v([\d.]+)/),
    redis: version("redis-server", ["--version"], /v=([\d.]+)/),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    loadBefore: loadAverage(),
  };
}

const TIER_ORDER = ["edge", "proxy", "registrar", "location", "nats", "redis", "kamailio"];

/**
 * The final run's figures. Processes in `loadGroup` (the callee sipps) are load generator, not
 * server: outside the server totals, added to sipp's CPU.
 */
export function summarize(result, loadGroup) {
  const { run, cpu } = result.final;
  const perK = (seconds) => (seconds / run.successful) * 1000;
  const groups = [...cpu.entries()].filter(([g]) => g !== loadGroup).sort((a, b) => TIER_ORDER.indexOf(a[0]) - TIER_ORDER.indexOf(b[0]));
  const serverSeconds = groups.reduce((s, [, g]) => s + g.seconds, 0);
  // sipp's CPU: the callers' own accounting plus the load group's /proc deltas.
  const load = cpu.get(loadGroup) ?? { seconds: 0, processes: 0 };
  const sippSeconds = run.sippCpuSeconds === undefined ? undefined : run.sippCpuSeconds + load.seconds;
  return {
    sustained: result.sustained,
    p50: percentile(run.rtts, 50),
    p99: percentile(run.rtts, 99),
    answered: run.rtts.length,
    successful: run.successful,
    failed: run.failed,
    retransmissions: run.retransmissions,
    seconds: run.seconds,
    elapsed: result.final.verdict.elapsed,
    tiers: groups.map(([group, g]) => ({ group, processes: g.processes, perK: perK(g.seconds), cores: g.seconds / result.final.verdict.elapsed })),
    serverPerK: perK(serverSeconds),
    serverCores: serverSeconds / result.final.verdict.elapsed,
    sippPerK: sippSeconds === undefined ? undefined : perK(sippSeconds),
    sippCores: sippSeconds === undefined ? undefined : sippSeconds / run.wallSeconds,
    sippProcesses: run.sippProcesses + load.processes,
    // Everything on the machine, this benchmark or not (it is shared), during the final run.
    machineCores: run.machineBusySeconds / run.wallSeconds,
    runs: result.log.length,
    capped: result.capped,
  };
}

/**
 * The summary, per-tier and every-run tables.
 * @param labels { unit ("REGISTER", "calls"), p50 (the latency column's head), sipp (the sipp tier row's label) }
 */
export function renderTables(sf, km, labels) {
  const rows = [];
  rows.push(`| System | Shape | Sustained ${labels.unit}/s | ${labels.p50} | p99 ms | Failed / retrans (final run) | Server CPU s / 1,000 ${labels.unit} | Server cores busy | sipp CPU s / 1,000 |`);
  rows.push("|---|---|---:|---:|---:|---:|---:|---:|---:|");
  const line = (name, r, s) =>
    `| ${name} | ${r.shape} | ${int(s.sustained)}${r.capped ? " (cap)" : ""} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} | ${s.failed} / ${s.retransmissions} of ${int(s.successful + s.failed)} | ${f3(s.serverPerK)} | ${f2(s.serverCores)} | ${f3(s.sippPerK)} |`;
  if (sf) rows.push(line("Sipfleet cluster", sf.result, sf.summary));
  if (km) rows.push(line(`Kamailio ${km.result.version}`, km.result, km.summary));
  if (sf && km && km.summary.sustained > 0) {
    rows.push(
      `| **Sipfleet / Kamailio** | | **${(sf.summary.sustained / km.summary.sustained).toFixed(2)}x** | | | | ${(sf.summary.serverPerK / km.summary.serverPerK).toFixed(1)}x the CPU | | |`,
    );
  }
  const tierRows = [`| System | Tier | Processes | CPU s / 1,000 ${labels.unit} | Share | Cores busy at the sustained rate |`, "|---|---|---:|---:|---:|---:|"];
  for (const [name, x] of [["Sipfleet", sf], ["Kamailio", km]]) {
    if (!x) continue;
    for (const t of x.summary.tiers) {
      tierRows.push(`| ${name} | ${t.group} | ${t.processes} | ${f3(t.perK)} | ${((t.perK / x.summary.serverPerK) * 100).toFixed(0)}% | ${f2(t.cores)} |`);
    }
    tierRows.push(`| ${name} | ${labels.sipp} | ${x.summary.sippProcesses} | ${f3(x.summary.sippPerK)} | | ${f2(x.summary.sippCores)} |`);
    tierRows.push(`| ${name} | whole machine during the run (other jobs included) | | | | ${f2(x.summary.machineCores)} |`);
  }
  const runRows = ["| System | Phase | Rate /s | Seconds | OK | Failed | Retrans | Took s | p50 ms | p99 ms | Verdict |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"];
  for (const x of [sf, km]) {
    if (!x) continue;
    for (const { phase, run, verdict } of x.result.log) {
      runRows.push(
        `| ${x.result.name} | ${phase} | ${int(run.rate)} | ${run.seconds} | ${int(run.successful)} | ${run.failed} | ${run.retransmissions} | ${verdict.elapsed.toFixed(2)} | ${fmtMs(percentile(run.rtts, 50))} | ${fmtMs(percentile(run.rtts, 99))} | ${verdict.pass ? "pass" : "fail: " + verdict.reasons.join("; ").replaceAll("|", "/")} |`,
      );
    }
  }
  return { summary: rows.join("\n"), tiers: tierRows.join("\n"), runs: runRows.join("\n") };
}

/** The report's observations; `perWhat` completes "server CPU per ...". */
export function observations(sf, km, m, perWhat) {
  const out = [];
  const us = (x) => Math.round(x * 1000);
  if (sf) {
    const s = sf.summary;
    const tiers = [...s.tiers].sort((a, b) => b.perK - a.perK);
    out.push(
      `- Sipfleet spends ${us(s.serverPerK)} µs of server CPU per ${perWhat}` +
        (km ? `, Kamailio ${us(km.summary.serverPerK)} µs (${(s.serverPerK / km.summary.serverPerK).toFixed(1)}×).` : "."),
    );
    out.push(`- Where it goes: ${tiers.map((t) => `${t.group} ${us(t.perK)} µs (${((t.perK / s.serverPerK) * 100).toFixed(0)}%)`).join(", ")}.`);
    out.push(`- At ${int(s.sustained)}/s the Sipfleet processes kept ${f2(s.serverCores)} of ${m.nproc} cores busy, sipp another ${f2(s.sippCores)}; ${saturation(s, m)}`);
    const firstFail = sf.result.log.find((x) => !x.verdict.pass);
    if (firstFail) out.push(`- Above it, Sipfleet's first failing run (${int(firstFail.run.rate)}/s) failed on: ${firstFail.verdict.reasons.join("; ")}.`);
  }
  if (km) {
    const k = km.summary;
    out.push(`- Kamailio at ${int(k.sustained)}/s used ${f2(k.serverCores)} cores, sipp ${f2(k.sippCores)}; ${saturation(k, m)}`);
    const firstFail = km.result.log.find((x) => !x.verdict.pass);
    if (firstFail) out.push(`- Above it, Kamailio's first failing run (${int(firstFail.run.rate)}/s) failed on: ${firstFail.verdict.reasons.join("; ")}.`);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// main

/**
 * Runs one benchmark: Sipfleet, then Kamailio (unless skipped or not installed), the tables on
 * stdout, the section in the doc, and the last line `<name>: <n>/s sustained, <r>x kamailio, p99 <ms> ms`.
 * Stops everything it started, on error or Ctrl-C too.
 * @param bench { name, options() (readOptions), injection(workDir, opts), sipfleet(opts, injection), kamailio(opts, injection),
 *   loadGroup (see summarize), labels (see renderTables), doc: { path, begin, end, render(m, opts, tables, sf, km, note) } }
 */
export async function benchMain(bench) {
  installSignalCleanup();
  try {
    await runBench(bench);
  } catch (e) {
    progress(`failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  } finally {
    await runCleanups();
  }
}

async function runBench({ name, options, injection: writeInjection, sipfleet, kamailio, loadGroup, labels, doc }) {
  const opts = options();
  if (!hasBinary("sipp")) throw new Error("sipp is not installed (Debian package sip-tester)");
  const m = machine();
  progress(`${m.nproc} CPUs (${m.model}), Node ${m.node}, sipp ${m.sipp}; CLK_TCK ${CLK_TCK}`);
  const work = mkdtempSync(join(tmpdir(), "sipfleet-bench-"));
  onCleanup("work dir", () => rmSync(work, { recursive: true, force: true }));
  const injection = writeInjection(work, opts);

  const started = Date.now();
  let sf;
  if (opts.sipfleet) {
    const result = await withCleanups(() => sipfleet(opts, injection));
    sf = { result, summary: summarize(result, loadGroup) };
  }
  let km;
  let kamailioNote = "";
  if (!opts.kamailio) kamailioNote = "\nKamailio was skipped (--no-kamailio): no ratio.\n";
  else if (kamailioBinary() === undefined) kamailioNote = "\nKamailio is not installed (Debian package `kamailio`): no ratio.\n";
  else {
    const result = await withCleanups(() => kamailio(opts, injection));
    km = { result, summary: summarize(result, loadGroup) };
  }
  const sippBound = [sf, km].filter((x) => x && x.summary.sippCores !== undefined && x.summary.sippCores > 0.8);
  if (sippBound.length > 0) {
    kamailioNote += `\nsipp itself used ${sippBound.map((x) => `${f2(x.summary.sippCores)} cores against ${x.result.name}`).join(" and ")}: ` +
      `on ${m.nproc} cores the load generator competes with the server, so that rate is a floor of the server's capacity.\n`;
  }
  progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const tables = renderTables(sf, km, labels);
  process.stdout.write(`${tables.summary}\n\n${tables.tiers}\n\n`);
  if (opts.writeDoc) {
    writeDoc(doc.path, doc.begin, doc.end, doc.render(m, opts, tables, sf, km, kamailioNote));
    progress(`wrote ${doc.path}`);
  }
  if (sf) {
    const ratio = km && km.summary.sustained > 0 ? (sf.summary.sustained / km.summary.sustained).toFixed(2) : "n/a";
    process.stdout.write(`${name}: ${sf.summary.sustained}/s sustained, ${ratio}x kamailio, p99 ${fmtMs(sf.summary.p99)} ms\n`);
  } else if (km) {
    process.stdout.write(`${name}: kamailio only: ${km.summary.sustained}/s sustained, p99 ${fmtMs(km.summary.p99)} ms\n`);
  }
}

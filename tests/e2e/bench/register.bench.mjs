#!/usr/bin/env node
// `pnpm bench:register`: sustained REGISTER/s of cluster mode on loopback, latency and CPU per
// tier, and the same load against Kamailio as an in-memory registrar, for the ratio. Not a test:
// CI does not run it. It prints a Markdown table, writes it to docs/benchmarks.md, and its last
// line of stdout is `register: <n>/s sustained, <r>x kamailio, p99 <ms> ms`.
//
//   pnpm bench:register [-- --edges 1 --registrars 1 --locations 1 --no-kamailio --no-doc]
//
// Progress goes to stderr; stdout carries only the table and the summary line.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, release, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, freePortRun, hasBinary, startNatsServer, startRedisServer } from "@sipfleet/testing";
import { childrenOf, lastStatsRow, readTimes, saturation, writeDoc, CLK_TCK, cpuDelta, cpuTicks, f2, f3, fmtMs, int, KAMAILIO, kamailioVersion, machineBusyTicks, onCleanup, pct, percentile, progress, runCleanups, sleep, snapshotCpu, statFields, cleanups } from "./bench-support.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "..", "..", "..");
const SCENARIO = join(HERE, "register-bench.xml");
const KAMAILIO_CFG = join(HERE, "kamailio.cfg");
const BENCH_CONFIG = join(ROOT, "deploy", "local", "bench.yaml");
const DOC = join(ROOT, "docs", "benchmarks.md");
const DOMAIN = "bench.sipfleet.local";

const DEFAULTS = {
  // On 2 cores, one process per tier: more processes than cores only adds context switches.
  edges: 1,
  registrars: 1,
  locations: 1,
  users: 10_000,
  expires: 3600,
  // ×2 climbing then 3 bisections brackets the rate within 1/8 of itself, in about half the
  // runs of ×1.5 climbing: the whole benchmark stays under 5 minutes.
  startRate: 250,
  factor: 2,
  bisections: 3,
  // Climbing runs screen quickly; bisection runs and the final run decide.
  stepSeconds: 3,
  bisectSeconds: 8,
  finalSeconds: 15,
  /** The climb stops here: a system that passes at this rate is reported as "(cap)". */
  maxRate: 64_000,
  /** A run passes below this share of failed calls... */
  maxFailureRatio: 0.001,
  /** ...and of retransmitted REGISTERs (a retransmission means no answer within T1 = 500 ms). */
  maxRetransRatio: 0.01,
  /** ...when its calls completed within the planned duration × (1 + slack) + graceSeconds. */
  durationSlack: 0.03,
  graceSeconds: 0.5,
  /** Between runs; longer after a failed one, so an overloaded server's backlog (NATS, gRPC
   * deadlines of 2 s) drains instead of counting against the next run. */
  pauseMs: 1000,
  pauseAfterFailureMs: 5000,
  kamailioChildren: 2,
};

// ---------------------------------------------------------------------------------------------
// Options

function readOptions() {
  const { values } = parseArgs({
    options: {
      edges: { type: "string" },
      registrars: { type: "string" },
      locations: { type: "string" },
      users: { type: "string" },
      "start-rate": { type: "string" },
      "max-rate": { type: "string" },
      "step-seconds": { type: "string" },
      "bisect-seconds": { type: "string" },
      "final-seconds": { type: "string" },
      bisections: { type: "string" },
      "kamailio-children": { type: "string" },
      "no-kamailio": { type: "boolean", default: false },
      "no-sipfleet": { type: "boolean", default: false },
      "no-doc": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(
      "register.bench.mjs [--edges N] [--registrars N] [--locations N] [--users N] [--start-rate R] [--max-rate R]\n" +
        "  [--step-seconds S] [--bisect-seconds S] [--final-seconds S] [--bisections N] [--kamailio-children N]\n" +
        "  [--no-kamailio] [--no-sipfleet] [--no-doc]\n",
    );
    process.exit(0);
  }
  const int = (name, fallback, min) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  return {
    ...DEFAULTS,
    edges: int("edges", DEFAULTS.edges, 1),
    registrars: int("registrars", DEFAULTS.registrars, 1),
    locations: int("locations", DEFAULTS.locations, 1),
    users: int("users", DEFAULTS.users, 1),
    startRate: int("start-rate", DEFAULTS.startRate, 1),
    maxRate: int("max-rate", DEFAULTS.maxRate, 1),
    stepSeconds: int("step-seconds", DEFAULTS.stepSeconds, 1),
    bisectSeconds: int("bisect-seconds", DEFAULTS.bisectSeconds, 1),
    finalSeconds: int("final-seconds", DEFAULTS.finalSeconds, 1),
    bisections: int("bisections", DEFAULTS.bisections, 0),
    kamailioChildren: int("kamailio-children", DEFAULTS.kamailioChildren, 1),
    kamailio: !values["no-kamailio"],
    sipfleet: !values["no-sipfleet"],
    writeDoc: !values["no-doc"],
  };
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started is stopped by its PID, newest first, even on error or Ctrl-C.

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    progress(`${signal}: stopping everything this benchmark started`);
    void runCleanups().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc: utime + stime of a process (all its threads), in clock ticks.

// ---------------------------------------------------------------------------------------------
// sipp: our own spawn (the @sipfleet/testing runner removes its directory, and with it the
// per-call response times, and does not report sipp's own CPU).

function writeInjection(dir, users) {
  const rows = ["SEQUENTIAL"];
  for (let i = 0; i < users; i++) rows.push(`u${i};${DOMAIN};${DEFAULTS.expires}`);
  const file = join(dir, "users.csv");
  writeFileSync(file, rows.join("\n") + "\n");
  return file;
}

/**
 * One sipp run: `rate` REGISTER/s for `seconds`, from a fixed local port (the Contact, so the
 * same AOR refreshes one binding run after run instead of piling up new ones).
 */
async function runSipp({ target, rate, seconds, localPort, injection }) {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-bench-sipp-"));
  try {
    const calls = rate * seconds;
    const statFile = join(dir, "stats.csv");
    const timesFile = join(dir, "times.txt");
    const args = [
      target,
      "-sf", SCENARIO,
      "-t", "u1",
      "-i", "127.0.0.1",
      "-p", String(localPort),
      "-inf", injection,
      "-m", String(calls),
      "-r", String(rate),
      // One second of calls in flight at most: more would only hide an overloaded server.
      "-l", String(Math.max(200, rate)),
      "-recv_timeout", "5000",
      // sipp's default 64 KiB socket buffers drop answers in its own bursts: the load generator
      // must not be what loses packets (capped by net.core.rmem_max / wmem_max).
      "-buff_size", "4194304",
      "-timeout", `${seconds * 3 + 15}s`,
      "-nostdin",
      "-trace_stat", "-stf", statFile, "-fd", "1",
      "-trace_rtt", "-rtt_freq", "1",
    ];
    // `times` in the shell after sipp exits: sipp's own user and system CPU (it is gone before
    // /proc could be read).
    const script = 'sipp "$@" >/dev/null; rc=$?; times > "$SIPP_TIMES"; exit $rc';
    const started = process.hrtime.bigint();
    const { code, stderr } = await new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", script, "sh", ...args], {
        cwd: dir,
        env: { ...process.env, SIPP_TIMES: timesFile },
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
      });
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
      const forget = onCleanup("sipp", kill);
      const killer = setTimeout(kill, (seconds * 3 + 30) * 1000);
      child.once("error", reject);
      child.once("exit", (c) => {
        clearTimeout(killer);
        forget();
        resolve({ code: c, stderr: err });
      });
    });
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = lastStatsRow(statFile);
    if (stats === undefined) throw new Error(`sipp wrote no statistics (exit ${code}): ${stderr.trim()}`);
    const num = (k) => Number(stats[k] ?? 0);
    const epoch = (k) => Number((stats[k] ?? "").split("\t")[2]);
    const rtts = readRtts(dir);
    return {
      rate,
      seconds,
      calls,
      exitCode: code,
      successful: num("SuccessfulCall(C)"),
      failed: num("FailedCall(C)"),
      retransmissions: num("Retransmissions(C)"),
      // Why calls failed: no 200 in time, or another answer (e.g. a 500 or 503).
      timeouts: num("FailedTimeoutOnRecv(C)") + num("FailedMaxUDPRetrans(C)"),
      unexpected: num("FailedUnexpectedMessage(C)"),
      // sipp's own clock from its first call to its last statistics dump (after the last answer).
      elapsed: epoch("CurrentTime") - epoch("StartTime"),
      wallSeconds,
      rtts,
      sippCpuSeconds: readTimes(timesFile),
      sippProcesses: 1,
      stderr: stderr.trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sipp's -trace_stat CSV: `;`-separated header, then one row per dump; the last is final. */
/**
 * `rate` REGISTER/s spread over the system's targets (one sipp per edge), merged into one run:
 * counters summed, the slowest sipp's elapsed time, every response time.
 */
async function runLoad(sut, rate, seconds) {
  // Below one call per second per sipp (the probe), fewer sipps: `-m 0` would mean "no limit".
  const targets = sut.targets.slice(0, Math.min(sut.targets.length, rate));
  const n = targets.length;
  const runs = await Promise.all(
    targets.map((target, k) =>
      runSipp({ target, rate: Math.floor(rate / n) + (k < rate % n ? 1 : 0), seconds, localPort: sut.localPorts[k], injection: sut.injection }),
    ),
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
  };
}

/** `<scenario>_<pid>_rtt.csv`: `Date_ms;response_time_ms;rtd_no`, one row per answered call. */
function readRtts(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith("_rtt.csv"));
  if (file === undefined) return [];
  const out = [];
  for (const line of readFileSync(join(dir, file), "latin1").split("\n")) {
    const v = Number(line.split(";")[1]);
    if (line !== "" && !line.startsWith("Date") && Number.isFinite(v)) out.push(v);
  }
  return out.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// The verdict of one run and the search for the sustained rate.

function judge(run, opts) {
  const reasons = [];
  const done = run.successful + run.failed;
  if (done < run.calls) reasons.push(`${run.calls - done} of ${run.calls} calls never finished`);
  if (run.failed >= opts.maxFailureRatio * run.calls) {
    reasons.push(`${run.failed} failed (${pct(run.failed / run.calls)}: ${run.timeouts} unanswered, ${run.unexpected} answered with another status)`);
  }
  if (run.retransmissions > opts.maxRetransRatio * run.calls) reasons.push(`${run.retransmissions} retransmissions`);
  const allowed = run.seconds * (1 + opts.durationSlack) + opts.graceSeconds;
  const elapsed = Number.isFinite(run.elapsed) && run.elapsed > 0 ? run.elapsed : run.wallSeconds;
  if (elapsed > allowed) reasons.push(`took ${elapsed.toFixed(2)} s for a ${run.seconds} s load (achieved ${Math.round(done / elapsed)}/s)`);
  if (run.exitCode !== 0 && run.exitCode !== 1) reasons.push(`sipp exit ${run.exitCode}: ${run.stderr.slice(0, 300)}`);
  return { pass: reasons.length === 0, reasons, elapsed };
}

/**
 * @param {object} sut { name, targets, localPorts (one per target), injection, processes(): {group,pid}[] }
 * @returns the search log, the sustained rate and the final run's measurements.
 */
async function measure(sut, opts) {
  const log = [];
  const attempt = async (rate, seconds, phase, cpuProcs) => {
    await sleep(log.at(-1)?.verdict.pass === false ? opts.pauseAfterFailureMs : opts.pauseMs);
    const before = cpuProcs === undefined ? undefined : snapshotCpu(cpuProcs);
    const machineBefore = machineBusyTicks();
    const run = await runLoad(sut, rate, seconds);
    const cpu = before === undefined ? undefined : cpuDelta(before, snapshotCpu(cpuProcs));
    run.machineBusySeconds = (machineBusyTicks() - machineBefore) / CLK_TCK;
    const verdict = judge(run, opts);
    log.push({ phase, run, verdict });
    progress(
      `${sut.name} ${phase} ${rate}/s × ${seconds} s: ${verdict.pass ? "pass" : "FAIL"} — ${run.successful} ok, ${run.failed} failed, ` +
        `${run.retransmissions} retrans, ${verdict.elapsed.toFixed(2)} s, p50 ${fmtMs(percentile(run.rtts, 50))} p99 ${fmtMs(percentile(run.rtts, 99))} ms` +
        (verdict.pass ? "" : ` (${verdict.reasons.join("; ")})`),
    );
    return { run, verdict, cpu };
  };

  // Answers at all? One REGISTER, then a short warm-up (JIT, connection pools) that counts for nothing.
  const probe = await attempt(1, 1, "probe", undefined);
  if (probe.run.successful !== 1) throw new Error(`${sut.name} did not answer a REGISTER with 200: ${probe.verdict.reasons.join("; ")}`);
  await attempt(opts.startRate, 3, "warm-up", undefined);

  let pass;
  let fail;
  for (let rate = Math.min(opts.startRate, opts.maxRate); ; rate = Math.min(Math.round(rate * opts.factor), opts.maxRate)) {
    const { verdict } = await attempt(rate, opts.stepSeconds, "climb", undefined);
    if (verdict.pass) pass = rate;
    else {
      fail = rate;
      break;
    }
    if (rate >= opts.maxRate) break;
  }
  // Failing at the start rate: walk down instead.
  for (let rate = Math.floor(opts.startRate / 2); pass === undefined && rate >= 10; rate = Math.floor(rate / 2)) {
    const { verdict } = await attempt(rate, opts.stepSeconds, "descend", undefined);
    if (verdict.pass) pass = rate;
    else fail = rate;
  }
  if (pass === undefined) throw new Error(`${sut.name} fails the criteria even at 10 REGISTER/s`);
  for (let i = 0; i < opts.bisections && fail !== undefined && fail - pass > Math.max(10, pass * 0.02); i++) {
    const mid = Math.round((pass + fail) / 2);
    const { verdict } = await attempt(mid, opts.bisectSeconds, "bisect", undefined);
    if (verdict.pass) pass = mid;
    else fail = mid;
  }
  // The final, longer run at the rate found decides; if it fails, 15% lower, four times at most
  // (a rate that held for 8 s may not hold for 15 on a busy machine).
  let final;
  for (let tries = 0; tries < 5; tries++) {
    if (tries > 0) pass = Math.round(pass * 0.85);
    final = await attempt(pass, opts.finalSeconds, "final", sut.processes());
    if (final.verdict.pass) break;
  }
  return { name: sut.name, log, sustained: final.verdict.pass ? pass : 0, final, capped: fail === undefined };
}

// ---------------------------------------------------------------------------------------------
// Systems under test

async function benchSipfleet(opts, injection) {
  const mark = cleanups.length;
  try {
    return await benchCluster(opts, injection);
  } finally {
    await runCleanups(mark);
  }
}

async function benchCluster(opts, injection) {
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
  progress(`starting cluster: ${opts.edges} edge(s), ${opts.registrars} registrar(s), ${opts.locations} location replica(s); NATS ${nats.url}, Redis ${redis.url}`);
  const cluster = await startCluster({
    edges: opts.edges,
    registrars: opts.registrars,
    locations: opts.locations,
    natsUrl: nats.url,
    redisUrl: redis.url,
    configPath: BENCH_CONFIG,
    listen: `udp:127.0.0.1:${base}`,
    locationPorts,
    // "info": the cluster runner waits for each process's "ready" line.
    env: { SIPFLEET_LOG_LEVEL: "info" },
    onLog: (name, line) => {
      logLines++;
      if (logs.length >= 200) logs.shift();
      logs.push(`[${name}] ${line}`);
    },
  }).catch((e) => {
    throw new Error(`cluster did not start: ${e.message}\n${logs.slice(-30).join("\n")}`);
  });
  onCleanup("cluster", () => cluster.stop());
  const localPorts = [];
  for (let k = 0; k < opts.edges; k++) localPorts.push(await freePort());
  const sut = {
    name: "sipfleet",
    // One sipp per edge, each with an equal share of the rate: what a load balancer in front would do.
    targets: Array.from({ length: opts.edges }, (_, k) => `127.0.0.1:${base + k}`),
    localPorts,
    injection,
    processes: () => [
      ...cluster.processes.map((p) => ({ group: p.tier, pid: p.pid })),
      { group: "nats", pid: nats.pid },
      { group: "redis", pid: redis.pid },
    ],
  };
  const linesBefore = logLines;
  const result = await measure(sut, opts);
  const down = cluster.processes.filter((p) => !p.running).map((p) => p.name);
  if (down.length > 0) throw new Error(`cluster processes exited during the benchmark: ${down.join(", ")}\n${logs.slice(-30).join("\n")}`);
  if (logLines - linesBefore > 0) progress(`the cluster logged ${logLines - linesBefore} lines during the load; last: ${logs.at(-1)}`);
  return { ...result, shape: `${opts.edges} edge, ${opts.registrars} registrar, ${opts.locations} location; NATS, Redis`, logLinesDuringLoad: logLines - linesBefore };
}

async function startKamailio(opts) {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-bench-kamailio-"));
  const port = await freePort();
  const cfg = join(dir, "kamailio.cfg");
  writeFileSync(
    cfg,
    readFileSync(KAMAILIO_CFG, "utf8").replaceAll("{{PORT}}", String(port)).replaceAll("{{CHILDREN}}", String(opts.kamailioChildren)),
  );
  // -DD: the creator stays in the foreground as our child (its workers fork from it); -E: logs to
  // stderr; its own pid file and runtime directory, so no other Kamailio is ever touched.
  const child = spawn(KAMAILIO, ["-DD", "-E", "-f", cfg, "-P", join(dir, "kamailio.pid"), "-Y", dir, "-w", dir, "-m", "128", "-M", "16"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => {
    if (err.length < 16384) err += d.toString();
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, "SIGTERM");
      const t = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  onCleanup("kamailio", stop);
  // Ready when its workers exist (children + timers); then the probe REGISTER proves it answers.
  const deadline = Date.now() + 10_000;
  while (childrenOf(child.pid).length < opts.kamailioChildren) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kamailio exited at start:\n${err.trim()}`);
    if (Date.now() > deadline) throw new Error(`kamailio did not start its workers within 10 s:\n${err.trim()}`);
    await sleep(100);
  }
  await sleep(300);
  return { pid: child.pid, port, stop };
}

async function benchKamailio(opts, injection) {
  const mark = cleanups.length;
  try {
    const kam = await startKamailio(opts);
    const procs = () => [kam.pid, ...childrenOf(kam.pid)].map((pid) => ({ group: "kamailio", pid }));
    progress(`kamailio ${kamailioVersion()} on udp:127.0.0.1:${kam.port}, pid ${kam.pid}, ${procs().length} processes`);
    const result = await measure(
      { name: "kamailio", targets: [`127.0.0.1:${kam.port}`], localPorts: [await freePort()], injection, processes: procs },
      opts,
    );
    return { ...result, shape: `${opts.kamailioChildren} UDP workers (children=${opts.kamailioChildren}), usrloc db_mode 0`, version: kamailioVersion() };
  } finally {
    await runCleanups(mark);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function machine() {
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
  };
}

const TIER_ORDER = ["edge", "registrar", "location", "nats", "redis", "kamailio"];

function summarize(result) {
  const { run, cpu } = result.final;
  const perK = (seconds) => (seconds / run.successful) * 1000;
  const groups = [...cpu.entries()].sort((a, b) => TIER_ORDER.indexOf(a[0]) - TIER_ORDER.indexOf(b[0]));
  const serverSeconds = groups.reduce((s, [, g]) => s + g.seconds, 0);
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
    sippPerK: run.sippCpuSeconds === undefined ? undefined : perK(run.sippCpuSeconds),
    sippCores: run.sippCpuSeconds === undefined ? undefined : run.sippCpuSeconds / run.wallSeconds,
    // Everything on the machine, this benchmark or not (it is shared), during the final run.
    machineCores: run.machineBusySeconds / run.wallSeconds,
    runs: result.log.length,
    capped: result.capped,
  };
}

function renderTables(sf, km, opts) {
  const rows = [];
  rows.push("| System | Shape | Sustained REGISTER/s | p50 ms | p99 ms | Failed / retrans (final run) | Server CPU s / 1,000 REGISTER | Server cores busy | sipp CPU s / 1,000 |");
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
  const tierRows = ["| System | Tier | Processes | CPU s / 1,000 REGISTER | Share | Cores busy at the sustained rate |", "|---|---|---:|---:|---:|---:|"];
  for (const [name, x] of [["Sipfleet", sf], ["Kamailio", km]]) {
    if (!x) continue;
    for (const t of x.summary.tiers) {
      tierRows.push(`| ${name} | ${t.group} | ${t.processes} | ${f3(t.perK)} | ${((t.perK / x.summary.serverPerK) * 100).toFixed(0)}% | ${f2(t.cores)} |`);
    }
    tierRows.push(`| ${name} | sipp (load generator, not counted above) | ${x.result.final.run.sippProcesses} | ${f3(x.summary.sippPerK)} | | ${f2(x.summary.sippCores)} |`);
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

function renderDoc(m, opts, tables, sf, km, kamailioNote) {
  const runs = (sf?.summary.runs ?? 0) + (km?.summary.runs ?? 0);
  return `## REGISTER throughput: \`pnpm bench:register\`

Generated by \`tests/e2e/bench/register.bench.mjs\` on ${m.date}; rerun it to refresh this section.

**Machine:** ${m.nproc} CPUs (${m.model}), Linux ${m.kernel}, Node ${m.node}, sipp ${m.sipp}, nats-server ${m.nats}, redis-server ${m.redis}${km ? `, Kamailio ${km.result.version}` : ""}.
Shared and noisy (other jobs run on it; hop costs vary by ±15% there): read the figures as one
sample, not a specification. This section comes from one invocation: ${runs} sipp runs in all
(every run is listed below).

### Result

${tables.summary}
${kamailioNote}
### CPU per tier (final run at the sustained rate, from each process's own accounting)

${tables.tiers}

### Method

- **Load:** sipp ${m.sipp} over UDP on loopback, \`tests/e2e/bench/register-bench.xml\`: REGISTER →
  200 whose Contact carries \`expires=\` (the binding came back), a new Call-ID per call,
  Expires ${DEFAULTS.expires}, ${int(opts.users)} distinct users (\`u0\`…\`u${opts.users - 1}\` in
  \`${DOMAIN}\`, cycled) from one fixed sipp port, so each AOR keeps one binding that every pass
  refreshes. At most one second of calls in flight (\`-l\`), a call fails after 5 s without its 200.
- **Sipfleet:** cluster mode (\`startCluster\` from \`@sipfleet/local\`): each tier its own Node
  process, a test-owned nats-server and redis-server, config \`deploy/local/bench.yaml\`
  (authentication none on ${DOMAIN}, loopback only). Default shape ${opts.edges} edge,
  ${opts.registrars} registrar, ${opts.locations} location: on ${m.nproc} cores shared with sipp,
  NATS and Redis, more replicas than cores add context switches, not capacity
  (\`--edges/--registrars/--locations\` change it; with several edges, one sipp per edge
  carries an equal share of the rate).
- **Kamailio:** \`tests/e2e/bench/kamailio.cfg\` (port filled in at run time): sl + usrloc
  (db_mode 0, in memory) + registrar, \`save("location")\` for every REGISTER, children=${opts.kamailioChildren},
  foreground (\`-DD -E\`) with its own pid file and runtime directory, stopped by PID.
- **Sustained rate:** runs of fixed length at \`-r R -m R×seconds\`: ${opts.startRate}/s first, ×${opts.factor}
  per ${opts.stepSeconds} s run until one fails, then up to ${opts.bisections} ${opts.bisectSeconds} s bisections,
  then a ${opts.finalSeconds} s final run (15% lower if it fails, four times at most). A run passes when failed calls
  < ${opts.maxFailureRatio * 100}% of calls, retransmissions ≤ ${opts.maxRetransRatio * 100}%, and every call
  finished within the planned duration + ${opts.durationSlack * 100}% + ${opts.graceSeconds} s (sipp really
  achieved R). Sustained = the rate of the passing final run.
- **Latency:** sipp's per-call response time (\`-trace_rtt -rtt_freq 1\`, REGISTER sent → 200
  received) over every call of the final run; nearest-rank p50/p99. sipp's clock ticks in whole
  milliseconds: "<1" is under a millisecond, and every figure is ±1 ms.
- **CPU:** utime + stime from \`/proc/<pid>/stat\` (all threads) before and after the final run
  for every server process (Kamailio: its main process and all its children), divided by the
  REGISTERs answered; sipp's own from the shell's \`times\`. "Cores busy" = CPU seconds / wall
  seconds of the run.

### Observations (computed from this run)

${observations(sf, km, m)}

### Every run

${tables.runs}
`;
}

function observations(sf, km, m) {
  const out = [];
  const us = (x) => Math.round(x * 1000);
  if (sf) {
    const s = sf.summary;
    const tiers = [...s.tiers].sort((a, b) => b.perK - a.perK);
    out.push(
      `- Sipfleet spends ${us(s.serverPerK)} µs of server CPU per REGISTER` +
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

const BEGIN = "<!-- bench:register begin (generated by tests/e2e/bench/register.bench.mjs) -->";
const END = "<!-- bench:register end -->";

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = readOptions();
  if (!hasBinary("sipp")) throw new Error("sipp is not installed (Debian package sip-tester)");
  const m = machine();
  progress(`${m.nproc} CPUs (${m.model}), Node ${m.node}, sipp ${m.sipp}; CLK_TCK ${CLK_TCK}`);
  const work = mkdtempSync(join(tmpdir(), "sipfleet-bench-"));
  onCleanup("work dir", () => rmSync(work, { recursive: true, force: true }));
  const injection = writeInjection(work, opts.users);

  const started = Date.now();
  let sf;
  if (opts.sipfleet) {
    const result = await benchSipfleet(opts, injection);
    sf = { result, summary: summarize(result) };
  }
  let km;
  let kamailioNote = "";
  if (!opts.kamailio) kamailioNote = "\nKamailio was skipped (--no-kamailio): no ratio.\n";
  else if (!existsSync(KAMAILIO)) kamailioNote = `\nKamailio is not installed (${KAMAILIO}; Debian package \`kamailio\`): no ratio.\n`;
  else {
    const result = await benchKamailio(opts, injection);
    km = { result, summary: summarize(result) };
  }
  const sippBound = [sf, km].filter((x) => x && x.summary.sippCores !== undefined && x.summary.sippCores > 0.8);
  if (sippBound.length > 0) {
    kamailioNote += `\nsipp itself used ${sippBound.map((x) => `${f2(x.summary.sippCores)} cores against ${x.result.name}`).join(" and ")}: ` +
      `on ${m.nproc} cores the load generator competes with the server, so that rate is a floor of the server's capacity.\n`;
  }
  progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  const tables = renderTables(sf, km, opts);
  process.stdout.write(`${tables.summary}\n\n${tables.tiers}\n\n`);
  if (opts.writeDoc) {
    writeDoc(DOC, BEGIN, END, renderDoc(m, opts, tables, sf, km, kamailioNote));
    progress(`wrote ${DOC}`);
  }
  if (sf) {
    const ratio = km && km.summary.sustained > 0 ? (sf.summary.sustained / km.summary.sustained).toFixed(2) : "n/a";
    process.stdout.write(`register: ${sf.summary.sustained}/s sustained, ${ratio}x kamailio, p99 ${fmtMs(sf.summary.p99)} ms\n`);
  } else if (km) {
    process.stdout.write(`register: kamailio only: ${km.summary.sustained}/s sustained, p99 ${fmtMs(km.summary.p99)} ms\n`);
  }
}

try {
  await main();
} catch (e) {
  progress(`failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await runCleanups();
}

#!/usr/bin/env node
// `pnpm bench:calls`: sustained calls/s of cluster mode on loopback (INVITE, 180, 200, ACK, talk,
// BYE, 200 through the record-routed dialog), INVITE -> 180 latency and CPU per tier, and the
// same load through Kamailio as a plain record-routing proxy + registrar, for the ratio. Not a
// test: CI does not run it. It prints Markdown tables, writes them to docs/benchmarks.md, and its
// last line of stdout is `calls: <n>/s sustained, <r>x kamailio, p99 <ms> ms`.
//
//   pnpm bench:calls [-- --edges 1 --proxies 2 --registrars 1 --locations 1 --callees 2 --no-kamailio --no-doc]
//
// Progress goes to stderr; stdout carries only the tables and the summary line.
//
// The structure is register.bench.mjs's (cluster start, the rate search, /proc CPU accounting,
// the report); what differs is the call load: long-running callee sipps (registered first, then
// answering on the same port) and caller sipps whose calls last the talk time.
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
const UAC_SCENARIO = join(HERE, "calls-uac.xml");
const UAS_SCENARIO = join(HERE, "calls-uas.xml");
const REGISTER_SCENARIO = join(HERE, "..", "scenarios", "calls", "register.xml");
const KAMAILIO_CFG = join(HERE, "kamailio-calls.cfg");
const BENCH_CONFIG = join(ROOT, "deploy", "local", "bench.yaml");
const DOC = join(ROOT, "docs", "benchmarks.md");
const DOMAIN = "bench.sipfleet.local";

const DEFAULTS = {
  // 2 cores: one edge, two proxies (the tier a call loads most), one registrar (idle during calls:
  // the callees register once), one location.
  edges: 1,
  proxies: 2,
  registrars: 1,
  locations: 1,
  /** Callee users (one long-running UAS sipp each); callers cycle over them. */
  callees: 2,
  /** Distinct caller users (From), cycled. */
  callers: 1000,
  /** Talk time between the ACK and the BYE (sipp -d): calls in flight ≈ rate × this. */
  talkMs: 500,
  // ×2 climbing then 2 bisections brackets the rate within 1/4 of itself; with 2 systems the
  // whole benchmark stays near 4 minutes.
  startRate: 50,
  factor: 2,
  bisections: 2,
  stepSeconds: 3,
  bisectSeconds: 5,
  /** Longer than 64*T1 (32 s): transactions linger that long after their final response
   * (RFC 3261 Timers J and D, RFC 6026 Timers L and M), so only a run this long reaches the
   * steady state of the state (and memory) a sustained rate keeps. */
  finalSeconds: 40,
  /** The climb stops here: a system that passes at this rate is reported as "(cap)". */
  maxRate: 6_400,
  /** A run passes below this share of failed calls... */
  maxFailureRatio: 0.001,
  /** ...and of retransmitted requests and 200s (one means no answer within T1 = 500 ms)... */
  maxRetransRatio: 0.01,
  /** ...when its calls completed within the planned duration × (1 + slack) + talk + graceSeconds
   * (a rate that sipp could not keep up is a stalled rate, not a sustained one). */
  durationSlack: 0.05,
  graceSeconds: 0.5,
  /** Between runs; longer after a failed one, so a backlog drains before the next run. */
  pauseMs: 1000,
  pauseAfterFailureMs: 2000,
  /** ...then up to this long until the system is idle again (see drain()). */
  drainMaxMs: 20_000,
  /** ...and at least this long after the failed run ended: 64*T1 + 2 s, so the transactions it
   * left lingering (and their memory) are gone before the next run starts. */
  lingerMs: 34_000,
  kamailioChildren: 2,
};

// ---------------------------------------------------------------------------------------------
// Options

function readOptions() {
  const { values } = parseArgs({
    options: {
      edges: { type: "string" },
      proxies: { type: "string" },
      registrars: { type: "string" },
      locations: { type: "string" },
      callees: { type: "string" },
      "talk-ms": { type: "string" },
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
      "calls.bench.mjs [--edges N] [--proxies N] [--registrars N] [--locations N] [--callees N] [--talk-ms MS]\n" +
        "  [--start-rate R] [--max-rate R] [--step-seconds S] [--bisect-seconds S] [--final-seconds S] [--bisections N]\n" +
        "  [--kamailio-children N] [--no-kamailio] [--no-sipfleet] [--no-doc]\n",
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
    proxies: int("proxies", DEFAULTS.proxies, 1),
    registrars: int("registrars", DEFAULTS.registrars, 1),
    locations: int("locations", DEFAULTS.locations, 1),
    callees: int("callees", DEFAULTS.callees, 1),
    talkMs: int("talk-ms", DEFAULTS.talkMs, 0),
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

/** Callers `c0`…`c<n-1>`, each calling the callees in turn: `caller;domain;callee`. */
function writeInjection(dir, callers, callees) {
  const rows = ["SEQUENTIAL"];
  for (let i = 0; i < callers; i++) rows.push(`c${i};${DOMAIN};callee${i % callees}`);
  const file = join(dir, "calls.csv");
  writeFileSync(file, rows.join("\n") + "\n");
  return file;
}

/** One short sipp to completion (a registration): its exit code and stderr. */
function runOnce(args, cwd, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn("sipp", args, { cwd, stdio: ["ignore", "ignore", "pipe"], detached: true });
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
    const forget = onCleanup("sipp register", kill);
    const killer = setTimeout(kill, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(killer);
      forget();
      resolve({ code, stderr: err.trim() });
    });
  });
}

/**
 * The callees of one system under test: per callee user, register.xml binds a free port as its
 * contact (RFC 3261 §10.2; the open domain answers 200 at once), then calls-uas.xml answers every
 * call on that port for the whole benchmark. Stopped by process group at the system's cleanup.
 * @returns their PIDs, for sipp's share of the CPU.
 */
async function startCallees(target, n) {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-bench-uas-"));
  onCleanup("callee dir", () => rmSync(dir, { recursive: true, force: true }));
  const pids = [];
  for (let k = 0; k < n; k++) {
    const port = await freePort();
    const inf = join(dir, `callee${k}.csv`);
    writeFileSync(inf, `SEQUENTIAL\ncallee${k};${DOMAIN};3600\n`);
    const reg = await runOnce(
      [target, "-sf", REGISTER_SCENARIO, "-t", "u1", "-i", "127.0.0.1", "-p", String(port), "-inf", inf, "-m", "1", "-nostdin", "-timeout", "15s"],
      dir,
      20_000,
    );
    if (reg.code !== 0) throw new Error(`callee${k} did not register at ${target} (sipp exit ${reg.code}): ${reg.stderr}`);
    const child = spawn(
      "sipp",
      // No -m: it answers until it is stopped. Big socket buffers, as for the caller.
      ["-sf", UAS_SCENARIO, "-t", "u1", "-i", "127.0.0.1", "-p", String(port), "-buff_size", "4194304", "-nostdin", "-timeout", "0"],
      { cwd: dir, stdio: ["ignore", "ignore", "ignore"], detached: true },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    onCleanup(`callee${k}`, async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid, "SIGKILL");
        await exited;
      }
    });
    pids.push(child.pid);
  }
  // Long enough for each sipp to bind its port; the probe call proves they answer.
  await sleep(500);
  return pids;
}

/**
 * One sipp caller run: `rate` calls/s for `seconds`, each call INVITE → 180 → 200 → ACK → talk
 * (`talkMs`) → BYE → 200, from a fixed local port.
 */
async function runSipp({ target, rate, seconds, localPort, injection, talkMs }) {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-bench-sipp-"));
  try {
    const calls = rate * seconds;
    const statFile = join(dir, "stats.csv");
    const timesFile = join(dir, "times.txt");
    const args = [
      target,
      "-sf", UAC_SCENARIO,
      "-t", "u1",
      "-i", "127.0.0.1",
      "-p", String(localPort),
      "-inf", injection,
      "-m", String(calls),
      "-r", String(rate),
      "-d", String(talkMs),
      // The talk time plus one second of calls in flight at most: more would only hide an
      // overloaded server.
      "-l", String(Math.max(200, Math.ceil(rate * (1 + talkMs / 1000)))),
      "-recv_timeout", "5000",
      // sipp's default 64 KiB socket buffers drop answers in its own bursts: the load generator
      // must not be what loses packets (capped by net.core.rmem_max / wmem_max).
      "-buff_size", "4194304",
      "-timeout", `${seconds * 3 + 15}s`,
      "-nostdin",
      "-trace_stat", "-stf", statFile, "-fd", "1",
      "-trace_rtt", "-rtt_freq", "1",
      // Why calls failed, for the progress line of a failed run.
      "-trace_err", "-error_file", join(dir, "errors.log"),
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
    const { rtts, ringSpan } = readRtts(dir);
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
      ringSpan,
      sippCpuSeconds: readTimes(timesFile),
      sippProcesses: 1,
      stderr: stderr.trim(),
      errorSample: errorSample(join(dir, "errors.log")),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first few distinct reasons sipp logged for failed calls (timestamps dropped). */
function errorSample(file) {
  if (!existsSync(file)) return [];
  const seen = new Set();
  for (const line of readFileSync(file, "latin1").split("\n")) {
    const m = /(Aborting call.*|Call.*failed.*|.*unexpected.*|.*timeout.*)/i.exec(line);
    if (m) seen.add(m[1].replace(/\d{4,}/g, "N").slice(0, 160));
    if (seen.size >= 3) break;
  }
  return [...seen];
}

/** sipp's -trace_stat CSV: `;`-separated header, then one row per dump; the last is final. */
/**
 * `rate` calls/s spread over the system's targets (one sipp per edge), merged into one run:
 * counters summed, the slowest sipp's elapsed time, every response time.
 */
async function runLoad(sut, rate, seconds) {
  // Below one call per second per sipp (the probe), fewer sipps: `-m 0` would mean "no limit".
  const targets = sut.targets.slice(0, Math.min(sut.targets.length, rate));
  const n = targets.length;
  const runs = await Promise.all(
    targets.map((target, k) =>
      runSipp({
        target,
        rate: Math.floor(rate / n) + (k < rate % n ? 1 : 0),
        seconds,
        localPort: sut.localPorts[k],
        injection: sut.injection,
        talkMs: sut.talkMs,
      }),
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
    ringSpan: runs.some((r) => r.ringSpan === undefined) ? undefined : Math.max(...runs.map((r) => r.ringSpan)),
    sippCpuSeconds: runs.some((r) => r.sippCpuSeconds === undefined) ? undefined : sum("sippCpuSeconds"),
    sippProcesses: n,
    stderr: runs.map((r) => r.stderr).filter((e) => e !== "").join("\n"),
    errorSample: runs.flatMap((r) => r.errorSample).slice(0, 3),
  };
}

/**
 * `<scenario>_<pid>_rtt.csv`: `Date_ms;response_time_ms;rtd_no`, one row per call that rang.
 * The INVITE → 180 times, sorted, and the seconds from the first 180 to the last: how long
 * sipp took to start the planned calls (a call stuck after ringing does not stretch it).
 */
function readRtts(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith("_rtt.csv"));
  if (file === undefined) return { rtts: [], ringSpan: undefined };
  const out = [];
  let first = Infinity;
  let last = -Infinity;
  for (const line of readFileSync(join(dir, file), "latin1").split("\n")) {
    if (line === "" || line.startsWith("Date")) continue;
    const [date, time] = line.split(";").map(Number);
    if (!Number.isFinite(time)) continue;
    out.push(time);
    if (Number.isFinite(date)) {
      first = Math.min(first, date);
      last = Math.max(last, date);
    }
  }
  return { rtts: out.sort((a, b) => a - b), ringSpan: last >= first ? (last - first) / 1000 : undefined };
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
  // Stalled: the calls rang over a longer span than planned (sipp could not start them at R,
  // held back by -l with calls piling up). The span runs from the first 180 to the last, so one
  // call stuck in a timeout (already counted as failed) does not make a run "stalled".
  const elapsed = Number.isFinite(run.elapsed) && run.elapsed > 0 ? run.elapsed : run.wallSeconds;
  const span = run.ringSpan ?? Math.max(0, elapsed - opts.talkMs / 1000 - 0.1);
  const allowed = run.seconds * (1 + opts.durationSlack) + opts.graceSeconds;
  if (span > allowed) reasons.push(`calls rang over ${span.toFixed(2)} s for a ${run.seconds} s load (achieved ${Math.round(done / span)}/s)`);
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
    if (log.at(-1)?.verdict.pass === false) await drain(sut, opts);
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
        (verdict.pass ? "" : ` (${verdict.reasons.join("; ")})`) +
        (run.failed > 0 && run.errorSample.length > 0 ? ` sipp: ${run.errorSample.join(" | ")}` : ""),
    );
    return { run, verdict, cpu };
  };

  // Carries a call at all? One call, then a short warm-up (JIT, connection pools) that counts for nothing.
  const probe = await attempt(1, 1, "probe", undefined);
  if (probe.run.successful !== 1) throw new Error(`${sut.name} did not carry a call to its end: ${probe.verdict.reasons.join("; ")} ${probe.run.stderr}`);
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
  for (let rate = Math.floor(opts.startRate / 2); pass === undefined && rate >= 5; rate = Math.floor(rate / 2)) {
    const { verdict } = await attempt(rate, opts.stepSeconds, "descend", undefined);
    if (verdict.pass) pass = rate;
    else fail = rate;
  }
  if (pass === undefined) throw new Error(`${sut.name} fails the criteria even at 5 calls/s`);
  for (let i = 0; i < opts.bisections && fail !== undefined && fail - pass > Math.max(5, pass * 0.02); i++) {
    const mid = Math.round((pass + fail) / 2);
    const { verdict } = await attempt(mid, opts.bisectSeconds, "bisect", undefined);
    if (verdict.pass) pass = mid;
    else fail = mid;
  }
  // The final, longer run at the rate found decides; if it fails, 25% lower, three times at most
  // (a rate that held for 3 or 5 s may not hold for 10: queues that grow slowly show only in
  // longer runs; more tries would break the time budget).
  let final;
  for (let tries = 0; tries < 4; tries++) {
    if (tries > 0) pass = Math.round(pass * 0.75);
    final = await attempt(pass, opts.finalSeconds, "final", sut.processes());
    if (final.verdict.pass) break;
  }
  return { name: sut.name, log, sustained: final.verdict.pass ? pass : 0, final, capped: fail === undefined };
}

/**
 * After an overload, the system under test keeps working for a while (transactions retransmitting
 * and timing out: RFC 3261 Timer B is 32 s); a run started meanwhile would pay for the previous
 * one. Waits until its processes are nearly idle (under 0.1 core for one second), at most
 * `drainMaxMs`, and says how long it took.
 */
async function drain(sut, opts) {
  const started = Date.now() - opts.pauseAfterFailureMs;
  const procs = sut.processes().filter((p) => p.group !== CALLEE_GROUP);
  for (;;) {
    const before = snapshotCpu(procs);
    await sleep(1000);
    let seconds = 0;
    for (const g of cpuDelta(before, snapshotCpu(procs)).values()) seconds += g.seconds;
    if (seconds < 0.1 || Date.now() - started > opts.drainMaxMs) {
      const linger = started + opts.lingerMs - Date.now();
      if (linger > 0) await sleep(linger);
      progress(`${sut.name} drained for ${((Date.now() - started) / 1000).toFixed(0)} s after the failed run (idle after ${((Date.now() - started - Math.max(0, linger)) / 1000).toFixed(0)} s, last second: ${seconds.toFixed(2)} cores)`);
      return;
    }
  }
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
  progress(
    `starting cluster: ${opts.edges} edge(s), ${opts.proxies} proxies, ${opts.registrars} registrar(s), ${opts.locations} location replica(s); NATS ${nats.url}, Redis ${redis.url}`,
  );
  const cluster = await startCluster({
    edges: opts.edges,
    proxies: opts.proxies,
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
  const callees = await startCallees(`127.0.0.1:${base}`, opts.callees);
  const localPorts = [];
  for (let k = 0; k < opts.edges; k++) localPorts.push(await freePort());
  const sut = {
    name: "sipfleet",
    // One sipp per edge, each with an equal share of the rate: what a load balancer in front would do.
    targets: Array.from({ length: opts.edges }, (_, k) => `127.0.0.1:${base + k}`),
    localPorts,
    injection,
    talkMs: opts.talkMs,
    processes: () => [
      ...cluster.processes.map((p) => ({ group: p.tier, pid: p.pid })),
      { group: "nats", pid: nats.pid },
      { group: "redis", pid: redis.pid },
      ...callees.map((pid) => ({ group: CALLEE_GROUP, pid })),
    ],
  };
  const linesBefore = logLines;
  const result = await measure(sut, opts);
  const down = cluster.processes.filter((p) => !p.running).map((p) => p.name);
  if (down.length > 0) throw new Error(`cluster processes exited during the benchmark: ${down.join(", ")}\n${logs.slice(-30).join("\n")}`);
  if (logLines - linesBefore > 0) progress(`the cluster logged ${logLines - linesBefore} lines during the load; last: ${logs.at(-1)}`);
  return { ...result, shape: `${opts.edges} edge, ${opts.proxies} proxies, ${opts.registrars} registrar, ${opts.locations} location; NATS, Redis`, logLinesDuringLoad: logLines - linesBefore };
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
  const child = spawn(KAMAILIO, ["-DD", "-E", "-f", cfg, "-P", join(dir, "kamailio.pid"), "-Y", dir, "-w", dir, "-m", "512", "-M", "16"], {
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
  // Ready when its workers exist (children + timers); then the callees register and the probe call proves it routes.
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
    const callees = await startCallees(`127.0.0.1:${kam.port}`, opts.callees);
    const procs = () => [
      ...[kam.pid, ...childrenOf(kam.pid)].map((pid) => ({ group: "kamailio", pid })),
      ...callees.map((pid) => ({ group: CALLEE_GROUP, pid })),
    ];
    progress(`kamailio ${kamailioVersion()} on udp:127.0.0.1:${kam.port}, pid ${kam.pid}, ${procs().length} processes`);
    const result = await measure(
      { name: "kamailio", targets: [`127.0.0.1:${kam.port}`], localPorts: [await freePort()], injection, talkMs: opts.talkMs, processes: procs },
      opts,
    );
    return { ...result, shape: `${opts.kamailioChildren} UDP workers (children=${opts.kamailioChildren}), tm + rr, usrloc db_mode 0`, version: kamailioVersion() };
  } finally {
    await runCleanups(mark);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

/** 1, 5 and 15 minute load averages: how busy the shared machine was around the run. */
function loadAverage() {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ");
}

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
    loadBefore: loadAverage(),
  };
}

const TIER_ORDER = ["edge", "proxy", "registrar", "location", "nats", "redis", "kamailio"];
/** The callee sipps: load generator, not server, so outside the server totals. */
const CALLEE_GROUP = "callee sipp";

function summarize(result) {
  const { run, cpu } = result.final;
  const perK = (seconds) => (seconds / run.successful) * 1000;
  const groups = [...cpu.entries()].filter(([g]) => g !== CALLEE_GROUP).sort((a, b) => TIER_ORDER.indexOf(a[0]) - TIER_ORDER.indexOf(b[0]));
  const serverSeconds = groups.reduce((s, [, g]) => s + g.seconds, 0);
  // sipp's CPU: the callers' own accounting plus the callees' /proc deltas.
  const callee = cpu.get(CALLEE_GROUP) ?? { seconds: 0, processes: 0 };
  const sippSeconds = run.sippCpuSeconds === undefined ? undefined : run.sippCpuSeconds + callee.seconds;
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
    sippProcesses: run.sippProcesses + callee.processes,
    // Everything on the machine, this benchmark or not (it is shared), during the final run.
    machineCores: run.machineBusySeconds / run.wallSeconds,
    runs: result.log.length,
    capped: result.capped,
  };
}

function renderTables(sf, km, opts) {
  const rows = [];
  rows.push("| System | Shape | Sustained calls/s | INVITE→180 p50 ms | p99 ms | Failed / retrans (final run) | Server CPU s / 1,000 calls | Server cores busy | sipp CPU s / 1,000 |");
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
  const tierRows = ["| System | Tier | Processes | CPU s / 1,000 calls | Share | Cores busy at the sustained rate |", "|---|---|---:|---:|---:|---:|"];
  for (const [name, x] of [["Sipfleet", sf], ["Kamailio", km]]) {
    if (!x) continue;
    for (const t of x.summary.tiers) {
      tierRows.push(`| ${name} | ${t.group} | ${t.processes} | ${f3(t.perK)} | ${((t.perK / x.summary.serverPerK) * 100).toFixed(0)}% | ${f2(t.cores)} |`);
    }
    tierRows.push(`| ${name} | sipp callers + callees (load generator, not counted above) | ${x.summary.sippProcesses} | ${f3(x.summary.sippPerK)} | | ${f2(x.summary.sippCores)} |`);
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
  return `## Calls: \`pnpm bench:calls\`

Generated by \`tests/e2e/bench/calls.bench.mjs\` on ${m.date}; rerun it to refresh this section.

**Machine:** ${m.nproc} CPUs (${m.model}), Linux ${m.kernel}, Node ${m.node}, sipp ${m.sipp}, nats-server ${m.nats}, redis-server ${m.redis}${km ? `, Kamailio ${km.result.version}` : ""}.
Load average before the run: ${m.loadBefore}; after: ${loadAverage()}.
Shared and noisy (other jobs run on it): read the figures as one sample, not a specification.
This section comes from one invocation: ${runs} sipp caller runs in all (every run is listed below; "Took s" is sipp's whole run, stuck calls' timeouts included).

### Result

${tables.summary}
${kamailioNote}
### CPU per tier (final run at the sustained rate, from each process's own accounting)

${tables.tiers}

### Method

- **Load:** sipp ${m.sipp} over UDP on loopback. Callers: \`tests/e2e/bench/calls-uac.xml\`, INVITE
  (SDP) → [100] → 180 → 200 → ACK → ${opts.talkMs} ms talk → BYE → 200, no authentication (the open
  domain \`${DOMAIN}\`), ${int(opts.callers)} caller names cycled over ${opts.callees} callee users. ACK and
  BYE follow the record-routed dialog (\`[routes]\`, \`[next_url]\` from the 200's Record-Route and
  Contact). Callees: one long-running sipp per callee user, \`tests/e2e/bench/calls-uas.xml\` (180,
  after 100 ms of ringing, 200 echoing Record-Route, ACK, BYE, 200) on a port that \`tests/e2e/scenarios/calls/register.xml\`
  registered first. At most rate × (1 s + talk) calls in flight (\`-l\`); a call fails after 5 s
  without its next answer.
- **Sipfleet:** cluster mode (\`startCluster\` from \`@sipfleet/local\`): each tier its own Node
  process, a test-owned nats-server and redis-server, config \`deploy/local/bench.yaml\`
  (authentication none on ${DOMAIN}, loopback only). Shape ${opts.edges} edge, ${opts.proxies} proxies,
  ${opts.registrars} registrar, ${opts.locations} location (\`--edges/--proxies/--registrars/--locations\`).
  The registrar only serves the callees' registrations; during calls it should be idle.
- **Kamailio:** \`tests/e2e/bench/kamailio-calls.cfg\` (port filled in at run time): tm + rr +
  usrloc (db_mode 0) + registrar, record_route() on initial INVITEs, loose_route() for the dialog,
  lookup("location") and t_relay(), no authentication, children=${opts.kamailioChildren}, foreground
  (\`-DD -E\`) with its own pid file and runtime directory, stopped by PID. The same callers and
  callees as for Sipfleet.
- **Sustained rate:** runs of fixed length at \`-r R -m R×seconds\`: ${opts.startRate}/s first, ×${opts.factor}
  per ${opts.stepSeconds} s run until one fails, then up to ${opts.bisections} ${opts.bisectSeconds} s bisections,
  then a ${opts.finalSeconds} s final run (25% lower if it fails, three times at most): longer than
  64*T1 = 32 s, the time a transaction lingers after its final response (RFC 3261 Timers D and J,
  RFC 6026 Timers L and M), so the final run reaches the steady state of what a sustained rate
  keeps in memory. After a failed run, a wait until the server processes are idle (under 0.1 core,
  ${opts.drainMaxMs / 1000} s at most) and at least ${opts.lingerMs / 1000} s after it ended, so the transactions it left
  behind are gone and the next run does not pay for the last one's backlog. A run passes when failed calls
  < ${opts.maxFailureRatio * 100}% of calls, retransmissions ≤ ${opts.maxRetransRatio * 100}% of calls, and the calls
  rang (first 180 to last) within the planned duration + ${opts.durationSlack * 100}% + ${opts.graceSeconds} s (sipp really
  started R calls/s: a stalled rate fails; a stuck call is a failed call, not a stall). Sustained = the rate of the passing final run.
- **Latency:** INVITE sent → 180 received at the caller (\`-trace_rtt -rtt_freq 1\`, rtd "ring")
  over every call of the final run; nearest-rank p50/p99. sipp's clock ticks in whole
  milliseconds: "<1" is under a millisecond, and every figure is ±1 ms.
- **CPU:** utime + stime from \`/proc/<pid>/stat\` (all threads) before and after the final run
  for every server process (Kamailio: its main process and all its children), divided by the
  calls completed; the callers' sipp from the shell's \`times\`, the callees' sipp from /proc.
  "Cores busy" = CPU seconds / wall seconds of the run.

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
      `- Sipfleet spends ${us(s.serverPerK)} µs of server CPU per call (7 messages in, 7 out at each hop)` +
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

const BEGIN = "<!-- bench:calls begin (generated by tests/e2e/bench/calls.bench.mjs) -->";
const END = "<!-- bench:calls end -->";

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = readOptions();
  if (!hasBinary("sipp")) throw new Error("sipp is not installed (Debian package sip-tester)");
  const m = machine();
  progress(`${m.nproc} CPUs (${m.model}), Node ${m.node}, sipp ${m.sipp}; CLK_TCK ${CLK_TCK}`);
  const work = mkdtempSync(join(tmpdir(), "sipfleet-bench-"));
  onCleanup("work dir", () => rmSync(work, { recursive: true, force: true }));
  const injection = writeInjection(work, opts.callers, opts.callees);

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
    process.stdout.write(`calls: ${sf.summary.sustained}/s sustained, ${ratio}x kamailio, p99 ${fmtMs(sf.summary.p99)} ms\n`);
  } else if (km) {
    process.stdout.write(`calls: kamailio only: ${km.summary.sustained}/s sustained, p99 ${fmtMs(km.summary.p99)} ms\n`);
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

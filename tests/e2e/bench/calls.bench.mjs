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
// What it shares with register.bench.mjs (cluster start, Kamailio, the sipp spawn, /proc CPU
// accounting, the tables, main) is in bench-support.mjs; what is its own here is the call load:
// long-running callee sipps (registered first, then answering on the same port) and caller sipps
// whose calls last the talk time, the verdict, the rate search with its drain, and the Method text.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@sipfleet/testing";
import { benchCluster, benchMain, startOtlpSink, summarize, withCleanups, childrenOf, cpuDelta, CLK_TCK, fmtMs, int, kamailioVersion, loadAverage, machineBusyTicks, observations, onCleanup, pct, percentile, progress, readOptions, runSippLoad, sleep, snapshotCpu, spawnSipp, splitLoad, startBenchKamailio } from "./bench-support.mjs";

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
  /** Tracing modes measured (--tracing): "off" only unless asked. */
  tracing: "off",
};

// ---------------------------------------------------------------------------------------------
// Options and load

const USAGE =
  "calls.bench.mjs [--edges N] [--proxies N] [--registrars N] [--locations N] [--callees N] [--talk-ms MS]\n" +
  "  [--start-rate R] [--max-rate R] [--step-seconds S] [--bisect-seconds S] [--final-seconds S] [--bisections N]\n" +
  "  [--kamailio-children N] [--no-kamailio] [--no-sipfleet] [--no-doc] [--tracing off,100,1]\n" +
  "--tracing: measure Sipfleet once per mode (off, or a sampling percentage), spans exported over\n" +
  "  OTLP/HTTP to a sink in this process; the first mode fills the main tables.\n";

/** The callee sipps: load generator, not server, so outside the server totals. */
const CALLEE_GROUP = "callee sipp";

/** Callers `c0`…`c<n-1>`, each calling the callees in turn: `caller;domain;callee`. */
function writeInjection(dir, { callers, callees }) {
  const rows = ["SEQUENTIAL"];
  for (let i = 0; i < callers; i++) rows.push(`c${i};${DOMAIN};callee${i % callees}`);
  const file = join(dir, "calls.csv");
  writeFileSync(file, rows.join("\n") + "\n");
  return file;
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
    const reg = await spawnSipp(
      [target, "-sf", REGISTER_SCENARIO, "-t", "u1", "-i", "127.0.0.1", "-p", String(port), "-inf", inf, "-m", "1", "-nostdin", "-timeout", "15s"],
      { cwd: dir, timeoutMs: 20_000, name: "sipp register" },
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
 * `rate` calls/s for `seconds` spread over the system's targets, one sipp caller per target from
 * a fixed local port, each call INVITE → 180 → 200 → ACK → talk (`talkMs`) → BYE → 200.
 */
function runLoad(sut, rate, seconds) {
  return splitLoad(
    sut,
    rate,
    seconds,
    ({ target, rate: share, localPort }) =>
      runSippLoad({
        scenario: UAC_SCENARIO,
        target,
        rate: share,
        seconds,
        localPort,
        injection: sut.injection,
        // The talk time plus one second of calls in flight at most: more would only hide an
        // overloaded server.
        limit: Math.max(200, Math.ceil(share * (1 + sut.talkMs / 1000))),
        extraArgs: (dir) => [
          "-d", String(sut.talkMs),
          // Why calls failed, for the progress line of a failed run.
          "-trace_err", "-error_file", join(dir, "errors.log"),
        ],
        collect: (dir) => ({ ...readRtts(dir), errorSample: errorSample(join(dir, "errors.log")) }),
      }),
    (runs) => ({
      ringSpan: runs.some((r) => r.ringSpan === undefined) ? undefined : Math.max(...runs.map((r) => r.ringSpan)),
      errorSample: runs.flatMap((r) => r.errorSample).slice(0, 3),
    }),
  );
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

function benchSipfleet(opts, injection) {
  return benchCluster(opts, {
    configPath: BENCH_CONFIG,
    measure,
    load: async (base) => {
      const callees = await startCallees(`127.0.0.1:${base}`, opts.callees);
      return { injection, talkMs: opts.talkMs, processes: callees.map((pid) => ({ group: CALLEE_GROUP, pid })) };
    },
  });
}

/** `--tracing off,100,1` → ["off", 100, 1]: off, or the share of calls sampled in percent. */
function tracingModes(text) {
  return text.split(",").map((t) => {
    const m = t.trim();
    if (m === "off") return m;
    const pct = Number(m);
    if (!(pct > 0 && pct <= 100)) throw new Error(`--tracing: expected off or a percentage in (0, 100], got ${JSON.stringify(m)}`);
    return pct;
  });
}

/** The OTEL_* environment of one mode: the services' own switch (packages/telemetry tracing-env.ts). */
function tracingEnv(mode, sinkUrl) {
  if (mode === "off") return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    // What docs/observability.md recommends: the edge decides per call, everything after follows.
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: String(mode / 100),
  };
}

const modeLabel = (mode) => (mode === "off" ? "off" : `on, ${mode}% sampled`);

/**
 * Sipfleet once per tracing mode, each on a fresh cluster; the first mode's result is the one the
 * main tables show, and all of them go to the "Tracing cost" table (opts.tracingRuns).
 */
async function benchSipfleetPerTracingMode(opts, injection) {
  const runs = [];
  for (const mode of tracingModes(opts.tracing)) {
    const sink = mode === "off" ? undefined : await startOtlpSink();
    progress(`sipfleet with tracing ${modeLabel(mode)}`);
    try {
      const result = await withCleanups(() => benchSipfleet({ ...opts, clusterEnv: tracingEnv(mode, sink?.url) }, injection));
      runs.push({ mode, result, summary: summarize(result, CALLEE_GROUP), exported: sink === undefined ? undefined : { ...sink.stats } });
    } finally {
      await sink?.stop();
    }
  }
  opts.tracingRuns = runs;
  if (runs.length > 1) process.stdout.write(`${renderTracingTable(runs)}\n\n`);
  return runs[0].result;
}

function renderTracingTable(runs) {
  const base = runs.find((r) => r.mode === "off")?.summary;
  const rows = runs.map(({ mode, summary: s, exported }) => {
    const cpuRatio = base === undefined || mode === "off" ? "" : ` (${(s.serverPerK / base.serverPerK).toFixed(2)}x)`;
    const rateRatio = base === undefined || mode === "off" || base.sustained === 0 ? "" : ` (${(s.sustained / base.sustained).toFixed(2)}x)`;
    const sent = exported === undefined ? "-" : `${int(exported.exports)} exports, ${(exported.bytes / 1e6).toFixed(1)} MB`;
    return `| ${modeLabel(mode)} | ${int(s.sustained)}${rateRatio} | ${s.serverPerK.toFixed(2)}${cpuRatio} | ${fmtMs(s.p99)} | ${sent} |`;
  });
  return [
    "| Tracing | Sustained calls/s | Server CPU ms/call | INVITE→180 p99 ms | Spans exported (whole run) |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

async function benchKamailio(opts, injection) {
  const kam = await startBenchKamailio({ config: KAMAILIO_CFG, children: opts.kamailioChildren, sharedMemoryMb: 512 });
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
}

// ---------------------------------------------------------------------------------------------
// Report

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
  (authentication none on ${DOMAIN}, loopback only), each process's metrics recording (health
  server with /metrics on a loopback port, \`healthServers\`; tracing off). Shape ${opts.edges} edge, ${opts.proxies} proxies,
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

${observations(sf, km, m, "call (7 messages in, 7 out at each hop)")}

${tracingSection(opts)}### Every run

${tables.runs}
`;
}

/** The "Tracing cost" section of the doc when more than one tracing mode was measured. */
function tracingSection(opts) {
  const runs = opts.tracingRuns ?? [];
  if (runs.length < 2) return "";
  return `### Tracing cost (\`--tracing ${opts.tracing}\`)

Each mode on a fresh cluster of the same shape, one after the other in this run. Tracing on: the
services export over OTLP/HTTP protobuf to a sink in the benchmark process that counts and
discards (so no backend's CPU is in the figures), sampler \`parentbased_traceidratio\`. Ratios are
to tracing off.

${renderTracingTable(runs)}

`;
}

const BEGIN = "<!-- bench:calls begin (generated by tests/e2e/bench/calls.bench.mjs) -->";
const END = "<!-- bench:calls end -->";

// ---------------------------------------------------------------------------------------------

await benchMain({
  name: "calls",
  options: () => readOptions(DEFAULTS, { proxies: ["proxies", 1], callees: ["callees", 1], "talk-ms": ["talkMs", 0] }, USAGE, { tracing: "tracing" }),
  injection: writeInjection,
  sipfleet: benchSipfleetPerTracingMode,
  kamailio: benchKamailio,
  loadGroup: CALLEE_GROUP,
  labels: { unit: "calls", p50: "INVITE→180 p50 ms", sipp: "sipp callers + callees (load generator, not counted above)" },
  doc: { path: DOC, begin: BEGIN, end: END, render: renderDoc },
});

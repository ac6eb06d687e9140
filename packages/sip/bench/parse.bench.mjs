// Parser benchmark: messages per second to parse + read the routing headers, and to parse +
// read + forward, for @sipfleet/sip and the npm SIP parsers a Node user would otherwise pick.
//
//   pnpm bench:parser                      (from the repo root: builds, then runs this)
//   node bench/parse.bench.mjs             (from packages/sip, after a build)
//
// Environment: BENCH_RUNS (default 5), BENCH_RUN_MS (default 700), BENCH_WARMUP_MS (default 300),
// BENCH_RESULTS (Markdown output path, default bench/results.md; "-" to skip writing it),
// BENCH_ONLY (comma-separated peer names to time, e.g. "sip"; @sipfleet/sip always runs).
//
// Method: every (message, operation, implementation) case is first checked (the fields it read
// must equal the message's expected values; a forwarded message must carry the new Via, the
// decremented Max-Forwards and the same body), then warmed up, then timed BENCH_RUNS times for
// ~BENCH_RUN_MS each. Runs are interleaved — run 1 of every case, then run 2 of every case, with
// the implementation order rotated each round — so machine noise hits all of them alike. The
// figure reported is the median run's ops/s. The last line of output is the summary line:
//   parser: INVITE <n>/s, <r>x fastest peer (<name>)
import { writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { MESSAGES, PROXY_VIA_TEXT } from "./messages.mjs";
import { fieldsSnapshot, loadImplementations, newFields } from "./impls.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const RUNS = intEnv("BENCH_RUNS", 5);
const RUN_MS = intEnv("BENCH_RUN_MS", 700);
const WARMUP_MS = intEnv("BENCH_WARMUP_MS", 300);
const RESULTS = process.env.BENCH_RESULTS ?? join(here, "results.md");
const TARGET_RATIO = 3;
const TARGET_INVITE = 300_000;

const OPS = [
  { key: "read", label: "parse+read" },
  { key: "forward", label: "parse+read+forward" },
];

function intEnv(name, dflt) {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
}

const log = (s = "") => process.stdout.write(s + "\n");

// ---------------------------------------------------------------------------------------------
// Load and check the implementations.

const startedAt = new Date();
const loadBefore = os.loadavg();
const impls = await loadImplementations();
const ours = impls.find((i) => i.ours);
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
if (only?.length) {
  for (const impl of impls) {
    if (!impl.ours && !impl.error && !only.includes(impl.name)) impl.excluded = "left out by BENCH_ONLY";
  }
}

log(`SIP parser benchmark — Node ${process.version} (V8 ${process.versions.v8}), ${os.cpus()[0]?.model ?? "unknown CPU"} x${os.cpus().length}`);
log(`${RUNS} runs of ~${RUN_MS} ms per case after ${WARMUP_MS} ms warm-up, interleaved; medians reported.`);
log();
log("Implementations:");
for (const impl of impls) {
  if (impl.error) log(`  ${impl.name} ${impl.version}: NOT LOADED — ${impl.error}`);
  else if (impl.excluded) log(`  ${impl.name} ${impl.version}: not timed — ${impl.excluded}`);
  else log(`  ${impl.name} ${impl.version}: ${impl.module}`);
}
log();

if (ours.error) {
  log(`error: @sipfleet/sip could not be loaded, nothing to compare: ${ours.error}`);
  process.exitCode = 1;
  process.exit();
}

const problems = []; // printed, and written to results.md

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffFields(got, expect) {
  const out = [];
  for (const k of Object.keys(expect)) {
    if (!same(got[k], expect[k])) out.push(`${k}: expected ${JSON.stringify(expect[k])}, got ${JSON.stringify(got[k])}`);
  }
  return out;
}

/** Checks a forwarded message's text, and re-reads it with our parser. Returns the problems found. */
function checkForwarded(msg, out) {
  const issues = [];
  if (!Buffer.isBuffer(out)) return [`forward did not return a Buffer (${typeof out})`];
  const sep = out.indexOf("\r\n\r\n");
  if (sep < 0) return ["forwarded message has no end of headers"];
  const lines = out.toString("latin1", 0, sep).split("\r\n");
  const origLines = msg.buf.toString("latin1", 0, msg.buf.indexOf("\r\n\r\n")).split("\r\n");
  if (lines[0] !== origLines[0]) issues.push(`start line changed: ${JSON.stringify(lines[0])}`);
  const values = (ls, name) =>
    ls
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), l.slice(l.indexOf(":") + 1).trim()])
      .filter(([n]) => name.includes(n))
      .flatMap(([, v]) => v.split(/\s*,\s*/));
  const vias = values(lines, ["via", "v"]);
  const origVias = values(origLines, ["via", "v"]);
  if (msg.isRequest) {
    if (vias[0] !== PROXY_VIA_TEXT) issues.push(`top Via is ${JSON.stringify(vias[0])}, not the proxy's`);
    if (vias.length !== origVias.length + 1) issues.push(`${vias.length} Via values, expected ${origVias.length + 1}`);
    const mf = values(lines, ["max-forwards"]);
    const origMf = values(origLines, ["max-forwards"]);
    if (mf.length !== 1 || Number(mf[0]) !== Number(origMf[0]) - 1) issues.push(`Max-Forwards is ${JSON.stringify(mf)}`);
  } else {
    if (vias.length !== origVias.length - 1) issues.push(`${vias.length} Via values, expected ${origVias.length - 1}`);
    if (vias[0] !== origVias[1]) issues.push(`top Via is ${JSON.stringify(vias[0])}, expected ${JSON.stringify(origVias[1])}`);
  }
  const body = out.subarray(sep + 4);
  const origBody = msg.buf.subarray(msg.buf.indexOf("\r\n\r\n") + 4);
  if (!body.equals(origBody)) issues.push("body changed");
  const cl = values(lines, ["content-length", "l"]);
  if (cl.length !== 1 || Number(cl[0]) !== body.length) issues.push(`Content-Length is ${JSON.stringify(cl)}, body ${body.length}`);
  // Everything but the Via/Max-Forwards a proxy touches must read back the same.
  try {
    const o = newFields();
    ours.read(out, o);
    const got = fieldsSnapshot(o);
    const expect = { ...msg.expect };
    for (const k of ["viaBranch", "viaHost", "viaPort", "maxForwards"]) {
      delete expect[k];
      delete got[k];
    }
    for (const d of diffFields(got, expect)) issues.push(`re-read with @sipfleet/sip: ${d}`);
  } catch (e) {
    issues.push(`re-reading the forwarded message failed: ${e.message}`);
  }
  return issues;
}

const cases = [];
for (const msg of MESSAGES) {
  for (const op of OPS) {
    for (const impl of impls) {
      const c = { msg, op, impl, samples: [], note: undefined, skip: undefined };
      cases.push(c);
      if (impl.error || impl.excluded) {
        c.skip = impl.error ? `could not be loaded in Node: ${impl.error}` : impl.excluded;
        continue;
      }
      if (op.key === "forward" && !impl.forward) {
        c.skip = `no forwarding API: ${impl.forwardUnsupported}`;
        continue;
      }
      // Check before timing that it does the work and gets it right.
      try {
        const o = newFields();
        if (op.key === "read") {
          impl.read(msg.buf, o);
        } else {
          const out = impl.forward(msg.buf, o, msg.isRequest);
          const issues = checkForwarded(msg, out);
          if (issues.length) c.note = issues.join("; ");
        }
        const d = diffFields(fieldsSnapshot(o), msg.expect);
        if (d.length) c.note = (c.note ? c.note + "; " : "") + `read differs: ${d.join("; ")}`;
      } catch (e) {
        c.skip = `throws on this message: ${e instanceof Error ? e.message : String(e)}`;
        continue;
      }
      if (c.note) problems.push(`${impl.name}, ${msg.name} ${op.label}: ${c.note}`);
      // A fresh loop per case, calling the implementation directly, with its own output object.
      const out = newFields();
      if (op.key === "read") {
        const loop = new Function(
          "read", "out", "buf", "n",
          "let acc = 0; for (let i = 0; i < n; i++) { read(buf, out); acc = (acc + out.cseqSeq) | 0; } return acc;",
        );
        c.run = (n) => loop(impl.read, out, msg.buf, n);
      } else {
        const loop = new Function(
          "forward", "out", "buf", "isRequest", "n",
          "let acc = 0; for (let i = 0; i < n; i++) acc = (acc + forward(buf, out, isRequest).length) | 0; return acc;",
        );
        c.run = (n) => loop(impl.forward, out, msg.buf, msg.isRequest, n);
      }
    }
  }
}

if (problems.length) {
  log("Checks that failed (those rows are marked with !):");
  for (const p of problems) log(`  ${p}`);
  log();
}

// ---------------------------------------------------------------------------------------------
// Timing.

let SINK = 0;
const now = () => process.hrtime.bigint();

/** Runs `c` for about `ms` milliseconds in batches; returns ops/s. */
function measure(c, ms) {
  const budget = BigInt(ms) * 1_000_000n;
  let ops = 0;
  const t0 = now();
  let elapsed = 0n;
  do {
    SINK ^= c.run(c.batch);
    ops += c.batch;
    elapsed = now() - t0;
  } while (elapsed < budget);
  return ops / (Number(elapsed) / 1e9);
}

/** Warm-up: grows the batch until one takes ~10 ms, then keeps running until `ms` have passed. */
function warmUp(c, ms) {
  let n = 16;
  const deadline = now() + BigInt(ms) * 1_000_000n;
  for (;;) {
    const t0 = now();
    SINK ^= c.run(n);
    const dt = Number(now() - t0) / 1e6;
    if (dt >= 10 || now() >= deadline) {
      c.batch = Math.max(1, Math.round((n * 10) / Math.max(dt, 0.001)));
      break;
    }
    n *= 2;
  }
  while (now() < deadline) SINK ^= c.run(c.batch);
}

const timed = cases.filter((c) => c.run);
const estimate = (timed.length * (WARMUP_MS + RUNS * RUN_MS)) / 1000;
log(`Timing ${timed.length} cases (~${Math.round(estimate)} s)...`);

for (const c of timed) warmUp(c, WARMUP_MS);
for (let r = 0; r < RUNS; r++) {
  for (const msg of MESSAGES) {
    for (const op of OPS) {
      const group = timed.filter((c) => c.msg === msg && c.op === op);
      for (let k = 0; k < group.length; k++) {
        const c = group[(k + r) % group.length];
        c.samples.push(measure(c, RUN_MS));
      }
    }
  }
  process.stdout.write(`  round ${r + 1}/${RUNS} done\n`);
}
const loadAfter = os.loadavg();
log();

// ---------------------------------------------------------------------------------------------
// Report.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const ratio = (a, b) => `${a / b >= 0.95 ? (a / b).toFixed(1) : (a / b).toPrecision(2)}x`;

for (const c of timed) c.median = median(c.samples);

/** Per (message, op): rows and the fastest peer. */
function group(msg, op) {
  const rows = cases.filter((c) => c.msg === msg && c.op === op);
  const peers = rows.filter((c) => !c.impl.ours && c.median !== undefined && !c.note);
  const fastest = peers.reduce((best, c) => (best === undefined || c.median > best.median ? c : best), undefined);
  return { rows, fastest };
}

function table(msg, op) {
  const { rows, fastest } = group(msg, op);
  const out = [];
  out.push(`### ${msg.name} (${msg.buf.length} bytes) — ${op.label}`);
  out.push("");
  out.push("| implementation | median ops/s | min – max of runs | vs fastest peer |");
  out.push("| --- | ---: | ---: | ---: |");
  for (const c of rows) {
    const name = `${c.impl.ours ? "**" : ""}${c.impl.name} ${c.impl.version}${c.impl.ours ? "**" : ""}`;
    if (c.median === undefined) {
      out.push(`| ${name} | n/a | | ${c.skip.replace(/\|/g, "\\|")} |`);
      continue;
    }
    const mark = c.note ? " !" : "";
    const vs = fastest ? ratio(c.median, fastest.median) + (c === fastest ? " (fastest peer)" : "") : "no peer";
    out.push(
      `| ${name}${mark} | ${fmt(c.median)} | ${fmt(Math.min(...c.samples))} – ${fmt(Math.max(...c.samples))} | ${vs} |`,
    );
  }
  return out.join("\n");
}

const tables = [];
for (const msg of MESSAGES) for (const op of OPS) tables.push(table(msg, op));
log(tables.join("\n\n"));
log();

// Targets.
const summaries = [];
for (const msg of MESSAGES) {
  for (const op of OPS) {
    const { rows, fastest } = group(msg, op);
    const o = rows.find((c) => c.impl.ours);
    if (o?.median === undefined) continue;
    summaries.push({ msg, op, ours: o.median, fastest, r: fastest ? o.median / fastest.median : undefined });
  }
}
const invite = summaries.find((s) => s.msg.name === "INVITE" && s.op.key === "read");
if (invite === undefined) {
  log("error: @sipfleet/sip's INVITE parse+read was not timed (see the checks above)");
  process.exit(1);
}
const belowRatio = summaries.filter((s) => s.r !== undefined && s.r < TARGET_RATIO);
const targetLines = [
  `target >= ${TARGET_RATIO}x the fastest peer: ${
    belowRatio.length === 0
      ? `met on every row (lowest ${Math.min(...summaries.filter((s) => s.r !== undefined).map((s) => s.r)).toFixed(1)}x)`
      : `NOT met on ${belowRatio.map((s) => `${s.msg.name} ${s.op.label} (${s.r.toFixed(1)}x vs ${s.fastest.impl.name})`).join(", ")}`
  }`,
  `target >= ${fmt(TARGET_INVITE)} INVITE parse+read/s: ${invite.ours >= TARGET_INVITE ? "met" : "NOT met"} (${fmt(invite.ours)}/s)`,
];

// ---------------------------------------------------------------------------------------------
// results.md

if (RESULTS !== "-") {
  const cpus = os.cpus();
  const md = [];
  md.push("# @sipfleet/sip parser benchmark");
  md.push("");
  md.push(`Generated by \`pnpm bench:parser\` (\`packages/sip/bench/parse.bench.mjs\`) on ${startedAt.toISOString().slice(0, 10)}.`);
  md.push("");
  md.push(`- Machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()} ${os.arch()}`);
  md.push(`- Node ${process.version} (V8 ${process.versions.v8}), one thread`);
  md.push(
    `- Load average (1 min) ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after. **The machine is shared** (2 cores, other work running):` +
      ` figures are medians of ${RUNS} interleaved runs of ~${RUN_MS} ms after ${WARMUP_MS} ms of warm-up; differences under ~10% are noise.`,
  );
  md.push("");
  md.push("## Method");
  md.push("");
  md.push("What each operation does, identically for every implementation:");
  md.push("");
  md.push(
    "- **parse+read**: parse the message from the Buffer a socket delivers (peers that take a string get `buf.toString()` inside the timing), then read " +
      "the top Via's branch, host and port; From and To tag and URI user and host (URIs parsed); Call-ID; CSeq number and method; Max-Forwards; " +
      "every Route and Record-Route URI host; every Contact URI user and host. Values are stored in a live object so no work can be dropped.",
  );
  md.push(
    "- **parse+read+forward**: the above, then forward with the library's own API — a request gets one Via on top and Max-Forwards decremented " +
      "(RFC 3261 §16.6), a response loses its top Via (§16.7) — and serialize to a Buffer.",
  );
  md.push(
    "- Before timing, every implementation's fields are checked against the expected values, and every forwarded message is checked " +
      "(new top Via, Max-Forwards, body and Content-Length, and re-read with @sipfleet/sip).",
  );
  md.push("");
  md.push("## Implementations");
  md.push("");
  md.push("| implementation | version | loaded from |");
  md.push("| --- | --- | --- |");
  for (const impl of impls) {
    md.push(`| ${impl.name} | ${impl.version} | ${impl.error ? `NOT LOADED: ${impl.error}` : impl.module.replace(/\|/g, "\\|")} |`);
  }
  md.push("");
  for (const impl of impls) if (impl.notes && !impl.error) md.push(`- **${impl.name}**: ${impl.notes}`);
  md.push("");
  if (problems.length) {
    md.push("Checks that failed (rows marked `!` are excluded from \"fastest peer\"):");
    md.push("");
    for (const p of problems) md.push(`- ${p}`);
    md.push("");
  }
  md.push("## Results");
  md.push("");
  md.push(tables.join("\n\n"));
  md.push("");
  md.push("## Summary");
  md.push("");
  for (const l of targetLines) md.push(`- ${l}`);
  md.push("");
  writeFileSync(RESULTS, md.join("\n"));
  log(`Results written to ${relative(process.cwd(), RESULTS) || RESULTS}`);
}

if (SINK === 0.5) log("(unreachable)"); // keeps SINK observable

for (const l of targetLines) log(l);
log(
  `parser: INVITE ${Math.round(invite.ours)}/s, ${
    invite.fastest ? `${(invite.ours / invite.fastest.median).toFixed(1)}x fastest peer (${invite.fastest.impl.name})` : "no peer measured"
  }`,
);

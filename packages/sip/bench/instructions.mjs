// Instructions per message for @sipfleet/sip's benchmark operations, counted with valgrind's
// callgrind: repeatable on a shared, loaded machine, where timings are not.
//
//   node bench/instructions.mjs [count=10000] [warm-up=20000] [cases=INVITE:read,...] [implementation=@sipfleet/sip]
//
// For each case, count-instructions.mjs runs under callgrind twice, with the same warm-up and
// then 0 or `count` more messages; the difference divided by `count` is what one message costs
// once the code is optimized (start-up, loading and compiling cancel out). Each case is counted
// COUNT_REPEAT times (default 3) and the median reported: now and then a garbage collection
// started by a timer lands in one run's counted window and adds a few thousand per message.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const count = Number(process.argv[2] ?? 10000);
const warmup = Number(process.argv[3] ?? 20000);
const cases = (process.argv[4] ?? "INVITE:read,REGISTER:read,200 OK:read,INVITE:forward,REGISTER:forward,200 OK:forward")
  .split(",")
  .map((c) => c.split(":"));
const impl = process.argv[5] ?? "@sipfleet/sip";

// --predictable (one thread, a deterministic GC schedule): with concurrent compilation and GC
// helpers, what landed inside the counted window varied by a factor of two between identical
// runs; with it, identical runs agree within 0.1%.
const NODE_FLAGS = (process.env.COUNT_NODE_FLAGS ?? "--predictable").split(" ").filter(Boolean);

function instructions(n, msg, op) {
  return new Promise((resolve, reject) => {
    const args = ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...NODE_FLAGS, join(here, "count-instructions.mjs"), String(warmup), String(n), msg, op, impl];
    const child = spawn("valgrind", args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const m = /Collected : (\d+)/.exec(err);
      if (code !== 0 || !m) reject(new Error(`valgrind exited ${code}: ${err.slice(-500)}`));
      else resolve(Number(m[1]));
    });
  });
}

const repeat = Number(process.env.COUNT_REPEAT ?? 3);

for (const [msg, op] of cases) {
  const perMessage = [];
  for (let r = 0; r < repeat; r++) {
    const [base, total] = await Promise.all([instructions(0, msg, op), instructions(count, msg, op)]);
    perMessage.push(Math.round((total - base) / count));
  }
  perMessage.sort((a, b) => a - b);
  const median = perMessage[perMessage.length >> 1];
  const runs = perMessage.map((n) => n.toLocaleString("en-US")).join(", ");
  console.log(`${impl} ${msg} ${op}: ${median.toLocaleString("en-US")} instructions per message (median of ${runs})`);
}

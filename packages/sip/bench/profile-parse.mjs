// Runs only @sipfleet/sip's INVITE parse+read loop (the benchmark's headline case) for a while,
// so it can be profiled:
//
//   node --cpu-prof --cpu-prof-dir=/tmp/sip-prof bench/profile-parse.mjs [seconds=10] [message=INVITE] [op=read|forward|parse]
//
// then open the .cpuprofile in Chrome DevTools (Performance tab) or VS Code. `parse` runs
// parseMessage alone (no header reads), `forward` adds the proxy edit and serialization.
import { MESSAGES } from "./messages.mjs";
import { loadImplementations, newFields } from "./impls.mjs";

const seconds = Number(process.argv[2] ?? 10);
const msgName = process.argv[3] ?? "INVITE";
const opName = process.argv[4] ?? "read";
const msg = MESSAGES.find((m) => m.name.toLowerCase() === msgName.toLowerCase());
if (!msg) throw new Error(`unknown message "${msgName}" (have: ${MESSAGES.map((m) => m.name).join(", ")})`);
if (!["read", "forward", "parse"].includes(opName)) throw new Error(`unknown op "${opName}" (read, forward or parse)`);

const ours = (await loadImplementations()).find((i) => i.ours);
if (ours.error) throw new Error(ours.error);

const out = newFields();
const buf = msg.buf;
const op =
  opName === "read"
    ? () => ours.read(buf, out).bodyEnd
    : opName === "forward"
      ? () => ours.forward(buf, out, msg.isRequest).length
      : () => ours.parseOnly(buf).bodyEnd;

let sink = 0;
let ops = 0;
const t0 = process.hrtime.bigint();
const deadline = t0 + BigInt(Math.round(seconds * 1e9));
let t = t0;
while (t < deadline) {
  for (let i = 0; i < 1000; i++) sink = (sink + op()) | 0;
  ops += 1000;
  t = process.hrtime.bigint();
}
const s = Number(t - t0) / 1e9;
console.log(`@sipfleet/sip ${msg.name} ${opName}: ${Math.round(ops / s)} ops/s over ${s.toFixed(1)} s (checksum ${sink})`);

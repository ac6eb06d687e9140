// Runs @sipfleet/sip's benchmark loop a fixed number of times, for counting instructions with
// valgrind, which (unlike a timer) gives the same figure on a loaded machine:
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/count-instructions.mjs <warm-up> <count> [message=INVITE] [op=read|forward|parse] [implementation=@sipfleet/sip]
//
// Instructions per message = (total with count N - total with count 0) / N, both after the same
// warm-up (bench/instructions.sh does the subtraction).
import { MESSAGES } from "./messages.mjs";
import { loadImplementations, newFields } from "./impls.mjs";

const warmup = Number(process.argv[2] ?? 20000);
const count = Number(process.argv[3] ?? 10000);
const msgName = process.argv[4] ?? "INVITE";
const opName = process.argv[5] ?? "read";
const implName = process.argv[6] ?? "@sipfleet/sip";
const msg = MESSAGES.find((m) => m.name.toLowerCase() === msgName.toLowerCase());
if (!msg) throw new Error(`unknown message "${msgName}" (have: ${MESSAGES.map((m) => m.name).join(", ")})`);
if (!["read", "forward", "parse"].includes(opName)) throw new Error(`unknown op "${opName}" (read, forward or parse)`);

const ours = (await loadImplementations()).find((i) => i.name === implName);
if (!ours) throw new Error(`unknown implementation "${implName}"`);
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
for (let i = 0; i < warmup + count; i++) sink = (sink + op()) | 0;
if (sink === 0.5) console.log("unreachable");

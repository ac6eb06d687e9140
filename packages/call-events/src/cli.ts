#!/usr/bin/env node
import { parseArgs } from "node:util";
import { CallEvent_Kind } from "@sipfleet/proto";
import { natsServerList } from "@sipfleet/bus";
import { connect } from "nats";
import { callEventToJson } from "./call-event-json.js";
import { readCallEvents, type ReadCallEventsOptions } from "./read-call-events.js";

/*
 * sipfleet-call-events [--server URL] [--stream NAME] [--since TIME] [--call-id ID] [--kind KIND] [--limit N]
 *
 * Prints the stored call events as JSON lines, the oldest first, then exits. The stream holds
 * protobuf, which generic NATS tools show as bytes; this decodes it.
 */

const USAGE = `usage: sipfleet-call-events [options]
  Prints stored call events as JSON lines (oldest first) and exits.
  --server URL     NATS server, or a cluster's as a comma-separated list (default $NATS_URL, else nats://127.0.0.1:4222)
  --stream NAME    JetStream stream (default SIPFLEET_CALLS)
  --since TIME     only events stored at or after TIME: an ISO date, or an age like 90s, 15m, 2h, 7d
  --call-id ID     only this Call-ID
  --kind KIND      attempted, answered or ended
  --limit N        at most N events`;

const KINDS: Record<string, CallEvent_Kind> = {
  attempted: CallEvent_Kind.KIND_ATTEMPTED,
  answered: CallEvent_Kind.KIND_ANSWERED,
  ended: CallEvent_Kind.KIND_ENDED,
};

class UsageError extends Error {}

function parseSince(s: string, now: number): number {
  const age = /^(\d+)(s|m|h|d)$/.exec(s);
  if (age !== null) return now - Number(age[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "s" | "m" | "h" | "d"];
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new UsageError(`--since ${s}: not an ISO date nor an age like 15m`);
  return t;
}

function options(argv: string[]): { server: string; read: ReadCallEventsOptions } | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: "string" },
      stream: { type: "string" },
      since: { type: "string" },
      "call-id": { type: "string" },
      kind: { type: "string" },
      limit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return "help";
  const read: ReadCallEventsOptions = {};
  if (values.stream !== undefined) read.stream = values.stream;
  if (values.since !== undefined) read.since = parseSince(values.since, Date.now());
  if (values["call-id"] !== undefined) read.callId = values["call-id"];
  if (values.kind !== undefined) {
    const kind = KINDS[values.kind];
    if (kind === undefined) throw new UsageError(`--kind ${values.kind}: one of ${Object.keys(KINDS).join(", ")}`);
    read.kind = kind;
  }
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit ${values.limit}: a positive integer`);
    read.limit = n;
  }
  return { server: values.server ?? process.env["NATS_URL"] ?? "nats://127.0.0.1:4222", read };
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof options>;
  try {
    parsed = options(argv);
  } catch (err) {
    process.stderr.write(`sipfleet-call-events: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // A NATS cluster as a comma-separated list, as the services take NATS_URL.
  const nc = await connect({ servers: natsServerList(parsed.server), name: "sipfleet-call-events" });
  try {
    const logger = { warn: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`), error: (o: object, m: string) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`) };
    for await (const s of readCallEvents(nc, { ...parsed.read, logger })) {
      process.stdout.write(`${JSON.stringify({ seq: s.seq, storedAt: new Date(s.storedAtMs).toISOString(), ...callEventToJson(s.event) })}\n`);
    }
  } finally {
    await nc.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`sipfleet-call-events: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

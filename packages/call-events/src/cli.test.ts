import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { CallEvent } from "@sipfleet/proto";
import { recordingLogger, startNatsServer, type EngineProcess } from "@sipfleet/testing";
import { connect } from "nats";
import { JetStreamCallEvents } from "./index.js";
import { answeredCall } from "./fixtures.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("./cli.js", import.meta.url));

let server: EngineProcess | undefined;
after(async () => {
  await server?.stop();
});

describe("sipfleet-call-events", () => {
  it("prints the stored events as JSON lines, filtered, with enum names and ISO times", async () => {
    server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    try {
      const sink = await JetStreamCallEvents.start(nc, { logger: recordingLogger([]) });
      for (const e of [...answeredCall("cli-1"), ...answeredCall("cli-2")]) sink.emit(e);
      await sink.close();
    } finally {
      await nc.close();
    }

    const all = await run(process.execPath, [cli, "--server", server.url]);
    const lines = all.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 6);
    assert.deepEqual(lines.map((l) => l["seq"]), [1, 2, 3, 4, 5, 6]);

    const ended = await run(process.execPath, [cli, "--server", server.url, "--kind", "ended", "--call-id", "cli-2", "--since", "1h"]);
    const [row, ...rest] = ended.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rest.length, 0);
    const e = answeredCall("cli-2")[2] as CallEvent;
    assert.equal(row?.["kind"], "ENDED");
    assert.equal(row?.["callId"], "cli-2");
    assert.equal(row?.["endedBy"], "CALLEE");
    assert.equal(row?.["ending"], "BYE");
    assert.equal(row?.["durationMs"], 60_000);
    assert.equal(row?.["answeredAt"], new Date(e.answeredAtMs).toISOString());
    assert.deepEqual(row?.["callerFlow"], { edgeId: "edge-1", connectionId: "udp:1", transport: "UDP", remote: "127.0.0.2:5060", local: "127.0.0.1:5060" });
    assert.equal(row?.["calleeFlow"], null);

    await assert.rejects(run(process.execPath, [cli, "--server", server.url, "--kind", "ringing"]), (err: { code?: number; stderr?: string }) => err.code === 2 && /--kind ringing/.test(err.stderr ?? ""));
  });
});

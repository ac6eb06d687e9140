import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { NatsBus } from "@sipfleet/bus";
import { Decision, Envelope, PROXY_SUBJECT } from "@sipfleet/proto";
import { type EngineProcess, hasBinary, startNatsServer } from "@sipfleet/testing";
import { ALICE_FLOW, request, responded, wire } from "./proxy-fixtures.js";

/* The cluster main as a container runs it: configuration from the environment, ready once subscribed. */

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const missing = hasBinary("nats-server") ? false : "nats-server binary not installed";

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env["PATH"] ?? "", SIPFLEET_CONFIG: "deploy/local/sipfleet.yaml", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

async function waitFor(r: Run, text: string): Promise<void> {
  for (let i = 0; i < 200 && !r.stderr().includes(text); i++) await new Promise((res) => setTimeout(res, 50));
  assert.ok(r.stderr().includes(text), `no "${text}" in:\n${r.stderr()}`);
}

describe("proxy main (cluster mode)", { skip: missing }, () => {
  let nats: EngineProcess;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats?.stop();
  });

  it("logs ready once subscribed, answers over NATS, and exits 0 on SIGTERM", async () => {
    const r = run({ NATS_URL: nats.url, LOCATION_ADDRESSES: "127.0.0.1:1", SIPFLEET_NONCE_SECRET: "main-test-secret-0123456789abcdef" });
    try {
      await waitFor(r, "proxy ready");
      const bus = await NatsBus.connect({ servers: nats.url, name: "main-test", logger: { warn() {}, error() {} } });
      try {
        const env = Envelope.encode({ message: request().bytes, flow: wire(ALICE_FLOW), receivedAtMs: Date.now(), tlsPeerNames: [] }).finish();
        // alice is a served user: challenged before the location service is needed.
        const d = Decision.decode(await bus.request(PROXY_SUBJECT, env, { timeoutMs: 5000 }));
        assert.equal(responded(d).status, 407);
      } finally {
        await bus.close();
      }
      r.child.kill("SIGTERM");
      assert.equal(await r.exit, 0);
    } finally {
      if (r.child.exitCode === null) r.child.kill("SIGKILL");
    }
  });

  it("refuses to start with a random nonce secret (each replica would refuse its siblings' nonces and tokens)", async () => {
    const r = run({ NATS_URL: nats.url });
    assert.equal(await r.exit, 1);
    assert.match(r.stderr(), /auth\.nonceSecret/);
  });
});

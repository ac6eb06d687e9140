// The embedded default (`pnpm start`): every tier in one process, real SIP peers against it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { loadConfig } from "@sipfleet/config";
import { startEmbedded, type EmbeddedPlatform } from "@sipfleet/local";
import { createLogger } from "@sipfleet/runtime";
import { freePort, hasSipp, runSipp } from "@sipfleet/testing";
import { DIGEST_DOMAIN, listenOn, OPEN_DOMAIN, registerWithDigest, SCENARIOS, USERS, writeTestConfig } from "./fixtures.js";

const START = fileURLToPath(import.meta.resolve("@sipfleet/local/start"));
const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

describe("embedded platform with sipp", { skip }, () => {
  let platform: EmbeddedPlatform;
  let port: number;

  before(async () => {
    port = await freePort();
    // MD5 first for sipp, which implements no other digest algorithm.
    const config = loadConfig({ path: writeTestConfig({ algorithms: ["MD5", "SHA-256"] }), env: { SIPFLEET_LISTEN: listenOn(port) } });
    platform = await startEmbedded(config, createLogger("e2e", { level: "warn" }));
  });
  after(async () => {
    await platform.stop();
  });

  for (const transport of ["udp", "tcp"] as const) {
    it(`registers alice, bob and carol with digest authentication over ${transport}`, async () => {
      const results = await registerWithDigest(`127.0.0.1:${port}`, transport, USERS);
      for (const r of results) assert.equal(r.exitCode, 0, `${r.user}: ${r.stderr}`);
      for (const [user] of USERS) {
        const bindings = await platform.store.lookup(`sip:${user}@${DIGEST_DOMAIN}`);
        assert.ok(bindings.some((b) => b.flow.transport === transport && b.contact.toLowerCase().includes(`transport=${transport}`)), `${user} over ${transport}`);
      }
    });
  }

  it("registers 200 users of the open domain without authentication", async () => {
    const users = Array.from({ length: 200 }, (_, i) => [`user${i}`, OPEN_DOMAIN, "600"]);
    const result = await runSipp({
      scenario: join(SCENARIOS, "register-open.xml"),
      target: `127.0.0.1:${port}`,
      inject: users,
      calls: users.length,
      rate: 400,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.successfulCalls, 200);
    const page = await platform.store.list(1000, undefined);
    const open = page.entries.filter((e) => e.aor.endsWith(`@${OPEN_DOMAIN}`));
    assert.equal(open.length, 200);
  });

  it("answers sipp's wrong password with 403 and stores nothing", async () => {
    const stored = await platform.store.lookup(`sip:carol@${DIGEST_DOMAIN}`);
    const [result] = await registerWithDigest(`127.0.0.1:${port}`, "udp", [["carol", "carol-secret"]], { password: "not-carols-password", expires: 100 });
    assert.ok(result);
    assert.notEqual(result.exitCode, 0);
    assert.equal(result.failedCalls, 1);
    assert.match(result.stderr, /403/);
    assert.deepEqual(await platform.store.lookup(`sip:carol@${DIGEST_DOMAIN}`), stored);
  });
});

describe("pnpm start (deploy/local/dist/start.js as a process)", () => {
  it("listens for SIP on UDP, answers OPTIONS to the platform with 200, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [START], {
      env: { ...process.env, SIPFLEET_CONFIG: writeTestConfig(), SIPFLEET_LISTEN: listenOn(port) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("start.js did not report ready in 20 s")), 20_000);
      createInterface({ input: child.stderr }).on("line", (line) => {
        if (/"msg":"sipfleet ready/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => reject(new Error(`start.js exited with ${code} before ready`)));
    });
    const sock = createSocket("udp4");
    try {
      const response = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no answer to OPTIONS")), 5_000);
        sock.once("message", (m) => {
          clearTimeout(timer);
          resolve(m.toString("latin1"));
        });
        sock.bind(0, "127.0.0.1", () => {
          const local = sock.address().port;
          const options = [
            `OPTIONS sip:${DIGEST_DOMAIN} SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-e2e-options;rport`,
            `Max-Forwards: 70`,
            `From: <sip:probe@${DIGEST_DOMAIN}>;tag=probe`,
            `To: <sip:${DIGEST_DOMAIN}>`,
            `Call-ID: e2e-options@127.0.0.1`,
            `CSeq: 1 OPTIONS`,
            `Content-Length: 0`,
            ``,
            ``,
          ].join("\r\n");
          sock.send(options, port, "127.0.0.1");
        });
      });
      assert.match(response, /^SIP\/2\.0 200 /);
      assert.match(response, /\r\nAllow: [^\r]*REGISTER/i);
    } finally {
      sock.close();
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
  });
});

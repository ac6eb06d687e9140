import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { hasBinary } from "@sipfleet/testing";
import { startTestEdge, type TestEdge } from "./harness.js";

// A real SIP peer: sipsak (Debian package `sipsak`) sends OPTIONS and exits 0 on a 200.
const missing = hasBinary("sipsak") ? false : "sipsak binary not installed (apt-get install sipsak): real-peer OPTIONS check skipped";

function sipsak(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    // Asynchronous: the edge answers from this same process.
    execFile("sipsak", args, { encoding: "utf8", timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      resolve({ code, stdout: stdout + stderr });
    });
  });
}

describe("real peer: sipsak", { skip: missing }, () => {
  let t: TestEdge;

  before(async () => {
    t = await startTestEdge({ config: { maxMessageSize: 65535 } });
  });

  after(async () => {
    await t.stop();
  });

  it("OPTIONS over UDP: 200 with received/rport in the Via", async () => {
    const { code, stdout } = await sipsak(["-vv", "-s", `sip:127.0.0.1:${t.address("udp").port}`]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /SIP\/2\.0 200 OK/);
    assert.match(stdout, /Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, MESSAGE/);
    assert.match(stdout, /received=127\.0\.0\.1/);
  });

  it("OPTIONS over TCP: 200", async () => {
    const { code, stdout } = await sipsak(["-vv", "-E", "tcp", "-s", `sip:127.0.0.1:${t.address("tcp").port}`]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /SIP\/2\.0 200 OK/);
  });
});

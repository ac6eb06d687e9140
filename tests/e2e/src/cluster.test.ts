// Cluster mode: every tier its own processes on real NATS, Redis and gRPC, driven by sipp.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { hasSipp, runSipp } from "@sipfleet/testing";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { DIGEST_DOMAIN, OPEN_DOMAIN, registerWithDigest, SCENARIOS, sleep, USERS } from "./fixtures.js";
import { openRegister, statusOf, UdpSipClient } from "./sip-udp-client.js";

const skip = hasSipp() ? false : "sipp is not installed (Debian package sip-tester)";

describe("cluster mode: 2 edges, 2 registrars, 2 location replicas", { skip }, () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ edges: 2, registrars: 2, locations: 2 }, { algorithms: ["MD5", "SHA-256"] });
  });
  after(async () => {
    await t.stop();
  });

  it("registers with digest through either edge over UDP and TCP; every location replica sees every binding", async () => {
    const runs = [
      { edge: 0, transport: "udp" as const },
      { edge: 1, transport: "tcp" as const },
    ];
    for (const run of runs) {
      const results = await registerWithDigest(`127.0.0.1:${t.edgePorts[run.edge]}`, run.transport, USERS);
      for (const r of results) assert.equal(r.exitCode, 0, `${r.user}: ${r.stderr}\n${t.logs.slice(-20).join("\n")}`);
    }
    for (const replica of t.replicaClients) {
      for (const [user] of USERS) {
        const bindings = await replica.lookup(`sip:${user}@${DIGEST_DOMAIN}`);
        assert.equal(bindings.length, 2, `${user}: one binding per sipp run`);
        const edges = bindings.map((b) => `${b.flow.edgeId}/${b.flow.transport}`).sort();
        assert.deepEqual(edges, ["edge-1/udp", "edge-2/tcp"]);
        for (const b of bindings) assert.ok(b.expiresAtMs - Date.now() > 250_000 && b.expiresAtMs - Date.now() <= 300_000);
      }
    }
  });

  it("registers 300 users of the open domain without authentication, spread over both edges", async () => {
    const users = Array.from({ length: 300 }, (_, i) => [`u${i}`, OPEN_DOMAIN, "600"]);
    const halves = [users.slice(0, 150), users.slice(150)];
    const results = await Promise.all(
      halves.map((inject, k) =>
        runSipp({ scenario: join(SCENARIOS, "register-open.xml"), target: `127.0.0.1:${t.edgePorts[k]}`, inject, calls: inject.length, rate: 300 }),
      ),
    );
    for (const r of results) assert.equal(r.exitCode, 0, r.stderr);
    let seen = 0;
    let token: string | undefined;
    do {
      const page = await t.client.list(100, token);
      seen += page.entries.filter((e) => e.aor.endsWith(`@${OPEN_DOMAIN}`)).length;
      token = page.nextPageToken;
    } while (token !== undefined);
    assert.equal(seen, 300);
  });

  it("answers a wrong password with 403 and stores nothing", async () => {
    // What identifies each binding's last write (expiresAtMs is recomputed from the TTL per read).
    const writes = async () => (await t.client.lookup(`sip:carol@${DIGEST_DOMAIN}`)).map((b) => `${b.key} ${b.callId} ${b.cseq} ${b.updatedAtMs}`).sort();
    const stored = await writes();
    const [result] = await registerWithDigest(`127.0.0.1:${t.edgePorts[0]}`, "udp", [["carol", "carol-secret"]], { password: "wrong" });
    assert.ok(result);
    assert.equal(result.failedCalls, 1);
    assert.match(result.stderr, /403/);
    assert.deepEqual(await writes(), stored);
  });

  it("answers an unknown domain with 403 and a malformed REGISTER with 400", async () => {
    const client = await UdpSipClient.open();
    try {
      const unknown = await client.request(t.edgePorts[0]!, openRegister("x", "elsewhere.example", "c-unknown", 1, 5000, 60));
      assert.equal(statusOf(unknown), 403);
      const malformed = openRegister("x", OPEN_DOMAIN, "c-bad", 1, 5000, 60).map((l) => (l.startsWith("CSeq") ? "CSeq: one REGISTER" : l));
      assert.equal(statusOf(await client.request(t.edgePorts[1]!, malformed)), 400);
    } finally {
      client.close();
    }
  });

  it("lets a binding registered for 2 s expire by itself (Redis TTL, no sweeper)", async () => {
    const client = await UdpSipClient.open();
    try {
      const aor = `sip:short@${OPEN_DOMAIN}`;
      const ok = await client.request(t.edgePorts[0]!, openRegister("short", OPEN_DOMAIN, "c-short", 1, 5000, 2));
      assert.equal(statusOf(ok), 200);
      assert.equal((await t.replicaClients[1]!.lookup(aor)).length, 1);
      await sleep(2_300);
      assert.deepEqual(await t.replicaClients[0]!.lookup(aor), []);
      assert.deepEqual(await t.replicaClients[1]!.lookup(aor), []);
    } finally {
      client.close();
    }
  });

  it("keeps RFC 3261 §10.3 ordering when two registrars race on one AOR", async () => {
    const client = await UdpSipClient.open();
    try {
      const aor = `sip:racer@${OPEN_DOMAIN}`;
      // CSeq 1..40 of one Call-ID for one contact, all at once, alternating edges: the two
      // registrars take them in whatever order NATS hands them out. The expiry says which CSeq wrote.
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.request(t.edgePorts[i % 2]!, openRegister("racer", OPEN_DOMAIN, "c-race", i + 1, 20_000, 600 + i + 1)),
        ),
      );
      const statuses = answers.map(statusOf);
      assert.ok(statuses.every((s) => s === 200 || s === 400), `only 200 or 400 (out of order), got ${statuses.join(",")}`);
      assert.equal(statuses[39], 200, "the highest CSeq is never out of order");
      const bindings = await t.client.lookup(aor);
      assert.equal(bindings.length, 1);
      assert.equal(bindings[0]?.cseq, 40);
      const left = ((bindings[0]?.expiresAtMs ?? 0) - Date.now()) / 1000;
      assert.ok(left > 630 && left <= 640, `expiry from CSeq 40 (640 s), got ${left}`);
    } finally {
      client.close();
    }
  });
});

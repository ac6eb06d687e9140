import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { type StoredHa1, computeHa1 } from "@sipfleet/sip";
import { loadConfig } from "./load-config.js";

/*
 * The committed local configuration files: they must load, and hold the documented lab users
 * (password "<user>-secret"), so tests and softphones elsewhere can rely on them.
 */

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const LOOPBACK_LISTEN = [
  { transport: "udp", host: "127.0.0.1", port: 5060 },
  { transport: "tcp", host: "127.0.0.1", port: 5060 },
];

describe("deploy/local/sipfleet.yaml", () => {
  it("is the default and loads from the repository root", () => {
    const config = loadConfig({ cwd: REPO_ROOT, env: {} });
    assert.deepEqual([...config.domains.keys()], ["sipfleet.local"]);
  });

  it("serves sipfleet.local with digest for alice, bob and carol", () => {
    const config = loadConfig({ cwd: REPO_ROOT, env: {} });
    const domain = config.domains.get("sipfleet.local");
    assert.equal(domain?.authentication, "digest");
    assert.deepEqual([...(domain?.users.keys() ?? [])], ["alice", "bob", "carol"]);
  });

  it("stores each lab user's HA1 for MD5 and SHA-256 of <user>-secret", () => {
    const domain = loadConfig({ cwd: REPO_ROOT, env: {} }).domains.get("sipfleet.local");
    // Independent of computeHa1: MD5("alice:sipfleet.local:alice-secret") from md5sum.
    assert.equal(domain?.users.get("alice")?.ha1.MD5, "6cbb80ffc4da5bf0e69440b3028ccd1d");
    for (const user of ["alice", "bob", "carol"]) {
      const ha1: StoredHa1 | undefined = domain?.users.get(user)?.ha1;
      assert.equal(ha1?.MD5, computeHa1(user, "sipfleet.local", `${user}-secret`, "MD5"), user);
      assert.equal(ha1?.["SHA-256"], computeHa1(user, "sipfleet.local", `${user}-secret`, "SHA-256"), user);
    }
  });

  it("listens on UDP and TCP 127.0.0.1:5060 with the documented limits", () => {
    const config = loadConfig({ cwd: REPO_ROOT, env: {} });
    assert.deepEqual(config.edge.listen, LOOPBACK_LISTEN);
    assert.deepEqual(config.registrar, { minExpires: 60, defaultExpires: 3600, maxExpires: 7200, maxBindingsPerAor: 20 });
    assert.deepEqual(config.auth.algorithms, ["SHA-256", "MD5"]);
    assert.equal(config.auth.nonceSecretSource, "random");
  });
});

describe("deploy/local/bench.yaml", () => {
  const env = { SIPFLEET_CONFIG: "deploy/local/bench.yaml" };

  it("serves bench.sipfleet.local without authentication on loopback", () => {
    const config = loadConfig({ cwd: REPO_ROOT, env });
    const domain = config.domains.get("bench.sipfleet.local");
    assert.equal(domain?.authentication, "none");
    assert.equal(config.domains.size, 1);
    assert.deepEqual(config.edge.listen, LOOPBACK_LISTEN);
  });

  it("refuses to be served off loopback", () => {
    assert.throws(() => loadConfig({ cwd: REPO_ROOT, env: { ...env, SIPFLEET_LISTEN: "udp:0.0.0.0:5060" } }), {
      name: "ConfigError",
      message:
        'deploy/local/bench.yaml: domains[0].authentication: "none" is for benchmarks on loopback only, but SIPFLEET_LISTEN listens on udp:0.0.0.0:5060; use digest, listen on 127.0.0.0/8 or ::1, or set domains[0].allowUnauthenticatedOnPublicAddress: true',
    });
  });
});

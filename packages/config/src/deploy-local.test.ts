import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { type StoredHa1, computeHa1 } from "@sipfleet/sip";
import { destinationAllowed, longestPrefixRoute, normalizeNumber, numberOwner, trunkForSource } from "@sipfleet/trunks";
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

describe("deploy/local/sipfleet.yaml: trunks", () => {
  it("routes every number to the loopback lab-carrier, which delivers alice's and a group's numbers", () => {
    const config = loadConfig({ cwd: REPO_ROOT, env: {} });
    assert.deepEqual(
      config.trunks.map((t) => [t.name, t.gateways.map((g) => `${g.transport}:${g.host}:${g.port}`)]),
      [["lab-carrier", ["udp:127.0.0.1:5090"]]],
    );
    assert.equal(trunkForSource(config.trunks, "127.0.0.1"), undefined, "the lab phones are not the carrier");
    assert.equal(trunkForSource(config.trunks, "127.0.0.90")?.name, "lab-carrier");
    assert.equal(longestPrefixRoute(config.numberRoutes, "+4930999")?.trunks[0]?.trunk, "lab-carrier");
    assert.equal(numberOwner(config.trunks, "+4930123410")?.assignment.owners.length, 2);
  });

  it("lets users call national numbers, carol international too, and nobody premium-rate", () => {
    const domain = loadConfig({ cwd: REPO_ROOT, env: {} }).domains.get("sipfleet.local");
    const alice = domain?.users.get("alice");
    const carol = domain?.users.get("carol");
    assert.ok(domain !== undefined && alice !== undefined && carol !== undefined);
    const e164 = (dialled: string): string => normalizeNumber(domain, dialled) ?? "";
    assert.equal(destinationAllowed(alice, domain, e164("030123456")), true);
    assert.equal(destinationAllowed(alice, domain, e164("00442079460000")), false);
    assert.equal(destinationAllowed(carol, domain, e164("00442079460000")), true);
    assert.equal(destinationAllowed(carol, domain, e164("0900123456")), false);
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

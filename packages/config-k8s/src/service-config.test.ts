import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { recordingLogger, startKubeApiServer } from "@sipfleet/testing";
import { configSourceFromEnv } from "./service-config.js";
import { HA1, NAMESPACE, domain, ha1Secret, user } from "./test-fixtures.js";

/* What service-main.ts calls: the file by default, the custom resources with SIPFLEET_CONFIG_SOURCE=kubernetes. */

describe("configSourceFromEnv", () => {
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-config-source-"));
  const yaml = join(dir, "sipfleet.yaml");
  // The base file still lists a domain: in kubernetes mode the resources replace it.
  writeFileSync(
    yaml,
    [
      "domains:",
      "  - name: file.example",
      "    authentication: none",
      "auth:",
      '  nonceSecret: "service-config-test-secret-0123456789ab"',
      "edge:",
      '  listen: "udp:127.0.0.1:5099"',
      "",
    ].join("\n"),
  );

  it("reads the SIPFLEET_CONFIG file when no source is named", async () => {
    const source = await configSourceFromEnv({ SIPFLEET_CONFIG: yaml }, "test", recordingLogger([]));
    assert.equal(source.from, "file");
    assert.deepEqual([...source.current().domains.keys()], ["file.example"]);
    await source.stop();
  });

  it("refuses an unknown source and kubernetes without POD_NAMESPACE", async () => {
    await assert.rejects(configSourceFromEnv({ SIPFLEET_CONFIG: yaml, SIPFLEET_CONFIG_SOURCE: "etcd" }, "test", recordingLogger([])), /SIPFLEET_CONFIG_SOURCE: must be file or kubernetes/);
    await assert.rejects(configSourceFromEnv({ SIPFLEET_CONFIG: yaml, SIPFLEET_CONFIG_SOURCE: "kubernetes" }, "test", recordingLogger([])), /POD_NAMESPACE: required/);
  });

  it("takes domains and users from the custom resources and the rest from the file (KUBECONFIG)", async () => {
    const server = await startKubeApiServer();
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster: { server: "${server.url}", insecure-skip-tls-verify: true }\nusers:\n- name: t\n  user: {}\ncontexts:\n- name: t\n  context: { cluster: t, user: t }\ncurrent-context: t\n`,
    );
    const saved = process.env["KUBECONFIG"];
    process.env["KUBECONFIG"] = kubeconfig;
    try {
      server.apply(domain("sipfleet.local"));
      server.apply(ha1Secret("alice", HA1["alice"]!));
      server.apply(user("alice", "sipfleet.local"));
      const source = await configSourceFromEnv({ SIPFLEET_CONFIG: yaml, SIPFLEET_CONFIG_SOURCE: "kubernetes", POD_NAMESPACE: NAMESPACE }, "test", recordingLogger([]));
      assert.equal(source.from, "kubernetes");
      assert.deepEqual([...source.current().domains.keys()], ["sipfleet.local"]);
      assert.deepEqual(source.current().edge.listen, [{ transport: "udp", host: "127.0.0.1", port: 5099 }]);
      await source.stop();
    } finally {
      if (saved === undefined) delete process.env["KUBECONFIG"];
      else process.env["KUBECONFIG"] = saved;
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

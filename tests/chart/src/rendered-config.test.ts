// What the chart hands the services is what they accept, and the helm test probe works: the
// configuration rendered into the ConfigMap passes the Sipfleet validator with the environment the
// Deployments set, and files/sip-probe.mjs (the `helm test` Pod's script) gets its 200 to OPTIONS
// and the registrar's 401 from the real platform (embedded: every tier in this process) running
// that very configuration.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "@sipfleet/config";
import { startEmbedded } from "@sipfleet/local";
import { createLogger } from "@sipfleet/runtime";
import { freePort } from "@sipfleet/testing";
import { CHART_DIR, helm } from "./helm.js";
import { parseManifests, type K8sObject } from "./validate.js";

const NONCE_SECRET = "a-test-nonce-secret-of-at-least-32-characters";

function rendered(args: readonly string[] = []): { config: string; edge: K8sObject } {
  const r = helm(["template", "sipfleet", CHART_DIR, ...args]);
  assert.equal(r.status, 0, r.stderr);
  const objects = parseManifests(r.stdout);
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "sipfleet-config");
  const edge = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "sipfleet-edge");
  assert.ok(configMap && edge);
  return { config: (configMap["data"] as Record<string, string>)["sipfleet.yaml"]!, edge };
}

function envValue(edge: K8sObject, name: string): string {
  const entry = edge.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === name);
  assert.ok(entry?.value, `${name} has a literal value`);
  return entry.value as string;
}

describe("the chart's configuration, as the services read it", () => {
  it("the default and the production configuration pass the Sipfleet validator with the Deployment's listen addresses", () => {
    for (const args of [[], ["-f", join(CHART_DIR, "values-production.yaml")]]) {
      const { config, edge } = rendered(args);
      // The production listeners include tls and wss, whose certificate files exist only in the pod:
      // the file and the nonce secret are checked here, the listeners' shape by the chart test.
      const listen = envValue(edge, "SIPFLEET_LISTEN");
      assert.match(listen, /^udp:0\.0\.0\.0:\d+/);
      const parsed = parseConfig(config, "sipfleet.yaml", { SIPFLEET_LISTEN: "udp:0.0.0.0:5060,tcp:0.0.0.0:5060", SIPFLEET_NONCE_SECRET: NONCE_SECRET });
      assert.equal(parsed.auth.nonceSecretSource, "env");
      assert.ok(parsed.domains.size >= 1);
    }
  });

  it("a configuration the services would refuse fails here too", () => {
    const { config } = rendered(["--set", "sipConfig.inline.auth.nonceLifetimeSeconds=0"]);
    assert.throws(() => parseConfig(config, "sipfleet.yaml", { SIPFLEET_NONCE_SECRET: NONCE_SECRET }), /nonceLifetimeSeconds/);
  });

  it("the helm test probe gets 200 to OPTIONS and 401 to REGISTER from the platform running the rendered configuration", async () => {
    const { config } = rendered();
    const port = await freePort();
    const platform = await startEmbedded(
      parseConfig(config, "sipfleet.yaml", { SIPFLEET_LISTEN: `udp:127.0.0.1:${port}`, SIPFLEET_NONCE_SECRET: NONCE_SECRET }),
      createLogger("chart-test", { level: "warn" }),
    );
    try {
      // A child process run asynchronously: the platform answers from this process's event loop.
      const probe = await runProbe(["127.0.0.1", String(port), "sipfleet.example", "5"]);
      assert.equal(probe.status, 0, probe.stdout + probe.stderr);
      assert.match(probe.stdout, /OPTIONS sip:sipfleet\.example -> 200/);
      assert.match(probe.stdout, /REGISTER sip:sipfleet\.example -> 401/);
    } finally {
      await platform.stop();
    }
  });

  it("the probe fails when nothing answers", async () => {
    const port = await freePort();
    const probe = await runProbe(["127.0.0.1", String(port), "sipfleet.example", "1"]);
    assert.notEqual(probe.status, 0);
    assert.match(probe.stderr, /no final response to OPTIONS/);
  });
});

function runProbe(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(CHART_DIR, "files/sip-probe.mjs"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

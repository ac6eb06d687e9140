// Cluster mode with SIPFLEET_CONFIG_SOURCE=kubernetes: every process reads its domains from custom
// resources on a Kubernetes API test server, and the registrar process serves a domain added
// while it runs, without a restart.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type KubeApiServer, type KubeObject, startKubeApiServer } from "@sipfleet/testing";
import { startTestCluster, type TestCluster } from "./cluster-fixtures.js";
import { sleep } from "./fixtures.js";
import { openRegister, statusOf, UdpSipClient } from "./sip-udp-client.js";

const NAMESPACE = "sipfleet-e2e";
const API_VERSION = "sipfleet.io/v1alpha1";

function sipDomain(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: "SipDomain", metadata: { name, namespace: NAMESPACE }, spec };
}

function accepted(kube: KubeApiServer, name: string): { status: string; reason: string; message: string } | undefined {
  const status = kube.get(API_VERSION, "SipDomain", NAMESPACE, name)?.["status"] as { conditions?: { status: string; reason: string; message: string }[] } | undefined;
  return status?.conditions?.[0];
}

describe("cluster mode with its domains from custom resources", () => {
  let kube: KubeApiServer;
  let t: TestCluster;
  let dir: string;
  let client: UdpSipClient;
  let calls = 0;

  before(async () => {
    kube = await startKubeApiServer();
    kube.apply(sipDomain("sipfleet.local", {}));
    dir = mkdtempSync(join(tmpdir(), "sipfleet-e2e-kube-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster: { server: "${kube.url}", insecure-skip-tls-verify: true }\nusers:\n- name: t\n  user: {}\ncontexts:\n- name: t\n  context: { cluster: t, user: t }\ncurrent-context: t\n`,
    );
    t = await startTestCluster({ edges: 1, registrars: 1, locations: 1 }, {}, { env: { SIPFLEET_CONFIG_SOURCE: "kubernetes", POD_NAMESPACE: NAMESPACE, KUBECONFIG: kubeconfig } });
    client = await UdpSipClient.open();
  });

  after(async () => {
    client?.close();
    await t?.stop();
    await kube?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const register = async (user: string, domain: string): Promise<number> =>
    statusOf(await client.request(t.edgePorts[0]!, openRegister(user, domain, `crd-${++calls}`, 1, 5070, 600)));

  /** The registrar applies a change when its watch delivers it: ask until the answer is `status` (bounded). */
  async function registerUntil(user: string, domain: string, status: number): Promise<number> {
    let last = NaN;
    for (let i = 0; i < 100; i++) {
      last = await register(user, domain);
      if (last === status) return last;
      await sleep(100);
    }
    return last;
  }

  it("refuses a domain no SipDomain serves, then serves it once the resource is added, without a restart", async () => {
    assert.equal(await register("dave", "k8s.example"), 403, t.logs.slice(-20).join("\n"));
    kube.apply(sipDomain("k8s.example", { authentication: "none" }));
    assert.equal(await registerUntil("dave", "k8s.example", 200), 200, t.logs.slice(-20).join("\n"));
    const bindings = await t.client.lookup("sip:dave@k8s.example");
    assert.equal(bindings.length, 1);
    assert.equal(accepted(kube, "k8s.example")?.status, "True");
  });

  it("keeps serving the domain while a change to it is invalid, and marks the resource Invalid", async () => {
    kube.apply(sipDomain("k8s.example", { authentication: "sometimes" }));
    const condition = await kube.waitFor(() => {
      const c = accepted(kube, "k8s.example");
      return c?.reason === "Invalid" ? c : undefined;
    });
    assert.match(condition.message, /^spec\.authentication: /);
    assert.equal(await register("erin", "k8s.example"), 200);
  });
});

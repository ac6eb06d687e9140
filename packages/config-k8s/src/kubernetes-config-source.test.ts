import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SipfleetConfig } from "@sipfleet/config";
import { type KubeApiServer, type LoggedLine, recordingLogger, startKubeApiServer } from "@sipfleet/testing";
import { KubernetesConfigSource } from "./kubernetes-config-source.js";
import { API_VERSION } from "./resources.js";
import {
  BASE_DOCUMENT,
  HA1,
  NAMESPACE,
  acceptedCondition,
  domain,
  ha1Secret,
  kubeConfigFor,
  numberRoute,
  passwordSecret,
  trunk,
  user,
} from "./test-fixtures.js";

const LAB_TRUNK = {
  gateways: [{ host: "127.0.0.1", port: 5090, transport: "udp" }],
  inbound: { allow: ["192.0.2.0/28"] },
  numbers: [{ number: "+4930123456", owner: "alice@sipfleet.local" }],
  outbound: { credentials: { username: "lab", passwordSecretRef: { name: "lab-password" } } },
};

describe("KubernetesConfigSource against a Kubernetes API test server", () => {
  let server: KubeApiServer;
  let source: KubernetesConfigSource;
  const lines: LoggedLine[] = [];
  const configs: SipfleetConfig[] = [];

  before(async () => {
    server = await startKubeApiServer();
    server.apply(domain("sipfleet.local"));
    server.apply(ha1Secret("alice", HA1["alice"]!));
    server.apply(user("alice", "sipfleet.local"));
    source = await KubernetesConfigSource.start({
      kubeConfig: kubeConfigFor(server),
      namespace: NAMESPACE,
      base: { document: BASE_DOCUMENT, source: "base.yaml", baseDir: process.cwd() },
      env: {},
      component: "sipfleet-test",
      logger: recordingLogger(lines),
      settleMs: 10,
    });
    source.onConfig((c) => configs.push(c));
  });

  after(async () => {
    await source.stop();
    await server.stop();
  });

  /** Waits for the next configuration after `count` have been seen. */
  const nextConfig = (count: number): Promise<SipfleetConfig> => server.waitFor(() => configs[count]);

  it("starts with the configuration the resources list, and marks them Accepted", async () => {
    const config = source.current();
    assert.deepEqual([...config.domains.keys()], ["sipfleet.local"]);
    assert.deepEqual([...config.domains.get("sipfleet.local")!.users.keys()], ["alice"]);
    assert.equal(config.domains.get("sipfleet.local")!.users.get("alice")!.ha1.MD5, HA1["alice"]!.md5);
    assert.equal(config.trunks.length, 0);
    const condition = await server.waitFor(() => acceptedCondition(server.get(API_VERSION, "SipUser", NAMESPACE, "alice")));
    assert.equal(condition.status, "True");
    assert.equal(condition.reason, "Accepted");
  });

  it("adds, changes and deletes a user without a restart", async () => {
    const seen = configs.length;
    server.apply(ha1Secret("bob", HA1["bob"]!));
    server.apply(user("bob", "sipfleet.local"));
    const added = await nextConfig(seen);
    assert.deepEqual([...added.domains.get("sipfleet.local")!.users.keys()].sort(), ["alice", "bob"]);

    server.apply(user("bob", "sipfleet.local", { maxConcurrentCalls: 2 }));
    const changed = await nextConfig(seen + 1);
    assert.equal(changed.domains.get("sipfleet.local")!.users.get("bob")!.maxConcurrentCalls, 2);

    assert.ok(server.remove(API_VERSION, "SipUser", NAMESPACE, "bob"));
    const removed = await nextConfig(seen + 2);
    assert.deepEqual([...removed.domains.get("sipfleet.local")!.users.keys()], ["alice"]);
    assert.equal(source.current(), removed);
  });

  it("adds, changes and deletes a trunk and its number route, its password from a Secret", async () => {
    const seen = configs.length;
    server.apply(passwordSecret("lab-password", "s3cret-lab"));
    server.apply(trunk("lab-carrier", LAB_TRUNK));
    server.apply(numberRoute("germany", "+49", ["lab-carrier"]));
    const added = await nextConfig(seen);
    assert.deepEqual(added.trunks.map((t) => t.name), ["lab-carrier"]);
    assert.equal(added.trunks[0]!.outbound.credentials?.password, "s3cret-lab");
    assert.deepEqual(added.numberRoutes.map((r) => [r.prefix, r.trunks.map((t) => t.trunk)]), [["+49", ["lab-carrier"]]]);

    server.apply(trunk("lab-carrier", { ...LAB_TRUNK, gateways: [{ host: "127.0.0.1", port: 5092, transport: "udp" }] }));
    const changed = await nextConfig(seen + 1);
    assert.equal(changed.trunks[0]!.gateways[0]!.port, 5092);

    // The route names the trunk: both go in one change, or the set is invalid in between.
    server.remove(API_VERSION, "NumberRoute", NAMESPACE, "germany");
    server.remove(API_VERSION, "SipTrunk", NAMESPACE, "lab-carrier");
    const removed = await server.waitFor(() => configs.slice(seen + 2).find((c) => c.trunks.length === 0 && c.numberRoutes.length === 0));
    assert.equal(removed.trunks.length, 0);
  });

  it("refuses a trunk with a bad port: Invalid condition naming spec key, an Event, and the old config stays", async () => {
    const before = source.current();
    const seen = configs.length;
    server.apply(trunk("bad-port", { ...LAB_TRUNK, numbers: [], gateways: [{ host: "127.0.0.1", port: 70000 }], outbound: undefined }));
    const condition = await server.waitFor(() => {
      const c = acceptedCondition(server.get(API_VERSION, "SipTrunk", NAMESPACE, "bad-port"));
      return c?.status === "False" ? c : undefined;
    });
    assert.equal(condition.reason, "Invalid");
    assert.match(condition.message, /^spec\.gateways\[0\]\.port: must be <= 65535/);
    const event = await server.waitFor(() => server.events(NAMESPACE).find((e) => (e["involvedObject"] as { name: string }).name === "bad-port"));
    assert.equal(event["type"], "Warning");
    assert.equal(event["reason"], "InvalidConfiguration");
    assert.match(String(event["message"]), /spec\.gateways\[0\]\.port/);
    assert.equal(source.current(), before, "the configuration in force did not change");
    assert.equal(configs.length, seen, "no listener heard a half-applied configuration");
    assert.ok(lines.some((l) => l.level === "error" && l.msg.includes("previous one stays in force")));

    // A valid change elsewhere is held up (not applied half-way) and says so.
    server.apply(ha1Secret("bob", HA1["bob"]!));
    server.apply(user("bob", "sipfleet.local"));
    const pending = await server.waitFor(() => {
      const c = acceptedCondition(server.get(API_VERSION, "SipUser", NAMESPACE, "bob"));
      return c?.reason === "Pending" ? c : undefined;
    });
    assert.match(pending.message, /SipTrunk\/bad-port/);
    assert.equal(source.current(), before);

    // Fixed: everything goes in at once.
    server.apply(trunk("bad-port", { ...LAB_TRUNK, numbers: [], gateways: [{ host: "127.0.0.1", port: 7000 }], outbound: undefined }));
    const fixed = await nextConfig(seen);
    assert.deepEqual(fixed.trunks.map((t) => t.name), ["bad-port"]);
    assert.ok(fixed.domains.get("sipfleet.local")!.users.has("bob"));
    const accepted = await server.waitFor(() => {
      const c = acceptedCondition(server.get(API_VERSION, "SipTrunk", NAMESPACE, "bad-port"));
      return c?.status === "True" ? c : undefined;
    });
    assert.equal(accepted.reason, "Accepted");
    server.remove(API_VERSION, "SipTrunk", NAMESPACE, "bad-port");
    server.remove(API_VERSION, "SipUser", NAMESPACE, "bob");
    await server.waitFor(() => configs.slice(seen + 1).find((c) => c.trunks.length === 0 && !c.domains.get("sipfleet.local")!.users.has("bob")));
  });

  it("refuses a user of a domain nobody serves, and one whose HA1 Secret holds no valid HA1", async () => {
    const before = source.current();
    server.apply(user("mallory", "nowhere.example"));
    const noDomain = await server.waitFor(() => {
      const c = acceptedCondition(server.get(API_VERSION, "SipUser", NAMESPACE, "mallory"));
      return c?.status === "False" ? c : undefined;
    });
    assert.match(noDomain.message, /^spec\.domain: no SipDomain serves "nowhere\.example"/);
    assert.equal(source.current(), before);

    server.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "mallory-ha1", namespace: NAMESPACE }, data: { md5: Buffer.from("not-hex").toString("base64") } });
    server.apply(user("mallory", "sipfleet.local"));
    const badHa1 = await server.waitFor(() => {
      const c = acceptedCondition(server.get(API_VERSION, "SipUser", NAMESPACE, "mallory"));
      return c?.status === "False" && c.message.includes("ha1SecretRef") ? c : undefined;
    });
    assert.match(badHa1.message, /spec\.ha1SecretRef \(Secret mallory-ha1\)\.md5: expected 32 lower-case hex digits/);
    assert.doesNotMatch(badHa1.message, /not-hex/, "the Secret's value is never shown");
    assert.equal(source.current(), before);
    server.remove(API_VERSION, "SipUser", NAMESPACE, "mallory");
  });

  it("refuses a route to a trunk that does not exist, naming the route's key", async () => {
    const before = source.current();
    server.apply(numberRoute("orphan", "+44", ["no-such-trunk"]));
    const condition = await server.waitFor(() => {
      const c = acceptedCondition(server.get(API_VERSION, "NumberRoute", NAMESPACE, "orphan"));
      return c?.status === "False" ? c : undefined;
    });
    assert.match(condition.message, /^spec\.trunks\[0\]\.trunk: route \+44 names trunk "no-such-trunk", which does not exist/);
    assert.equal(source.current(), before);
    server.remove(API_VERSION, "NumberRoute", NAMESPACE, "orphan");
  });
});

describe("KubernetesConfigSource.start", () => {
  it("rejects with a ConfigError naming the resource and key when the resources are invalid from the start", async () => {
    const server = await startKubeApiServer();
    try {
      server.apply(domain("sipfleet.local", { blockedPrefixes: ["49"] }));
      await assert.rejects(
        KubernetesConfigSource.start({
          kubeConfig: kubeConfigFor(server),
          namespace: NAMESPACE,
          base: { document: BASE_DOCUMENT, source: "base.yaml", baseDir: process.cwd() },
          env: {},
          component: "sipfleet-test",
          logger: recordingLogger([]),
        }),
        (error: Error) => error.name === "ConfigError" && /SipDomain\/sipfleet\.local: spec\.blockedPrefixes\[0\]/.test(error.message),
      );
      const condition = acceptedCondition(server.get(API_VERSION, "SipDomain", NAMESPACE, "sipfleet.local"));
      assert.equal(condition?.reason, "Invalid");
    } finally {
      await server.stop();
    }
  });
});

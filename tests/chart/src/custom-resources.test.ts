// Configuration as custom resources (sipConfig.source kubernetes): what the chart grants and
// mounts, the CRDs themselves, and the example manifests of docs/operations.md, checked against
// the CRDs and against the Sipfleet validator as the watcher (packages/config-k8s) runs it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { formatUserEntry, validateConfigDocument } from "@sipfleet/config";
import { buildConfigDocument } from "@sipfleet/config-k8s";
import { parseDocument } from "yaml";
import { chartCrds, customResourceValidator, structuralErrors } from "./crd.js";
import { CHART_DIR, REPO_ROOT, helm } from "./helm.js";
import { type K8sObject, parseManifests, schemaErrors, wiringErrors } from "./validate.js";

const KUBERNETES = ["--set", "sipConfig.source=kubernetes", "--set", "networkPolicy.apiServer.cidrs={10.0.0.12/32,fd00::1/128}"];
const WATCHERS = ["edge", "proxy", "registrar"];
const NONCE_SECRET = "a-test-nonce-secret-of-at-least-32-characters";
type ResourceSnapshot = Parameters<typeof buildConfigDocument>[1];

function render(args: readonly string[]): K8sObject[] {
  const r = helm(["template", "sipfleet", CHART_DIR, "--namespace", "voice", ...args]);
  assert.equal(r.status, 0, `helm template ${args.join(" ")} failed:\n${r.stderr}`);
  return parseManifests(r.stdout);
}

const find = (objects: readonly K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o;
};
const podSpec = (objects: readonly K8sObject[], tier: string) => find(objects, "Deployment", `sipfleet-${tier}`).spec.template.spec;
const envOf = (objects: readonly K8sObject[], tier: string, name: string) => podSpec(objects, tier).containers[0].env.find((e: { name: string }) => e.name === name);
const apiServerRule = (policy: K8sObject) => policy.spec.egress.find((r: any) => r.ports?.some((p: any) => p.port === 6443));

describe("sipConfig.source: kubernetes", () => {
  it("grants the service account the watcher's access, mounts its token in edge, proxy and registrar only, and opens egress to the API server", async () => {
    const objects = render(KUBERNETES);
    const errors = [...(await Promise.all(objects.map(schemaErrors))).flat(), ...wiringErrors(objects)];
    assert.deepEqual(errors, []);

    const role = find(objects, "Role", "sipfleet-config-watcher");
    const plurals = chartCrds().map((c) => c.spec.names.plural as string).sort();
    assert.deepEqual(plurals, ["numberroutes", "sipdomains", "siptrunks", "sipusers"]);
    const rules = (role["rules"] as { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[]).map((r) => ({
      ...r,
      resources: [...r.resources].sort(),
    }));
    assert.deepEqual(rules, [
      { apiGroups: ["sipfleet.io"], resources: plurals, verbs: ["get", "list", "watch"] },
      { apiGroups: ["sipfleet.io"], resources: plurals.map((p) => `${p}/status`), verbs: ["patch", "update"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
      { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create"] },
    ]);
    const binding = find(objects, "RoleBinding", "sipfleet-config-watcher");
    assert.deepEqual(binding["roleRef"], { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "sipfleet-config-watcher" });
    const account = find(objects, "ServiceAccount", "sipfleet");
    assert.deepEqual(binding["subjects"], [{ kind: "ServiceAccount", name: account.metadata.name, namespace: "voice" }]);
    assert.equal(account["automountServiceAccountToken"], false, "the account's default stays off: pods opt in");

    for (const tier of WATCHERS) {
      assert.equal(podSpec(objects, tier).automountServiceAccountToken, true, `${tier} mounts the token`);
      assert.equal(podSpec(objects, tier).serviceAccountName, account.metadata.name);
      assert.equal(envOf(objects, tier, "SIPFLEET_CONFIG_SOURCE").value, "kubernetes");
      assert.deepEqual(envOf(objects, tier, "POD_NAMESPACE").valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } });
      assert.deepEqual(apiServerRule(find(objects, "NetworkPolicy", `sipfleet-${tier}`)), {
        to: [{ ipBlock: { cidr: "10.0.0.12/32" } }, { ipBlock: { cidr: "fd00::1/128" } }],
        ports: [
          { port: 443, protocol: "TCP" },
          { port: 6443, protocol: "TCP" },
        ],
      });
    }
    assert.equal(podSpec(objects, "location").automountServiceAccountToken, false);
    assert.equal(envOf(objects, "location", "SIPFLEET_CONFIG_SOURCE"), undefined, "location reads no Sipfleet configuration");
    assert.equal(apiServerRule(find(objects, "NetworkPolicy", "sipfleet-location")), undefined);
    assert.equal(find(objects, "Pod", "sipfleet-test-sip-options").spec.automountServiceAccountToken, false);
  });

  it("by default (file): no Role, no token in any pod, no API server egress, SIPFLEET_CONFIG_SOURCE=file", () => {
    const objects = render([]);
    assert.ok(!objects.some((o) => o.kind === "Role" || o.kind === "RoleBinding"));
    for (const tier of [...WATCHERS, "location"]) assert.equal(podSpec(objects, tier).automountServiceAccountToken, false, tier);
    for (const tier of WATCHERS) {
      assert.equal(envOf(objects, tier, "SIPFLEET_CONFIG_SOURCE").value, "file");
      assert.equal(apiServerRule(find(objects, "NetworkPolicy", `sipfleet-${tier}`)), undefined);
    }
  });

  it("rbac.create false leaves the Role to the operator; an existing service account is bound by name", () => {
    const own = render([...KUBERNETES, "--set", "rbac.create=false"]);
    assert.ok(!own.some((o) => o.kind === "Role" || o.kind === "RoleBinding"));
    assert.equal(podSpec(own, "proxy").automountServiceAccountToken, true, "the pods still need the token");
    const existing = render([...KUBERNETES, "--set", "serviceAccount.create=false", "--set", "serviceAccount.name=voice-sa"]);
    assert.deepEqual(find(existing, "RoleBinding", "sipfleet-config-watcher")["subjects"], [{ kind: "ServiceAccount", name: "voice-sa", namespace: "voice" }]);
  });

  it("refuses kubernetes without the API server's address while NetworkPolicies are on, and a source it does not know", () => {
    const missing = helm(["template", "sipfleet", CHART_DIR, "--set", "sipConfig.source=kubernetes"]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /networkPolicy\.apiServer\.cidrs/);
    const noPolicies = render(["--set", "sipConfig.source=kubernetes", "--set", "networkPolicy.enabled=false"]);
    assert.equal(podSpec(noPolicies, "edge").automountServiceAccountToken, true);
    for (const args of [["--set", "sipConfig.source=etcd"], [...KUBERNETES, "--set", "networkPolicy.apiServer.cidrs={10.0.0.12}"]]) {
      const r = helm(["template", "sipfleet", CHART_DIR, ...args]);
      assert.notEqual(r.status, 0, `${args.join(" ")} was accepted`);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
    }
  });
});

describe("charts/sipfleet/crds", () => {
  it("each CRD passes the apiextensions.k8s.io/v1 schema, is structural, and has the status subresource", async () => {
    const crds = chartCrds();
    assert.deepEqual(crds.map((c) => c.spec.names.kind).sort(), ["NumberRoute", "SipDomain", "SipTrunk", "SipUser"]);
    for (const crd of crds) {
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.deepEqual(await schemaErrors(crd), []);
      assert.equal(crd.metadata.name, `${crd.spec.names.plural}.${crd.spec.group}`, "the API server requires <plural>.<group>");
      assert.equal(crd.spec.group, "sipfleet.io");
      assert.equal(crd.spec.scope, "Namespaced", "the watcher reads the release's namespace");
      assert.equal(crd.spec.versions.filter((v: any) => v.storage === true).length, 1, "one storage version");
      for (const version of crd.spec.versions) {
        const where = `${crd.metadata.name} ${version.name}`;
        assert.deepEqual(version.subresources?.status, {}, `${where}: status subresource (the watcher patches /status)`);
        assert.deepEqual(structuralErrors(version.schema?.openAPIV3Schema), [], where);
        assert.equal(version.schema.openAPIV3Schema.properties.status?.type, "object", `${where}: a status schema`);
      }
    }
  });

  it("the checks fail a wrong CRD: a node without type, an items list, a restricted metadata, a schema type error", async () => {
    assert.deepEqual(structuralErrors({ type: "object", properties: { spec: { properties: { a: { type: "string" } } } } }), ["openAPIV3Schema.properties.spec: no type"]);
    assert.deepEqual(structuralErrors({ type: "object", properties: { a: { type: "array", items: [{ type: "string" }] } } }), ["openAPIV3Schema.properties.a: items must be one schema"]);
    assert.deepEqual(structuralErrors({ type: "object", properties: { metadata: { type: "object", properties: { name: { type: "string" } } } } }), [
      "openAPIV3Schema.properties.metadata: may only give its type",
    ]);
    assert.deepEqual(structuralErrors({ type: "object", properties: { owner: { "x-kubernetes-preserve-unknown-fields": true } } }), []);
    const crd = structuredClone(chartCrds()[0]!);
    crd.spec.versions[0].served = "yes";
    assert.match((await schemaErrors(crd)).join("\n"), /served must be boolean/);
  });
});

/** The YAML code blocks of docs/operations.md's "Configuration as custom resources" section. */
function docExamples(): { section: string; objects: K8sObject[] } {
  const doc = readFileSync(join(REPO_ROOT, "docs/operations.md"), "utf8");
  const start = doc.indexOf("\n## Configuration as custom resources\n");
  assert.ok(start >= 0, "the section exists");
  const end = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return { section, objects: blocks.flatMap((b) => parseManifests(b)) };
}

function snapshotOf(objects: readonly K8sObject[]): ResourceSnapshot {
  const of = (kind: string) => objects.filter((o) => o.apiVersion === "sipfleet.io/v1alpha1" && o.kind === kind) as any[];
  const secrets = new Map(
    objects
      .filter((o) => o.kind === "Secret")
      // The API serves stringData as base64 data, as the watcher reads it.
      .map((s) => [s.metadata.name, { metadata: s.metadata, data: Object.fromEntries(Object.entries((s["stringData"] ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) }]),
  );
  return { SipDomain: of("SipDomain"), SipUser: of("SipUser"), SipTrunk: of("SipTrunk"), NumberRoute: of("NumberRoute"), secrets };
}

/** The configuration the watcher would build and validate from the resources and the chart's rendered base file. */
function validateAsWatcher(objects: readonly K8sObject[]) {
  const rendered = render(KUBERNETES);
  const base = parseDocument((find(rendered, "ConfigMap", "sipfleet-config")["data"] as Record<string, string>)["sipfleet.yaml"]!).toJS();
  const built = buildConfigDocument(base, snapshotOf(objects));
  assert.deepEqual(built.referenceProblems, []);
  const listen = envOf(rendered, "edge", "SIPFLEET_LISTEN").value as string;
  return validateConfigDocument(built.document, "docs/operations.md", { SIPFLEET_LISTEN: listen, SIPFLEET_NONCE_SECRET: NONCE_SECRET, ...built.secretEnv });
}

describe("docs/operations.md example manifests", () => {
  it("match the CRDs' schemas, no unknown key, and the Secrets pass the core/v1 schema", async () => {
    const { objects } = docExamples();
    assert.deepEqual(objects.map((o) => o.kind).sort(), ["NumberRoute", "Secret", "Secret", "SipDomain", "SipTrunk", "SipUser"]);
    const check = customResourceValidator(chartCrds());
    for (const o of objects) assert.deepEqual(o.apiVersion === "v1" ? await schemaErrors(o) : check(o), [], `${o.kind}/${o.metadata.name}`);
  });

  it("make a configuration the Sipfleet validator accepts, built as the watcher builds it over the chart's base file", () => {
    const { objects } = docExamples();
    const config = validateAsWatcher(objects);
    assert.deepEqual([...config.domains.keys()], ["sipfleet.example"], "the domain helm test registers to, and only it (the base file's are replaced)");
    assert.equal(config.trunks.length, 1);
    assert.equal(config.numberRoutes.length, 1);
  });

  it("the user's HA1s are those sipfleet-ha1 prints for the password the page names", () => {
    const { section, objects } = docExamples();
    const entry = parseDocument(formatUserEntry("alice", "sipfleet.example", "alice-secret")).toJS() as { ha1: { md5: string; sha256: string } }[];
    const secret = find(objects, "Secret", "alice-ha1")["stringData"] as Record<string, string>;
    assert.deepEqual(secret, entry[0]!.ha1);
    for (const hex of Object.values(secret)) assert.equal(section.split(hex).length - 1, 3, `${hex}: in the CLI output, the kubectl command and the manifest`);
  });

  it("the checks catch a wrong example: a misspelt key, a value out of range, a wrong HA1", () => {
    const { objects } = docExamples();
    const check = customResourceValidator(chartCrds());
    const trunk = structuredClone(find(objects, "SipTrunk", "lab-carrier"));
    trunk.spec.gateways[0].prot = 5060;
    assert.match(check(trunk).join("\n"), /SipTrunk\/lab-carrier: \/spec\/gateways\/0 .*\(prot\)/);
    trunk.spec.gateways[0] = { host: "192.0.2.10", port: 70000 };
    assert.match(check(trunk).join("\n"), /\/spec\/gateways\/0\/port must be <= 65535/);
    const wrongHa1 = objects.map((o) => (o.kind === "Secret" && o.metadata.name === "alice-ha1" ? { ...o, stringData: { md5: "0".repeat(31) } } : o));
    assert.throws(() => validateAsWatcher(wrongHa1), /md5: expected 32 lower-case hex digits/);
  });
});

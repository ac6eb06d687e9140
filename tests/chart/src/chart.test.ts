import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isMap, isScalar, parseDocument, type YAMLMap } from "yaml";
import { CHART_DIR, helm } from "./helm.js";
import { parseManifests, schemaErrors, wiringErrors, type K8sObject } from "./validate.js";

const PRODUCTION = join(CHART_DIR, "values-production.yaml");

function render(args: readonly string[] = []): K8sObject[] {
  const r = helm(["template", "sipfleet", CHART_DIR, "--namespace", "voice", ...args]);
  assert.equal(r.status, 0, `helm template ${args.join(" ")} failed:\n${r.stderr}`);
  return parseManifests(r.stdout);
}

async function assertValid(objects: readonly K8sObject[]): Promise<void> {
  const errors = [...(await Promise.all(objects.map(schemaErrors))).flat(), ...wiringErrors(objects)];
  assert.deepEqual(errors, []);
}

const find = (objects: readonly K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o;
};
const container = (d: K8sObject) => d.spec.template.spec.containers[0];
const env = (d: K8sObject, name: string) => container(d).env.find((e: { name: string }) => e.name === name);

describe("charts/sipfleet", () => {
  it("passes helm lint --strict with the default and the production values", () => {
    for (const extra of [[], ["-f", PRODUCTION]]) {
      const r = helm(["lint", "--strict", CHART_DIR, ...extra]);
      assert.equal(r.status, 0, `helm lint ${extra.join(" ")}:\n${r.stdout}${r.stderr}`);
    }
  });

  it("renders the default values into objects the Kubernetes schemas accept, wired together", async () => {
    const objects = render();
    await assertValid(objects);
    const kinds = objects.map((o) => o.kind).sort();
    for (const k of ["ConfigMap", "Deployment", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]) assert.ok(kinds.includes(k), k);
    for (const tier of ["edge", "proxy", "registrar", "location"]) {
      const d = find(objects, "Deployment", `sipfleet-${tier}`);
      assert.equal(env(d, "HEALTH_LISTEN").value, "0.0.0.0:9090");
      assert.equal(d.spec.template.metadata.labels["app.kubernetes.io/name"], `sipfleet-${tier}`, "the job label the dashboards group by");
    }
    const edge = find(objects, "Deployment", "sipfleet-edge");
    assert.deepEqual(env(edge, "SIPFLEET_EDGE_ID").valueFrom, { fieldRef: { fieldPath: "metadata.name" } });
    assert.equal(env(edge, "SIPFLEET_LISTEN").value, "udp:0.0.0.0:5060,tcp:0.0.0.0:5060");
    assert.ok(edge.spec.template.spec.terminationGracePeriodSeconds > 32, "longer than Timer B");
    const proxy = find(objects, "Deployment", "sipfleet-proxy");
    assert.equal(env(proxy, "LOCATION_ADDRESSES").value, "dns:///sipfleet-location.voice.svc.cluster.local:50051");
    assert.equal(env(proxy, "SIPFLEET_NONCE_SECRET").valueFrom.secretKeyRef.name, "sipfleet-nonce");
    assert.equal(find(objects, "Service", "sipfleet-location").spec.clusterIP, "None", "headless: DNS names every replica");
    const sip = find(objects, "Service", "sipfleet-edge");
    assert.equal(sip.spec.type, "LoadBalancer");
    assert.equal(sip.spec.externalTrafficPolicy, "Local");
    const testPod = find(objects, "Pod", "sipfleet-test-sip-options");
    assert.equal(testPod.metadata.annotations?.["helm.sh/hook"], "test");
    assert.deepEqual(testPod.spec.containers[0].args.slice(0, 3), ["sipfleet-edge.voice.svc.cluster.local", "5060", "sipfleet.example"]);
    const data = find(objects, "ConfigMap", "sipfleet-config")["data"] as Record<string, string>;
    const config = parseDocument(data["sipfleet.yaml"]!).toJS() as { domains: { name: string }[] };
    assert.equal(config.domains[0]?.name, "sipfleet.example");
  });

  it("renders the production values: 3+ replicas, TLS, Redis Cluster, NATS cluster, autoscaling on a SIP metric, ServiceMonitor", async () => {
    const objects = render(["-f", PRODUCTION]);
    await assertValid(objects);
    for (const tier of ["edge", "proxy", "registrar", "location"]) {
      const hpa = find(objects, "HorizontalPodAutoscaler", `sipfleet-${tier}`);
      assert.ok(hpa.spec.minReplicas >= 3, `${tier} keeps 3 replicas`);
    }
    const edge = find(objects, "Deployment", "sipfleet-edge");
    assert.match(env(edge, "SIPFLEET_LISTEN").value, /tls:0\.0\.0\.0:5061/);
    assert.equal(env(edge, "SIPFLEET_TLS_CERT_FILE").value, "/etc/sipfleet/tls/tls.crt");
    assert.equal(env(edge, "NATS_URL").value.split(",").length, 3);
    const location = find(objects, "Deployment", "sipfleet-location");
    assert.equal(env(location, "REDIS_CLUSTER").value, "1");
    assert.equal(env(location, "REDIS_URL").valueFrom.secretKeyRef.name, "sipfleet-redis");
    const edgeHpa = find(objects, "HorizontalPodAutoscaler", "sipfleet-edge");
    assert.deepEqual(edgeHpa.spec.metrics[1].pods.metric, { name: "sipfleet_edge_decisions_pending" });
    assert.equal(find(objects, "ServiceMonitor", "sipfleet").spec.jobLabel, "app.kubernetes.io/name");
    assert.ok(!objects.some((o) => o.kind === "Secret"), "the production secrets exist beforehand");
  });

  it("renders hostNetwork exposure: the node's ports and address, no LoadBalancer", async () => {
    const objects = render(["--set", "edge.exposure=hostNetwork", "--set", "edge.service.perProtocol=true"]);
    await assertValid(objects);
    const edge = find(objects, "Deployment", "sipfleet-edge");
    assert.equal(edge.spec.template.spec.hostNetwork, true);
    assert.deepEqual(env(edge, "SIPFLEET_PUBLIC_ADDRESS").valueFrom, { fieldRef: { fieldPath: "status.hostIP" } });
    assert.ok(edge.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, "one edge per node");
    assert.equal(find(objects, "Service", "sipfleet-edge-udp").spec.type, "ClusterIP");
    assert.equal(find(objects, "Service", "sipfleet-edge-tcp").spec.ports[0].protocol, "TCP");
  });

  it("renders every transport with mutual TLS, tracing, per-protocol load balancers and a Redis URL from a Secret", async () => {
    const objects = render([
      ...["tls", "ws", "wss"].flatMap((t) => ["--set", `edge.transports.${t}.enabled=true`]),
      ...["--set", "edge.tls.existingSecret=edge-tls", "--set", "edge.tls.caExistingSecret=trunk-ca", "--set", "edge.service.perProtocol=true"],
      ...["--set", "otel.endpoint=http://otel-collector.observability.svc:4318", "--set", "redis.existingSecret=redis-url", "--set", "metrics.serviceMonitor.enabled=true"],
    ]);
    await assertValid(objects);
    const edge = find(objects, "Deployment", "sipfleet-edge");
    assert.equal(env(edge, "SIPFLEET_LISTEN").value, "udp:0.0.0.0:5060,tcp:0.0.0.0:5060,tls:0.0.0.0:5061,ws:0.0.0.0:8080,wss:0.0.0.0:8443");
    assert.equal(env(edge, "SIPFLEET_TLS_CA_FILE").value, "/etc/sipfleet/tls-ca/ca.crt");
    assert.equal(env(edge, "OTEL_EXPORTER_OTLP_ENDPOINT").value, "http://otel-collector.observability.svc:4318");
    assert.deepEqual(env(edge, "REDIS_URL").valueFrom, { secretKeyRef: { name: "redis-url", key: "redis-url" } });
    assert.deepEqual(find(objects, "Service", "sipfleet-edge-tcp").spec.ports.map((p: { port: number }) => p.port), [5060, 5061, 8080, 8443]);
    const policy = find(objects, "NetworkPolicy", "sipfleet-edge");
    assert.equal(policy.spec.ingress[1].ports.length, 5, "every SIP port open to the world");
  });

  it("refuses broken values: schema violations and TLS without a certificate", () => {
    const cases: [string[], RegExp][] = [
      [["--set", "edge.replicaCount=-1"], /replicaCount/],
      [["--set", "edge.replicaz=3"], /replicaz/],
      [["--set", "edge.exposure=nodePort"], /exposure/],
      [["--set", "nats.url=http://nats:4222"], /nats/],
      [["--set", "sipConfig.inline.edgee.listen=x"], /edgee/],
      [["--set", "edge.transports.tls.enabled=true"], /edge\.tls\.existingSecret/],
    ];
    for (const [args, message] of cases) {
      const r = helm(["template", "sipfleet", CHART_DIR, ...args]);
      assert.notEqual(r.status, 0, `${args.join(" ")} was accepted`);
      assert.match(r.stderr, message);
    }
  });

  it("the validation itself fails a wrong object: a schema type error, a Service naming no port", async () => {
    const objects = render();
    const edge = structuredClone(find(objects, "Deployment", "sipfleet-edge"));
    edge.spec.replicas = "2";
    assert.match((await schemaErrors(edge)).join("\n"), /replicas must be integer/);
    assert.match((await schemaErrors({ ...edge, apiVersion: "apps/v1beta9" })).join("\n"), /no schema/);
    const service = structuredClone(find(objects, "Service", "sipfleet-edge"));
    service.spec.ports[0].targetPort = "sip-sctp";
    assert.match(wiringErrors([...objects.filter((o) => o !== find(objects, "Service", "sipfleet-edge")), service]).join("\n"), /targetPort sip-sctp/);
    assert.throws(() => parseManifests("a: 1\na: 2\n"), /unique/);
  });

  it("documents every value of values.yaml with a comment, and the schema knows each", () => {
    const doc = parseDocument(readFileSync(join(CHART_DIR, "values.yaml"), "utf8"));
    const schema = JSON.parse(readFileSync(join(CHART_DIR, "values.schema.json"), "utf8"));
    const undocumented: string[] = [];
    const unknown: string[] = [];
    // Free-form values (the Sipfleet configuration, Kubernetes objects) are documented as a whole.
    const opaque = new Set(["sipConfig.inline", "networkPolicy.natsPeers", "networkPolicy.redisPeers", "networkPolicy.prometheusPeers", "networkPolicy.dnsPeers"]);
    const walk = (map: YAMLMap, schemaNode: any, path: string, parentDocumented: boolean) => {
      map.items.forEach((pair, i) => {
        const key = isScalar(pair.key) ? String(pair.key.value) : "?";
        const here = path === "" ? key : `${path}.${key}`;
        const commented = Boolean((pair.key as { commentBefore?: string }).commentBefore) || (i === 0 && Boolean(map.commentBefore)) || (i === 0 && parentDocumented);
        const child = schemaNode?.properties?.[key];
        if (child === undefined) unknown.push(here);
        if (isMap(pair.value) && !opaque.has(here) && !/\.resources$/.test(here)) walk(pair.value, child, here, commented);
        else if (!commented) undocumented.push(here);
      });
    };
    assert.ok(isMap(doc.contents));
    walk(doc.contents, schema, "", false);
    assert.deepEqual(unknown, [], "keys the schema lacks");
    assert.deepEqual(undocumented, [], "keys without a comment");
  });
});

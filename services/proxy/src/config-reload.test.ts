import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBindingStore } from "@sipfleet/bindings";
import { type Bus, NatsBus } from "@sipfleet/bus";
import type { SipfleetConfig } from "@sipfleet/config";
import { API_VERSION, KubernetesConfigSource, unauthenticatedKubeConfig } from "@sipfleet/config-k8s";
import { flowToWire } from "@sipfleet/location-client/wire";
import { Decision, Envelope, PROXY_SUBJECT } from "@sipfleet/proto";
import { type EngineProcess, type KubeApiServer, type KubeObject, hasBinary, recordingLogger, startKubeApiServer, startNatsServer } from "@sipfleet/testing";
import { ALICE_FLOW, bind, BOB_FLOW, forwarded, onlyTarget, proxyAuthorization, type RequestSpec, request, responded } from "./proxy-fixtures.js";
import { startProxy } from "./start-proxy.js";

/*
 * Hot reload: a proxy worker on a real NATS server takes its domains, users, trunks and number
 * routes from custom resources served by a Kubernetes API test server, and routes by each change
 * as it is made, without a restart.
 */

const NAMESPACE = "sipfleet";
const b64 = (s: string): string => Buffer.from(s).toString("base64");
/** HA1s of the lab passwords (alice-secret, bob-secret) in realm sipfleet.local. */
const HA1 = {
  alice: { md5: "6cbb80ffc4da5bf0e69440b3028ccd1d", sha256: "5da6592d401400628edfc77c24b9408cdbcca9b653b8e9381c96327769872865" },
  bob: { md5: "1692dd613d4594236975bf185f4b5978", sha256: "8ea037b641b998031ad22abc964c0261cd41c58f00a24612098269543cbd8d4b" },
};

function user(name: keyof typeof HA1): KubeObject[] {
  return [
    { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-ha1`, namespace: NAMESPACE }, data: { md5: b64(HA1[name].md5), sha256: b64(HA1[name].sha256) } },
    { apiVersion: API_VERSION, kind: "SipUser", metadata: { name, namespace: NAMESPACE }, spec: { domain: "sipfleet.local", ha1SecretRef: { name: `${name}-ha1` } } },
  ];
}

const TRUNK: KubeObject = {
  apiVersion: API_VERSION,
  kind: "SipTrunk",
  metadata: { name: "lab-carrier", namespace: NAMESPACE },
  spec: { gateways: [{ host: "127.0.0.1", port: 5090, transport: "udp" }], inbound: { allow: ["198.51.100.0/24"] } },
};
const ROUTE: KubeObject = {
  apiVersion: API_VERSION,
  kind: "NumberRoute",
  metadata: { name: "germany", namespace: NAMESPACE },
  spec: { prefix: "+49", trunks: [{ trunk: "lab-carrier" }] },
};

describe("proxy worker with its configuration from custom resources", { skip: hasBinary("nats-server") ? false : "nats-server binary not installed" }, () => {
  let nats: EngineProcess;
  let kube: KubeApiServer;
  let edge: Bus;
  let worker: Bus;
  let source: KubernetesConfigSource;
  let stop: () => Promise<void>;
  const store = new MemoryBindingStore();
  const configs: SipfleetConfig[] = [];
  let calls = 0;

  before(async () => {
    nats = await startNatsServer();
    kube = await startKubeApiServer();
    kube.apply({ apiVersion: API_VERSION, kind: "SipDomain", metadata: { name: "sipfleet.local", namespace: NAMESPACE }, spec: { allowedPrefixes: ["+49"] } });
    for (const o of user("alice")) kube.apply(o);
    source = await KubernetesConfigSource.start({
      kubeConfig: unauthenticatedKubeConfig(kube.url),
      namespace: NAMESPACE,
      base: { document: { auth: { nonceSecret: "config-reload-test-secret-0123456789ab" } }, source: "base.yaml", baseDir: process.cwd() },
      env: {},
      component: "sipfleet-proxy",
      logger: recordingLogger([]),
      settleMs: 10,
    });
    source.onConfig((c) => configs.push(c));
    const quiet = { warn() {}, error() {}, info() {} };
    edge = await NatsBus.connect({ servers: nats.url, name: "edge-test", logger: quiet });
    worker = await NatsBus.connect({ servers: nats.url, name: "proxy-test", logger: quiet });
    stop = startProxy({ bus: worker, store, config: source.current(), logger: quiet, onConfig: (l) => source.onConfig(l) }).stop;
    await worker.flush?.();
  });

  after(async () => {
    await stop?.();
    await source?.stop();
    await edge?.close();
    await worker?.close();
    await kube?.stop();
    await nats?.stop();
  });

  /** Alice's request over the bus, answering the proxy's challenge: the decision for the second try. */
  async function aliceSends(spec: RequestSpec): Promise<Decision> {
    const callId = `reload-${++calls}@192.0.2.10`;
    const ask = async (s: RequestSpec) =>
      Decision.decode(
        await edge.request(PROXY_SUBJECT, Envelope.encode({ message: Buffer.from(request(s).bytes), flow: flowToWire(ALICE_FLOW), receivedAtMs: Date.now(), tlsPeerNames: [] }).finish(), {
          timeoutMs: 5000,
        }),
      );
    const challenge = responded(await ask({ ...spec, callId }));
    assert.equal(challenge.status, 407);
    const credentials = proxyAuthorization(challenge, { uri: spec.ruri ?? "sip:bob@sipfleet.local" });
    return ask({ ...spec, callId, cseq: 2, headers: [`Proxy-Authorization: ${credentials}`] });
  }

  const nextConfig = (seen: number): Promise<SipfleetConfig> => kube.waitFor(() => configs[seen]);

  it("answers 404 for bob before the SipUser exists, and rings bob once it is added", async () => {
    const before = responded(await aliceSends({ ruri: "sip:bob@sipfleet.local" }));
    assert.equal(before.status, 404);

    const seen = configs.length;
    for (const o of user("bob")) kube.apply(o);
    await nextConfig(seen);
    await bind(store, "sip:bob@sipfleet.local", "<sip:bob@192.0.2.20:51000;transport=tcp>", BOB_FLOW);
    const t = onlyTarget(forwarded(await aliceSends({ ruri: "sip:bob@sipfleet.local" })));
    assert.deepEqual(t.flow, flowToWire(BOB_FLOW));
  });

  it("routes a number out over a trunk once the SipTrunk and NumberRoute exist, and stops when they are deleted", async () => {
    const dial = { ruri: "sip:+4930999000@sipfleet.local", to: "sip:+4930999000@sipfleet.local" };
    assert.equal(responded(await aliceSends(dial)).status, 404, "no route yet");

    let seen = configs.length;
    kube.apply(TRUNK);
    kube.apply(ROUTE);
    await kube.waitFor(() => configs.slice(seen).find((c) => c.numberRoutes.length === 1));
    const out = forwarded(await aliceSends(dial));
    assert.deepEqual(out.groups.map((g) => g.targets[0]!.requestUri), ["sip:+4930999000@127.0.0.1:5090;transport=udp"]);

    seen = configs.length;
    kube.remove(API_VERSION, "NumberRoute", NAMESPACE, "germany");
    kube.remove(API_VERSION, "SipTrunk", NAMESPACE, "lab-carrier");
    await kube.waitFor(() => configs.slice(seen).find((c) => c.trunks.length === 0 && c.numberRoutes.length === 0));
    assert.equal(responded(await aliceSends(dial)).status, 404, "the route went with the trunk");
  });

  it("keeps routing by the old configuration while a change is invalid", async () => {
    const seen = configs.length;
    // bob's domain made invalid: the whole change is refused, bob still rings.
    kube.apply({ apiVersion: API_VERSION, kind: "SipDomain", metadata: { name: "sipfleet.local", namespace: NAMESPACE }, spec: { allowedPrefixes: ["+49"], blockedPrefixes: ["49"] } });
    await kube.waitFor(() => {
      const status = kube.get(API_VERSION, "SipDomain", NAMESPACE, "sipfleet.local")?.["status"] as { conditions?: { reason: string }[] } | undefined;
      return status?.conditions?.[0]?.reason === "Invalid";
    });
    assert.equal(configs.length, seen);
    const t = onlyTarget(forwarded(await aliceSends({ ruri: "sip:bob@sipfleet.local" })));
    assert.deepEqual(t.flow, flowToWire(BOB_FLOW));
  });
});

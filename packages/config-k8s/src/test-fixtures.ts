import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeApiServer, KubeObject } from "@sipfleet/testing";
import { unauthenticatedKubeConfig } from "./kube-config.js";
import { API_VERSION } from "./resources.js";

/*
 * Resources for the tests: a domain, users with their HA1 Secrets (the lab passwords of
 * deploy/local/sipfleet.yaml), a trunk, a number route, and a kubeconfig pointing at the test
 * API server.
 */

export const NAMESPACE = "sipfleet-test";

/** What the base file holds in kubernetes mode: no domains, trunks or routes. */
export const BASE_DOCUMENT = Object.freeze({
  auth: { algorithms: ["SHA-256", "MD5"], nonceSecret: "k8s-config-test-secret-0123456789abcdef" },
  edge: { listen: "udp:127.0.0.1:5060" },
});

export const HA1: Readonly<Record<string, { md5: string; sha256: string }>> = {
  alice: { md5: "6cbb80ffc4da5bf0e69440b3028ccd1d", sha256: "5da6592d401400628edfc77c24b9408cdbcca9b653b8e9381c96327769872865" },
  bob: { md5: "1692dd613d4594236975bf185f4b5978", sha256: "8ea037b641b998031ad22abc964c0261cd41c58f00a24612098269543cbd8d4b" },
};

export function kubeConfigFor(server: KubeApiServer): KubeConfig {
  return unauthenticatedKubeConfig(server.url, NAMESPACE);
}

export function domain(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: API_VERSION, kind: "SipDomain", metadata: { name, namespace: NAMESPACE }, spec: { allowedPrefixes: ["+49"], blockedPrefixes: ["+"], ...spec } };
}

export function user(name: string, domainName: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: "SipUser",
    metadata: { name, namespace: NAMESPACE },
    spec: { domain: domainName, ha1SecretRef: { name: `${name}-ha1` }, ...spec },
  };
}

export function ha1Secret(name: string, ha1: { md5: string; sha256: string }): KubeObject {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  return { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-ha1`, namespace: NAMESPACE }, data: { md5: b64(ha1.md5), sha256: b64(ha1.sha256) } };
}

export function passwordSecret(name: string, password: string): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NAMESPACE }, data: { password: Buffer.from(password).toString("base64") } };
}

export function trunk(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: "SipTrunk", metadata: { name, namespace: NAMESPACE }, spec };
}

export function numberRoute(name: string, prefix: string, trunks: readonly string[]): KubeObject {
  return { apiVersion: API_VERSION, kind: "NumberRoute", metadata: { name, namespace: NAMESPACE }, spec: { prefix, trunks: trunks.map((t) => ({ trunk: t })) } };
}

/** The Accepted condition the watcher wrote on a resource, if any. */
export function acceptedCondition(object: KubeObject | undefined): { status: string; reason: string; message: string } | undefined {
  const status = object?.["status"] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined;
  return status?.conditions?.find((c) => c.type === "Accepted");
}

import { KubeConfig } from "@kubernetes/client-node";

/**
 * A KubeConfig for an API server reached without credentials: `kubectl proxy`'s
 * http://127.0.0.1:8001, or a test server. Services use the default (the pod's service account).
 */
export function unauthenticatedKubeConfig(server: string, namespace?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless told TLS is not checked: there is no TLS to check.
    clusters: [{ name: "api", server, skipTLSVerify: server.startsWith("http:") }],
    users: [{ name: "anonymous" }],
    contexts: [{ name: "api", cluster: "api", user: "anonymous", ...(namespace === undefined ? {} : { namespace }) }],
    currentContext: "api",
  });
  return kc;
}

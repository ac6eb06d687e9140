import { dirname } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { type Env, type SipfleetConfig, loadConfig, readConfigDocument, readConfigFile } from "@sipfleet/config";
import { type ConfigSourceLogger, KubernetesConfigSource } from "./kubernetes-config-source.js";

/*
 * Where a service's configuration comes from, chosen by SIPFLEET_CONFIG_SOURCE: `file` (the
 * default: the SIPFLEET_CONFIG YAML, read once) or `kubernetes` (domains, users, trunks and number
 * routes from the custom resources in POD_NAMESPACE, applied as they change; everything else still
 * from the SIPFLEET_CONFIG file). Either way the service reads `current()` and hears `onConfig`.
 */

export const ENV_CONFIG_SOURCE = "SIPFLEET_CONFIG_SOURCE";
const ENV_NAMESPACE = "POD_NAMESPACE";

export interface ServiceConfig {
  readonly from: "file" | "kubernetes";
  /** The configuration in force. */
  current(): SipfleetConfig;
  /** Each new configuration, whole, once in force (never with `file`). Returns the unsubscribe. */
  onConfig(listener: (config: SipfleetConfig) => void): () => void;
  stop(): Promise<void>;
}

export async function configSourceFromEnv(env: Env, component: string, logger: ConfigSourceLogger): Promise<ServiceConfig> {
  const from = env[ENV_CONFIG_SOURCE] === undefined || env[ENV_CONFIG_SOURCE] === "" ? "file" : env[ENV_CONFIG_SOURCE];
  if (from === "file") {
    const config = loadConfig({ env });
    return { from: "file", current: () => config, onConfig: () => () => undefined, stop: async () => undefined };
  }
  if (from !== "kubernetes") throw new Error(`${ENV_CONFIG_SOURCE}: must be file or kubernetes, got ${JSON.stringify(from)}`);
  const namespace = env[ENV_NAMESPACE];
  if (namespace === undefined || namespace === "") {
    throw new Error(`${ENV_NAMESPACE}: required with ${ENV_CONFIG_SOURCE}=kubernetes (the namespace of the custom resources; the downward API's metadata.namespace)`);
  }
  const file = readConfigFile({ env });
  const kubeConfig = new KubeConfig();
  // In a pod: the service account; elsewhere KUBECONFIG or ~/.kube/config.
  kubeConfig.loadFromDefault();
  const source = await KubernetesConfigSource.start({
    kubeConfig,
    namespace,
    base: { document: readConfigDocument(file.text, file.source), source: file.source, baseDir: dirname(file.path) },
    env,
    component,
    logger,
  });
  return { from: "kubernetes", current: () => source.current(), onConfig: (l) => source.onConfig(l), stop: () => source.stop() };
}

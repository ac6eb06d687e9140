export {
  type BaseDocument,
  type ConfigListener,
  type ConfigRejection,
  type ConfigSourceLogger,
  DEFAULT_KUBERNETES_CONFIG_SOURCE,
  KubernetesConfigSource,
  type KubernetesConfigSourceOptions,
} from "./kubernetes-config-source.js";
export { type ConfigDocument, type ResourceProblem, attributeIssues, buildConfigDocument } from "./config-document.js";
export { INVALID_EVENT_REASON } from "./status-reporter.js";
export { API_VERSION, CONFIG_KINDS, type ConfigKind, GROUP, PLURAL_OF_KIND, VERSION } from "./resources.js";
export { configSourceFromEnv, type ServiceConfig, ENV_CONFIG_SOURCE } from "./service-config.js";
export { unauthenticatedKubeConfig } from "./kube-config.js";

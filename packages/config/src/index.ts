export type * from "./config.js";
export { ConfigError, type ConfigIssue, formatIssue } from "./errors.js";
export {
  type Env,
  ENV_LISTEN,
  ENV_NONCE_SECRET,
  MIN_NONCE_SECRET_LENGTH,
  parseConfig,
} from "./parse-config.js";
export {
  DEFAULT_CONFIG_RELATIVE_PATH,
  ENV_CONFIG,
  type LoadConfigOptions,
  type ResolvedConfigPath,
  loadConfig,
  resolveConfigPath,
} from "./load-config.js";
export { formatListenAddress, isLoopbackAddress, parseListen } from "./listen.js";
export {
  type AuthDefaults,
  DEFAULT_AUTH_CONFIG,
  DEFAULT_EDGE_CONFIG,
  DEFAULT_LISTEN,
  DEFAULT_PROXY_CONFIG,
  DEFAULT_REGISTRAR_CONFIG,
} from "./defaults.js";
export { formatUserEntry } from "./ha1-entry.js";

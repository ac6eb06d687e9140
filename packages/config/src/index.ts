export type * from "./config.js";
export { ConfigError, type ConfigIssue, formatIssue } from "./errors.js";
export {
  type Env,
  ENV_LISTEN,
  ENV_NONCE_SECRET,
  ENV_TLS_CA_FILE,
  ENV_TLS_CERT_FILE,
  ENV_TLS_KEY_FILE,
  MIN_NONCE_SECRET_LENGTH,
  type ParseConfigOptions,
  parseConfig,
  readConfigDocument,
  validateConfigDocument,
} from "./parse-config.js";
export {
  DEFAULT_CONFIG_RELATIVE_PATH,
  ENV_CONFIG,
  type ConfigFile,
  type LoadConfigOptions,
  readConfigFile,
  type ResolvedConfigPath,
  loadConfig,
  resolveConfigPath,
} from "./load-config.js";
export { formatListenAddress, isLoopbackAddress, isSecureTransport, parseListen } from "./listen.js";
export { DEFAULT_TLS_MIN_VERSION } from "./tls-section.js";
export { ENV_PUBLIC_ADDRESS, parsePublicAddressEntry } from "./public-address.js";
export {
  type AuthDefaults,
  DEFAULT_AUTH_CONFIG,
  DEFAULT_DIAL_POLICY,
  DEFAULT_EDGE_CONFIG,
  DEFAULT_GATEWAY_PING,
  DEFAULT_RATE_LIMIT_CONFIG,
  DEFAULT_BAN_CONFIG,
  DEFAULT_LISTEN,
  DEFAULT_LOGGING_CONFIG,
  DEFAULT_PROXY_CONFIG,
  DEFAULT_REGISTRAR_CONFIG,
  DEFAULT_TRUNK,
  type DialPolicyDefaults,
  type TrunkDefaults,
} from "./defaults.js";
export { DEFAULT_ROUTE_PREFIX } from "./number-routes-section.js";
export { formatUserEntry } from "./ha1-entry.js";

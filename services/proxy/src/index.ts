// What other packages use (deploy/local's embedded mode); the rest is internal to the service.
export { startProxy, type ProxyService, type ProxyServiceOptions } from "./start-proxy.js";
export type { ProxySettings } from "./proxy-settings.js";
export type { ProxyLogger } from "./sip-proxy.js";

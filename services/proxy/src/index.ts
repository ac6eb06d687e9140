export { SipProxy, type SipProxyOptions, type ProxyLogger } from "./sip-proxy.js";
export { type ProxySettings, DIALOG_CREATING_METHODS } from "./proxy-settings.js";
export { serveProxy, answerEnvelope } from "./proxy-worker.js";
export { startProxy, type ProxyService, type ProxyServiceOptions } from "./start-proxy.js";
export { recordRoutes, recordRouteValue } from "./record-route.js";

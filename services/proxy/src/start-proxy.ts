import type { BindingStore } from "@sipfleet/bindings";
import type { Bus, BusSubscription } from "@sipfleet/bus";
import type { ProxySettings } from "./proxy-settings.js";
import { serveProxy } from "./proxy-worker.js";
import { type ProxyLogger, SipProxy } from "./sip-proxy.js";

export interface ProxyServiceOptions {
  bus: Bus;
  /** Where the callees' bindings are read (the location service's client in a cluster). */
  store: BindingStore;
  /** A `SipfleetConfig`, or just the parts the proxy reads. */
  config: ProxySettings;
  logger: ProxyLogger;
  /** Unix ms now, for digest nonces; Date.now by default. */
  clock?: () => number;
}

export interface ProxyService {
  /** Stops taking requests; those in hand finish (the bus drains them). */
  stop(): Promise<void>;
}

/** One proxy worker on the bus: the same code in the embedded process and in cluster mode. */
export function startProxy(options: ProxyServiceOptions): ProxyService {
  const proxy = new SipProxy({
    settings: options.config,
    store: options.store,
    clock: options.clock ?? Date.now,
    logger: options.logger,
  });
  const subscription: BusSubscription = serveProxy(options.bus, proxy, options.logger);
  return {
    async stop() {
      subscription.unsubscribe();
    },
  };
}

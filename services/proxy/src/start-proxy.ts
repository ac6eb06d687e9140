import type { BindingStore, CallSlotStore } from "@sipfleet/bindings";
import type { EndedCalls, EndedCallsSubscription } from "@sipfleet/call-events/memory";
import { anyCallLimit } from "./call-limits.js";
import { releaseSlotsOfEndedCalls } from "./call-slot-release.js";
import type { Bus, BusSubscription } from "@sipfleet/bus";
import type { ProxySettings } from "./proxy-settings.js";
import { proxyTelemetry, type ProxyTelemetryOptions } from "./proxy-telemetry.js";
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
  /**
   * Concurrent-call limits: where slots are taken (the location service's client in a cluster)
   * and the ended calls that free them. Both or neither: slots taken and never freed would hold
   * until their TTL. Unused (the ended calls not consumed) while no user or trunk has a limit.
   */
  callLimits?: { slots: CallSlotStore; endedCalls: EndedCalls };
  /**
   * New configurations as they come into force (hot reload: @sipfleet/config-k8s's onConfig):
   * each replaces the routing settings for the requests that follow. Returns the unsubscribe.
   * With it, call limits stay armed even when none is configured yet (one may be added).
   */
  onConfig?: (listener: (config: ProxySettings) => void) => () => void;
  /** Decision spans and metrics (see ProxyTelemetryOptions): tracer defaults to activeTracer(), meter to NOOP_METER. */
  telemetry?: Partial<ProxyTelemetryOptions>;
}

export interface ProxyService {
  /** Stops taking requests; those in hand finish (the bus drains them). */
  stop(): Promise<void>;
}

/** One proxy worker on the bus: the same code in the embedded process and in cluster mode. */
export function startProxy(options: ProxyServiceOptions): ProxyService {
  // No limit configured (nor can one be added at run time): no slot is ever taken, so nothing to free.
  const callLimits = anyCallLimit(options.config) || options.onConfig !== undefined ? options.callLimits : undefined;
  const proxy = new SipProxy({
    settings: options.config,
    store: options.store,
    clock: options.clock ?? Date.now,
    logger: options.logger,
    ...(callLimits === undefined ? {} : { callSlots: callLimits.slots }),
  });
  const releases: EndedCallsSubscription | undefined =
    callLimits === undefined ? undefined : releaseSlotsOfEndedCalls(callLimits.endedCalls, callLimits.slots, options.logger);
  const unsubscribeConfig = options.onConfig?.((config) => proxy.applySettings(config));
  const subscription: BusSubscription = serveProxy(options.bus, proxy, options.logger, proxyTelemetry(options.telemetry));
  return {
    async stop() {
      unsubscribeConfig?.();
      subscription.unsubscribe();
      await releases?.stop();
    },
  };
}

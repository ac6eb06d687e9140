import type { BindingStore } from "@sipfleet/bindings";
import type { Bus, BusSubscription } from "@sipfleet/bus";
import { Registrar, type RegistrarLogger } from "./registrar.js";
import type { RegistrarSettings } from "./registrar-settings.js";
import { registrarTelemetry, type RegistrarTelemetryOptions } from "./registrar-telemetry.js";
import { serveRegistrar } from "./registrar-worker.js";

export interface RegistrarServiceOptions {
  bus: Bus;
  store: BindingStore;
  settings: RegistrarSettings;
  logger: RegistrarLogger;
  clock?: () => number;
  /**
   * New configurations as they come into force (hot reload: @sipfleet/config-k8s's onConfig):
   * each replaces the domains, users and limits for the REGISTERs that follow. Returns the unsubscribe.
   */
  onConfig?: (listener: (settings: RegistrarSettings) => void) => () => void;
  /** REGISTER spans and metrics (see RegistrarTelemetryOptions): tracer defaults to activeTracer(), meter to NOOP_METER. */
  telemetry?: Partial<RegistrarTelemetryOptions>;
}

export interface RegistrarService {
  /** Stops taking REGISTERs; those in hand finish (the bus drains them). */
  stop(): Promise<void>;
}

/** One registrar worker on the bus: the same code in the embedded process and in cluster mode. */
export function startRegistrar(options: RegistrarServiceOptions): RegistrarService {
  const registrar = new Registrar({
    settings: options.settings,
    store: options.store,
    clock: options.clock ?? Date.now,
    logger: options.logger,
  });
  const unsubscribeConfig = options.onConfig?.((settings) => registrar.applySettings(settings));
  const subscription: BusSubscription = serveRegistrar(options.bus, registrar, options.logger, registrarTelemetry(options.telemetry));
  return {
    async stop() {
      unsubscribeConfig?.();
      subscription.unsubscribe();
    },
  };
}

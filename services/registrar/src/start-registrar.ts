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
  const subscription: BusSubscription = serveRegistrar(options.bus, registrar, options.logger, registrarTelemetry(options.telemetry));
  return {
    async stop() {
      subscription.unsubscribe();
    },
  };
}

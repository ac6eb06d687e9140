import { MemoryBindingStore, MemoryCallSlots } from "@sipfleet/bindings";
import { MemoryBus } from "@sipfleet/bus/memory";
import { MemoryCallEvents } from "@sipfleet/call-events/memory";
import type { SipfleetConfig } from "@sipfleet/config";
import { MemoryAbuseStore, startEdge, type Edge } from "@sipfleet/edge";
import { startProxy } from "@sipfleet/proxy";
import { startRegistrar } from "@sipfleet/registrar";
import type { Logger } from "@sipfleet/runtime";

export interface EmbeddedPlatform {
  readonly edge: Edge;
  /** The bindings, for tests and tools that look inside. */
  readonly store: MemoryBindingStore;
  /** The last call events (attempted, answered, ended), newest last. */
  readonly callEvents: MemoryCallEvents;
  stop(): Promise<void>;
}

/**
 * Every tier in one process on the in-memory adapters (architecture invariant 6): a bus with no
 * server behind it, bindings in a Map that expire by their own clock. The edge, the registrar, the
 * proxy and the binding rules are the very code cluster mode runs; only the adapters differ.
 */
export async function startEmbedded(config: SipfleetConfig, logger: Logger): Promise<EmbeddedPlatform> {
  const bus = new MemoryBus({ logger });
  const store = new MemoryBindingStore();
  const callEvents = new MemoryCallEvents({ logger });
  const registrar = startRegistrar({ bus, store, settings: config, logger: logger.child({ tier: "registrar" }) });
  // Concurrent-call slots in memory, freed by the ENDED events the edge records here.
  const proxy = startProxy({ bus, store, config, logger: logger.child({ tier: "proxy" }), callLimits: { slots: new MemoryCallSlots(), endedCalls: callEvents } });
  const edge = await startEdge({
    bus,
    config: config.edge,
    domains: new Set(config.domains.keys()),
    logger: logger.child({ tier: "edge" }),
    callEvents,
    trunks: config.trunks,
    // One edge: nothing to share, but the same rate limit and bans as a cluster's.
    abuseStore: new MemoryAbuseStore(),
    // The proxy restores the Contacts the edge masks toward carriers with the same secret.
    sharedSecret: config.auth.nonceSecret,
    sipMessageLog: config.logging.sipMessages,
  });
  return {
    edge,
    store,
    callEvents,
    async stop() {
      // The edge first: it stops taking requests and waits for the decisions it has asked for.
      await edge.stop();
      await registrar.stop();
      await proxy.stop();
      await bus.drain();
      await store.close();
      await callEvents.close();
    },
  };
}

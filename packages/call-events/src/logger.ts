// `@sipfleet/bus/memory`, not the main entry: `@sipfleet/call-events/memory` re-exports this and
// must not load nats.js.
import { CONSOLE_BUS_LOGGER, type BusLogger } from "@sipfleet/bus/memory";

/**
 * What the call-event sinks log through: publish failures, drops, stream set-up. The bus's logger
 * type (pino satisfies it; `debug` and `info` are optional); the name stays for the consumers.
 */
export type CallEventsLogger = BusLogger;

/** Used when the consumer passes no logger: lost call events must not vanish silently. */
export const CONSOLE_CALL_EVENTS_LOGGER: CallEventsLogger = CONSOLE_BUS_LOGGER;

// `@sipfleet/bus/memory`: the interface and the in-process adapter only, for the embedded mode
// (the main entry also re-exports NatsBus, which loads nats.js).
export * from "./bus.js";
export { type BusLogger, CONSOLE_BUS_LOGGER } from "./logger.js";
export { MemoryBus, MemoryBusHub, type MemoryBusOptions, DEFAULT_MEMORY_BUS_OPTIONS } from "./memory-bus.js";

export * from "./bus.js";
export { type BusLogger, CONSOLE_BUS_LOGGER } from "./logger.js";
export { withDefaults } from "./options.js";
export { MemoryBus, MemoryBusHub, type MemoryBusOptions, DEFAULT_MEMORY_BUS_OPTIONS } from "./memory-bus.js";
export { NatsBus, natsServerList, type NatsBusOptions, DEFAULT_NATS_BUS_OPTIONS } from "./nats-bus.js";
export { busContract, type BusPair, type BusContractContext } from "./bus-contract.js";

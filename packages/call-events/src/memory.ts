// `@sipfleet/call-events/memory`: the sink interface and the in-process sink only, for the
// embedded mode (the main entry also re-exports the JetStream sink, which loads nats.js).
export { type CallEventSink, type CallEventStats, type StoredCallEvent, type CallEventFilter } from "./call-event-sink.js";
export { newCallEventId } from "./event-check.js";
export { type CallEventsLogger, CONSOLE_CALL_EVENTS_LOGGER } from "./logger.js";
export { MemoryCallEvents, type MemoryCallEventsOptions, DEFAULT_MEMORY_CALL_EVENTS_OPTIONS } from "./memory-call-events.js";
export { type EndedCalls, type EndedCallHandler, type EndedCallsSubscription } from "./ended-calls.js";

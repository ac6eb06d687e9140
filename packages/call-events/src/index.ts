export { type CallEventSink, type CallEventStats, type StoredCallEvent, type CallEventFilter } from "./call-event-sink.js";
export { newCallEventId, subjectForEvent } from "./event-check.js";
export { type CallEventsLogger, CONSOLE_CALL_EVENTS_LOGGER } from "./logger.js";
export { CallEventsError } from "./errors.js";
export { MemoryCallEvents, type MemoryCallEventsOptions, DEFAULT_MEMORY_CALL_EVENTS_OPTIONS } from "./memory-call-events.js";
export {
  ensureCallEventStream,
  callEventStreamConfig,
  type CallEventStreamOptions,
  type StreamSetup,
  DEFAULT_CALL_EVENT_STREAM_OPTIONS,
} from "./call-event-stream.js";
export { JetStreamCallEvents, type JetStreamCallEventsOptions, DEFAULT_JETSTREAM_CALL_EVENTS_OPTIONS } from "./jetstream-call-events.js";
export { readCallEvents, type ReadCallEventsOptions } from "./read-call-events.js";
export { callEventToJson } from "./call-event-json.js";
export { type EndedCalls, type EndedCallHandler, type EndedCallsSubscription } from "./ended-calls.js";
export { JetStreamEndedCalls, type JetStreamEndedCallsOptions, DEFAULT_JETSTREAM_ENDED_CALLS_OPTIONS } from "./jetstream-ended-calls.js";

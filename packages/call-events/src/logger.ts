/**
 * What the call-event sinks log through: publish failures, drops, stream set-up. pino satisfies
 * it; the consumer passes its own. `debug` and `info` are optional so a warn/error-only logger
 * fits too.
 */
export interface CallEventsLogger {
  debug?(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Used when the consumer passes no logger: lost call events must not vanish silently. */
export const CONSOLE_CALL_EVENTS_LOGGER: CallEventsLogger = {
  info: (obj, msg) => console.info(msg, obj),
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

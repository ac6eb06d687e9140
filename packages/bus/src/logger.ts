/**
 * What the bus (and the packages built on it, such as call-events) logs through: responder
 * failures, connection status. pino satisfies it; the consumer passes its own. `debug` and `info`
 * are optional so a warn/error-only logger fits too.
 */
export interface BusLogger {
  debug?(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Used when the consumer passes no logger: responder errors must not vanish silently. */
export const CONSOLE_BUS_LOGGER: BusLogger = {
  info: (obj, msg) => console.info(msg, obj),
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

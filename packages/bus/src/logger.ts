/**
 * What the bus logs through: responder failures, connection status. pino satisfies it; the
 * consumer passes its own. `info` is optional so a warn/error-only logger fits too.
 */
export interface BusLogger {
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

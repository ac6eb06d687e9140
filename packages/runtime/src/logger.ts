import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * One JSON line per event on stderr (stdout stays free for a process's own output), with the
 * service name and, through `err`, error stacks. `SIPFLEET_LOG_LEVEL` sets the level (default
 * info). Trace and span ids join with issue 6's OpenTelemetry.
 */
export function createLogger(service: string, options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env["SIPFLEET_LOG_LEVEL"] ?? "info";
  return pino({ name: service, level, base: { service, pid: process.pid } }, options.destination ?? pino.destination(2));
}

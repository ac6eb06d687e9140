/** One line a recording logger kept. */
export interface LoggedLine {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  obj: object;
}

/**
 * The pino-shaped logger the packages take (every level present, so it fits loggers whose `debug`
 * and `info` are optional too). Structural: @sipfleet/testing depends on no package it tests.
 */
export interface RecordingLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that appends every line to `into`, for tests that assert what was (not) logged. */
export function recordingLogger(into: LoggedLine[]): RecordingLogger {
  return {
    debug: (obj, msg) => into.push({ level: "debug", msg, obj }),
    info: (obj, msg) => into.push({ level: "info", msg, obj }),
    warn: (obj, msg) => into.push({ level: "warn", msg, obj }),
    error: (obj, msg) => into.push({ level: "error", msg, obj }),
  };
}

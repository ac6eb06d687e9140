export { createLogger, type Logger } from "./logger.js";
export { runService, DEFAULT_RUN_OPTIONS, type RunOptions, type Stoppable } from "./process-lifecycle.js";

export { createLogger, type Logger } from "./logger.js";
export { runService, DEFAULT_RUN_OPTIONS, type RunOptions, type Stoppable, healthServerFromEnv, withHealth, onProcessStop, stopTimeoutFromEnv } from "./process-lifecycle.js";
export { startHealthServer, DEFAULT_HEALTH_SERVER_OPTIONS, type HealthCheck, type HealthServer, type HealthServerOptions, type HealthRoute } from "./health-server.js";

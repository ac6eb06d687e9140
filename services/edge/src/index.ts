export { startEdge, DEFAULT_EDGE_OPTIONS, type Edge, type EdgeOptions, type EdgeRuntimeConfig, type StartEdgeOptions } from "./edge.js";
export type { EdgeStats } from "./edge-stats.js";
export type { EdgeLogger } from "./logger.js";
export { EdgeError, EdgeConfigError, FlowClosedError } from "./errors.js";
export { EDGE_ID_ENV, resolveEdgeId, isValidEdgeId } from "./edge-id.js";
export { type AbuseStore, MemoryAbuseStore } from "./abuse-store.js";
export { RedisAbuseStore } from "./redis-abuse-store.js";
export type { AbuseStats } from "./abuse-guard.js";

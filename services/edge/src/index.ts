export { startEdge, DEFAULT_EDGE_OPTIONS, type Edge, type EdgeOptions, type StartEdgeOptions } from "./edge.js";
export type { EdgeStats } from "./edge-stats.js";
export type { EdgeLogger } from "./logger.js";
export { EdgeError, EdgeConfigError, FlowClosedError } from "./errors.js";
export { EDGE_ID_ENV, resolveEdgeId, isValidEdgeId } from "./edge-id.js";

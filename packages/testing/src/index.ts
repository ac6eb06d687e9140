export { freePort } from "./ports.js";
export { type EngineProcess, EngineMissingError, hasBinary } from "./engine-process.js";
export { startNatsServer, startRedisServer } from "./engines.js";

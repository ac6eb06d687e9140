export { startLocationService, DEFAULT_LOCATION_SERVICE_OPTIONS, type LocationServiceOptions, type RunningLocationService } from "./location-service.js";
export { RedisBindingStore, DEFAULT_REDIS_BINDING_STORE_OPTIONS, type RedisBindingStoreOptions } from "./redis-binding-store.js";
export { createLocationServer, LocationServer, DEFAULT_LOCATION_SERVER_OPTIONS, type LocationServerOptions } from "./location-server.js";
export { LocationOperations, OperationError, type LocationOperationsOptions } from "./location-operations.js";
export { locationOptionsFromEnv } from "./location-env.js";
export { ConfigError, InvalidPageTokenError } from "./errors.js";
export { silentLogger, type Logger } from "./logger.js";
export { RedisCallSlots, DEFAULT_CALL_SLOTS_KEY_PREFIX } from "./redis-call-slots.js";

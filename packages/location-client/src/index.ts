export { GrpcBindingStore, DEFAULT_GRPC_BINDING_STORE_OPTIONS, type GrpcBindingStoreOptions, locationTarget, locationServiceConfig } from "./grpc-binding-store.js";
export { LocationUnavailableError, LocationRequestError } from "./errors.js";
export { LOCATION_OPS, LOCATION_RPC_SERVICE, type LocationOp } from "./location-ops.js";

export { GrpcBindingStore, DEFAULT_GRPC_BINDING_STORE_OPTIONS, type GrpcBindingStoreOptions, locationTarget, locationServiceConfig } from "./grpc-binding-store.js";
export { LocationUnavailableError, LocationRequestError } from "./errors.js";

export { startAdminServer, DEFAULT_ADMIN_SERVER_OPTIONS, type AdminServer, type AdminServerOptions } from "./admin-server.js";
export { adminOptionsFromEnv, type AdminEnvOptions } from "./admin-env.js";
export { TokenTable, parseTokens, roleAllows, type Role } from "./tokens.js";
export { OPENAPI_DOCUMENT } from "./openapi.js";
export { adminRoutes, type Route } from "./routes.js";
export { DEFAULT_REGISTRATION_QUERY_OPTIONS, type RegistrationQueryOptions } from "./registrations.js";
export { ApiError, ConfigError } from "./errors.js";

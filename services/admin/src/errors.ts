/** A setting that cannot be used; the message starts with the setting's name. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * A request the API refuses, answered as `{ error: { code, message, field? } }` with `status`.
 * `field` names the parameter at fault (query parameter or path segment) so a client can say which.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (field: string, message: string): ApiError => new ApiError(400, "invalid_argument", message, field);
export const notFound = (message: string, field?: string): ApiError => new ApiError(404, "not_found", message, field);

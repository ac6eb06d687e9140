/** A setting that cannot be used; the message starts with the setting's name. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A list page token this service did not issue, or one for a Redis node no longer there. */
export class InvalidPageTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidPageTokenError";
  }
}

/** The call-event stream could not be set up (JetStream off or unreachable, a setting refused). */
export class CallEventsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CallEventsError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The `code` nats.js puts on its errors ("TIMEOUT", "503", "CONNECTION_CLOSED"...), if any. */
export function natsErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The JetStream API error number (`err_code`) nats.js attaches to an API failure, if any. */
export function jetStreamErrorCode(err: unknown): number | undefined {
  const api = (err as { api_error?: { err_code?: unknown } } | null)?.api_error;
  return typeof api?.err_code === "number" ? api.err_code : undefined;
}

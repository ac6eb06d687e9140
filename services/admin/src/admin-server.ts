import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { BindingStore } from "@sipfleet/bindings";
import { LocationUnavailableError } from "@sipfleet/location-client";
import type { Logger } from "@sipfleet/runtime";
import { ApiError, ConfigError } from "./errors.js";
import { DEFAULT_REGISTRATION_QUERY_OPTIONS, type RegistrationQueryOptions } from "./registrations.js";
import { adminRoutes, compileRoute, type CompiledRoute, type Route } from "./routes.js";
import { roleAllows, type TokenTable } from "./tokens.js";

export interface AdminServerOptions {
  /** `host:port` (IPv6 in brackets); port 0 takes a free one (see `address`). */
  listen: string;
  tokens: TokenTable;
  store: BindingStore;
  logger: Logger;
  registrations: RegistrationQueryOptions;
  /** The clock remaining expiry is computed against. */
  now: () => number;
}

export const DEFAULT_ADMIN_SERVER_OPTIONS: Pick<AdminServerOptions, "listen" | "registrations" | "now"> = {
  listen: "127.0.0.1:8080",
  registrations: DEFAULT_REGISTRATION_QUERY_OPTIONS,
  now: Date.now,
};

export interface AdminServer {
  readonly address: string;
  /** The routes served, as the OpenAPI document must describe them. */
  readonly routes: readonly Route[];
  stop(): Promise<void>;
}

/** `host:port` split; throws ConfigError naming ADMIN_LISTEN. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new ConfigError(`ADMIN_LISTEN: expected host:port, got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, e: ApiError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, { error: { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) } }, headers);
}

const bearer = (req: IncomingMessage): string | undefined => /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1];

/** Serves the admin routes over plain HTTP/JSON. Put TLS in front of it (an ingress) beyond loopback. */
export async function startAdminServer(options: Partial<AdminServerOptions> & Pick<AdminServerOptions, "tokens" | "store" | "logger">): Promise<AdminServer> {
  const o: AdminServerOptions = { ...DEFAULT_ADMIN_SERVER_OPTIONS, ...options };
  const { host, port } = parseListen(o.listen);
  const routes = adminRoutes({ store: o.store, registrations: o.registrations, now: o.now });
  const compiled = routes.map(compileRoute);

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://admin.invalid");
    const onPath = compiled.filter((r) => r.pattern.test(url.pathname));
    if (onPath.length === 0) return sendError(res, new ApiError(404, "not_found", `no route ${url.pathname}`));
    const route: CompiledRoute | undefined = onPath.find((r) => r.method === req.method);
    if (route === undefined) {
      return sendError(res, new ApiError(405, "method_not_allowed", `${req.method ?? ""} is not allowed on ${url.pathname}`), { allow: onPath.map((r) => r.method).join(", ") });
    }
    if (route.role !== undefined) {
      const token = bearer(req);
      const role = token === undefined ? undefined : o.tokens.roleOf(token);
      if (role === undefined) return sendError(res, new ApiError(401, "unauthenticated", "a valid bearer token is required"), { "www-authenticate": 'Bearer realm="sipfleet-admin"' });
      if (!roleAllows(role, route.role)) return sendError(res, new ApiError(403, "permission_denied", `this needs the ${route.role} role`));
    }
    const values = route.pattern.exec(url.pathname)!.slice(1);
    const params = Object.fromEntries(route.names.map((n, i) => [n, values[i]!]));
    const { status, body } = await route.handle({ params, query: url.searchParams });
    sendJson(res, status, body);
  };

  const server = createServer((req, res) => {
    // Bodies are not read by any route; drain one so the connection can be reused.
    req.resume();
    dispatch(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ApiError) return sendError(res, err);
      if (err instanceof LocationUnavailableError) return sendError(res, new ApiError(503, "unavailable", "the location service could not answer"));
      o.logger.error({ err, method: req.method, path: req.url?.split("?")[0] }, "admin request failed");
      sendError(res, new ApiError(500, "internal", "internal error"));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = bound.family === "IPv6" ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  return {
    address,
    routes,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

import type { BindingStore } from "@sipfleet/bindings";
import type { Role } from "./tokens.js";
import { getRegistration, listRegistrations, removeRegistration, type RegistrationQueryOptions } from "./registrations.js";
import { OPENAPI_DOCUMENT } from "./openapi.js";

export type HttpMethod = "GET" | "DELETE";

/** What a handler gets: the path parameters by name and the query. */
export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
}

/** What a route does, with what it needs; the OpenAPI document describes exactly this table. */
export interface Route {
  method: HttpMethod;
  /** An OpenAPI path template: `{name}` matches one path segment. */
  path: string;
  /** The role the caller's token must hold; undefined: no token needed. */
  role: Role | undefined;
  /** The 2xx status and its JSON body. */
  handle(request: RouteRequest): Promise<{ status: number; body: unknown }>;
}

export interface RouteContext {
  store: BindingStore;
  registrations: RegistrationQueryOptions;
  now: () => number;
}

const ok = (body: unknown) => ({ status: 200, body });

export function adminRoutes(c: RouteContext): Route[] {
  return [
    { method: "GET", path: "/api/v1/openapi.json", role: undefined, handle: async () => ok(OPENAPI_DOCUMENT) },
    { method: "GET", path: "/api/v1/registrations", role: "read", handle: async (r) => ok(await listRegistrations(c.store, r.query, c.registrations, c.now)) },
    { method: "GET", path: "/api/v1/registrations/{aor}", role: "read", handle: async (r) => ok(await getRegistration(c.store, r.params["aor"]!, c.now)) },
    { method: "DELETE", path: "/api/v1/registrations/{aor}", role: "admin", handle: async (r) => ok(await removeRegistration(c.store, r.params["aor"]!, r.query)) },
  ];
}

/** A route's template as a matcher of a raw (still percent-encoded) path. */
export interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

export function compileRoute(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split("/")
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (m === null) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]!);
      return "([^/]+)";
    })
    .join("/");
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

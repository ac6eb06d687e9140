/**
 * The API as OpenAPI 3.1, written by hand. A test compares its paths and methods with the server's
 * route table, so a route added without its description (or the reverse) fails the build's tests.
 */
const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

const aorParameter = {
  name: "aor",
  in: "path",
  required: true,
  description: "The address-of-record, percent-encoded: sip%3Aalice%40example.com (the sip: prefix is optional; the domain is compared case-insensitively).",
  schema: { type: "string" },
};

const READ_ERRORS = {
  "401": errorResponse("No bearer token, or one not configured (with WWW-Authenticate: Bearer)."),
  "503": errorResponse("The location service could not answer."),
};

export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "Sipfleet Admin API",
    version: "1.0.0",
    description: "Live registrations of the platform. Bearer tokens hold the role read (every GET) or admin (also DELETE).",
  },
  servers: [{ url: "/" }],
  security: [{ bearer: [] }],
  paths: {
    "/api/v1/openapi.json": {
      get: {
        operationId: "getOpenApi",
        summary: "This document.",
        security: [],
        responses: { "200": { description: "The OpenAPI document.", content: { "application/json": { schema: { type: "object" } } } } },
      },
    },
    "/api/v1/registrations": {
      get: {
        operationId: "listRegistrations",
        summary: "Live registrations, a page at a time, optionally searched by user, domain or source address.",
        description:
          "Filters combine (all must hold). With source, each registration lists only the bindings from that address. With any filter a page may hold fewer than limit registrations and still carry a nextPageToken: follow it until it is absent.",
        parameters: [
          { name: "user", in: "query", description: "The AOR's user part, exactly.", schema: { type: "string", minLength: 1 } },
          { name: "domain", in: "query", description: "The AOR's domain (case-insensitive).", schema: { type: "string", minLength: 1 } },
          { name: "source", in: "query", description: "A binding's source address: ip (any port) or ip:port, IPv6 as [v6]:port.", schema: { type: "string", minLength: 1 } },
          { name: "limit", in: "query", description: "Most registrations on one page.", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
          { name: "pageToken", in: "query", description: "nextPageToken of the previous page.", schema: { type: "string", minLength: 1 } },
        ],
        responses: {
          "200": { description: "One page.", content: { "application/json": { schema: { $ref: "#/components/schemas/RegistrationPage" } } } },
          "400": errorResponse("A parameter is malformed; error.field names it (limit, source, pageToken...)."),
          "403": errorResponse("The token's role may not call this."),
          ...READ_ERRORS,
        },
      },
    },
    "/api/v1/registrations/{aor}": {
      get: {
        operationId: "getRegistration",
        summary: "The live bindings of one AOR.",
        parameters: [aorParameter],
        responses: {
          "200": { description: "The registration.", content: { "application/json": { schema: { $ref: "#/components/schemas/Registration" } } } },
          "400": errorResponse("The AOR is malformed (error.field: aor)."),
          "403": errorResponse("The token's role may not call this."),
          "404": errorResponse("The AOR has no live binding."),
          ...READ_ERRORS,
        },
      },
      delete: {
        operationId: "removeRegistration",
        summary: "Removes an AOR's bindings, or only the one contact names. Needs the admin role.",
        parameters: [aorParameter, { name: "contact", in: "query", description: "A binding's key or contact URI (angle brackets optional): remove only that binding.", schema: { type: "string", minLength: 1 } }],
        responses: {
          "200": { description: "How many bindings went.", content: { "application/json": { schema: { type: "object", required: ["removed"], properties: { removed: { type: "integer", minimum: 1 } } } } } },
          "400": errorResponse("The AOR or contact is malformed (error.field names it)."),
          "403": errorResponse("The token's role is read."),
          "404": errorResponse("Nothing to remove: no live binding for the AOR (field aor) or none matching contact (field contact)."),
          ...READ_ERRORS,
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: { type: "string", enum: ["invalid_argument", "unauthenticated", "permission_denied", "not_found", "method_not_allowed", "unavailable", "internal"] },
              message: { type: "string" },
              field: { type: "string", description: "The parameter at fault, for a 400 or 404 about one." },
            },
          },
        },
      },
      RegistrationPage: {
        type: "object",
        required: ["registrations"],
        properties: { registrations: { type: "array", items: { $ref: "#/components/schemas/Registration" } }, nextPageToken: { type: "string" } },
      },
      Registration: {
        type: "object",
        required: ["aor", "user", "domain", "bindings"],
        properties: { aor: { type: "string" }, user: { type: "string" }, domain: { type: "string" }, bindings: { type: "array", items: { $ref: "#/components/schemas/Binding" } } },
      },
      Binding: {
        type: "object",
        required: ["key", "contact", "callId", "cseq", "q", "instanceId", "regId", "path", "userAgent", "flow", "updatedAt", "expiresAt", "expiresInSeconds"],
        properties: {
          key: { type: "string", description: "Identifies the binding within its AOR (+sip.instance and reg-id, or the contact URI)." },
          contact: { type: "string" },
          callId: { type: "string" },
          cseq: { type: "integer" },
          q: { type: "number", minimum: 0, maximum: 1 },
          instanceId: { type: "string" },
          regId: { type: "integer" },
          path: { type: "array", items: { type: "string" } },
          userAgent: { type: "string", description: "The REGISTER's User-Agent; empty when it sent none." },
          flow: {
            type: "object",
            required: ["edgeId", "connectionId", "transport", "source", "local"],
            properties: {
              edgeId: { type: "string" },
              connectionId: { type: "string" },
              transport: { type: "string", enum: ["udp", "tcp", "tls", "ws", "wss"] },
              source: { type: "string", description: "The UA's address as the edge saw it (ip:port)." },
              local: { type: "string", description: "The edge's address the UA reached (ip:port)." },
              advertised: { type: "string", description: "What the edge advertises instead of local, when set." },
            },
          },
          updatedAt: { type: "string", format: "date-time" },
          expiresAt: { type: "string", format: "date-time" },
          expiresInSeconds: { type: "integer", minimum: 0 },
        },
      },
    },
  },
} as const;

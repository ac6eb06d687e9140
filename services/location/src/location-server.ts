import { Server, status, type ServerOptions, type ServiceError, type sendUnaryData } from "@grpc/grpc-js";
import { InvalidSaveError, type BindingStore } from "@sipfleet/bindings";
import { LocationServiceService, type LocationServiceServer } from "@sipfleet/proto";
import { listPageToWire, saveFromWire, saveResultToWire, bindingToWire } from "@sipfleet/location-client/wire";
import { InvalidPageTokenError } from "./errors.js";
import { ThrottledLog, silentLogger, type Logger } from "./logger.js";

export interface LocationServerOptions {
  logger: Logger;
  now: () => number;
  /** Page size for a List that asks for 0, and the most any page holds. */
  defaultPageSize: number;
  maxPageSize: number;
  serverOptions: ServerOptions;
}

export const DEFAULT_LOCATION_SERVER_OPTIONS: LocationServerOptions = {
  logger: silentLogger,
  now: Date.now,
  defaultPageSize: 100,
  maxPageSize: 1000,
  serverOptions: {
    // Notice clients that vanished without closing (their streams and sockets are freed).
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  },
};

type Status = Partial<ServiceError> & { code: number; details: string };

function invalid(details: string): Status {
  return { code: status.INVALID_ARGUMENT, details };
}

/**
 * The LocationService handlers over a BindingStore (not bound: the caller binds and starts it).
 * Malformed requests get INVALID_ARGUMENT naming the field; a store failure (Redis down or slow)
 * gets UNAVAILABLE, which clients retry on another replica and then report; no request can
 * throw out of a handler.
 */
export function createLocationServer(store: BindingStore, options: Partial<LocationServerOptions> = {}): Server {
  const o = { ...DEFAULT_LOCATION_SERVER_OPTIONS, ...options };
  const storeFailures = new ThrottledLog(o.logger);

  const fail = (method: string, callback: sendUnaryData<never>) => (err: unknown) => {
    if (err instanceof InvalidSaveError || err instanceof InvalidPageTokenError) {
      callback(invalid(err.message), null);
      return;
    }
    storeFailures.warn({ method, err }, "location store failed");
    const message = err instanceof Error ? err.message : String(err);
    callback({ code: status.UNAVAILABLE, details: `binding store: ${message}` }, null);
  };

  const handlers: LocationServiceServer = {
    save(call, callback) {
      try {
        const request = saveFromWire(call.request, o.now());
        if (typeof request === "string") return callback(invalid(request), null);
        store.save(request).then((result) => callback(null, saveResultToWire(result, o.now())), fail("Save", callback));
      } catch (err) {
        fail("Save", callback)(err);
      }
    },
    lookup(call, callback) {
      try {
        const aor = call.request.aor;
        if (aor === "") return callback(invalid("aor is required"), null);
        store.lookup(aor).then((bindings) => {
          const now = o.now();
          callback(null, { bindings: bindings.map((b) => bindingToWire(b, now)) });
        }, fail("Lookup", callback));
      } catch (err) {
        fail("Lookup", callback)(err);
      }
    },
    remove(call, callback) {
      try {
        const { aor, keys } = call.request;
        if (aor === "") return callback(invalid("aor is required"), null);
        if (keys.some((k) => k === "")) return callback(invalid("keys: an empty key"), null);
        store.remove(aor, keys).then((removed) => callback(null, { removed }), fail("Remove", callback));
      } catch (err) {
        fail("Remove", callback)(err);
      }
    },
    list(call, callback) {
      try {
        const { pageSize, pageToken } = call.request;
        const size = pageSize === 0 ? o.defaultPageSize : Math.min(pageSize, o.maxPageSize);
        store.list(size, pageToken === "" ? undefined : pageToken).then((page) => callback(null, listPageToWire(page, o.now())), fail("List", callback));
      } catch (err) {
        fail("List", callback)(err);
      }
    },
  };

  const server = new Server(o.serverOptions);
  server.addService(LocationServiceService, handlers);
  return server;
}

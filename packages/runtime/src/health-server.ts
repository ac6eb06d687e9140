import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";

/** One readiness check: true when the dependency it names is usable now. */
export type HealthCheck = () => Promise<boolean> | boolean;

export interface HealthServerOptions {
  /** `host:port` to listen on (IPv6 in brackets); port 0 takes a free one (see `address`). */
  listen: string;
  /** Readiness checks by name, all run on every GET /readyz. Liveness runs none of them. */
  checks: Record<string, HealthCheck>;
  /** More GET paths served beside /livez and /readyz: the Prometheus /metrics. */
  routes: Record<string, HealthRoute>;
  /** Longest one check may take; a slower one counts as failed. */
  timeoutMs: number;
  logger: Logger;
}

export const DEFAULT_HEALTH_SERVER_OPTIONS: Pick<HealthServerOptions, "timeoutMs" | "routes"> = { timeoutMs: 1000, routes: {} };

export interface HealthServer {
  /** The bound `host:port`. */
  readonly address: string;
  /**
   * From now on /readyz answers 503: a graceful stop calls this first, so the load balancer takes
   * the pod out of rotation while it finishes the work in hand.
   */
  draining(): void;
  stop(): Promise<void>;
}

/** A request handler for one path. */
export type HealthRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Runs one check bounded by timeoutMs; a throw, a rejection or a timeout is false. */
async function runCheck(check: HealthCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const result = Promise.resolve().then(check).then((ok) => ok === true, () => false);
    return await Promise.race([result, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new Error(`HEALTH_LISTEN: expected host:port, got "${text}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/**
 * Serves GET /livez (200 while the process runs: it checks no dependency, so a NATS or Redis
 * outage never restarts pods) and GET /readyz (200 when every check passes and the process is not
 * draining, else 503; body `{status, checks}`), and any path of `routes`. Any other path: 404. Plain node:http, no TLS: it
 * is for the kubelet on the pod network.
 */
export async function startHealthServer(options: Partial<HealthServerOptions> & Pick<HealthServerOptions, "listen" | "checks" | "logger">): Promise<HealthServer> {
  const o: HealthServerOptions = { ...DEFAULT_HEALTH_SERVER_OPTIONS, ...options };
  const { host, port } = parseListen(o.listen);
  let isDraining = false;

  const routes = new Map<string, HealthRoute>([
    ...Object.entries(o.routes),
    ["/livez", (_req, res) => sendJson(res, 200, { status: "ok" })],
    [
      "/readyz",
      async (_req, res) => {
        const names = Object.keys(o.checks);
        const results = await Promise.all(names.map((name) => runCheck(o.checks[name]!, o.timeoutMs)));
        const checks: Record<string, boolean> = {};
        names.forEach((name, i) => (checks[name] = results[i]!));
        const ready = !isDraining && results.every((ok) => ok);
        sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", ...(isDraining ? { draining: true } : {}), checks });
      },
    ],
  ]);

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const route = routes.get(path);
    if (route === undefined || (req.method !== "GET" && req.method !== "HEAD")) {
      sendJson(res, route === undefined ? 404 : 405, { status: route === undefined ? "not found" : "method not allowed" });
      return;
    }
    Promise.resolve()
      .then(() => route(req, res))
      .catch((err: unknown) => {
        o.logger.warn({ err, path }, "health route failed");
        if (!res.headersSent) sendJson(res, 500, { status: "error" });
        else res.destroy();
      });
  });
  // Probes keep no connection open worth waiting for at stop().
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const address = `${host.includes(":") ? `[${host}]` : host}:${bound}`;
  o.logger.info({ address }, "health server listening");

  let stopping: Promise<void> | undefined;
  return {
    address,
    draining: () => {
      if (!isDraining) o.logger.info({ address }, "draining: /readyz answers 503");
      isDraining = true;
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

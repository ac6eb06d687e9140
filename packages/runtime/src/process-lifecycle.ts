import type { Logger } from "pino";
import { startHealthServer, type HealthCheck, type HealthRoute, type HealthServer } from "./health-server.js";

export interface Stoppable {
  /** Graceful: stop taking work, finish what is in hand, release connections. */
  stop(): Promise<void>;
  /**
   * The process's health server, if it has one: runService marks it draining before stop(), so
   * /readyz answers 503 and the load balancer takes the process out first.
   */
  readonly health?: Pick<HealthServer, "draining">;
}

export interface RunOptions {
  /** Longest a graceful stop may take before the process exits anyway (exit code 1). */
  stopTimeoutMs: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { stopTimeoutMs: 30_000 };

/**
 * `SIPFLEET_STOP_TIMEOUT_MS` when set (the Helm chart sets it a little under the pod's
 * terminationGracePeriodSeconds, so an edge draining 32 s transactions is not cut at 30 s).
 * Throws naming the variable when it is not a positive whole number of milliseconds.
 */
export function stopTimeoutFromEnv(env: NodeJS.ProcessEnv): Partial<RunOptions> {
  const text = env["SIPFLEET_STOP_TIMEOUT_MS"];
  if (text === undefined || text === "") return {};
  const ms = Number(text);
  if (!(Number.isInteger(ms) && ms > 0)) throw new Error(`SIPFLEET_STOP_TIMEOUT_MS: expected a positive whole number of milliseconds, got "${text}"`);
  return { stopTimeoutMs: ms };
}

const stopHooks: (() => Promise<void>)[] = [];

/**
 * Work to do after the service has stopped and before the process exits (flushing buffered
 * spans, say). Hooks run in parallel; a failing one is logged, never blocks the exit beyond the
 * stop timeout.
 */
export function onProcessStop(hook: () => Promise<void>): void {
  stopHooks.push(hook);
}

async function runStopHooks(logger: Logger): Promise<void> {
  await Promise.all(stopHooks.map((hook) => hook().catch((err: unknown) => logger.warn({ err }, "stop hook failed"))));
}

/**
 * Runs a service as the process's main: starts it, and on SIGTERM or SIGINT stops it gracefully
 * and exits 0. A start-up failure (bad configuration, unreachable dependency that is required at
 * start) exits 1 with the reason logged. A second signal exits at once.
 */
export async function runService(
  logger: Logger,
  start: () => Promise<Stoppable>,
  options: Partial<RunOptions> = {},
): Promise<void> {
  let o: RunOptions;
  let service: Stoppable;
  try {
    o = { ...DEFAULT_RUN_OPTIONS, ...stopTimeoutFromEnv(process.env), ...options };
    service = await start();
  } catch (e) {
    logger.fatal({ err: e }, "start-up failed");
    process.exitCode = 1;
    // Let the log line reach stderr before the process ends.
    setImmediate(() => process.exit(1));
    return;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "stopping");
    const timer = setTimeout(() => {
      logger.error({ stopTimeoutMs: o.stopTimeoutMs }, "graceful stop took too long; exiting");
      process.exit(1);
    }, o.stopTimeoutMs);
    timer.unref();
    service.health?.draining();
    service.stop().then(
      async () => {
        await runStopHooks(logger);
        logger.info({}, "stopped");
        process.exit(0);
      },
      (e: unknown) => {
        logger.error({ err: e }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/**
 * The health server a main asks for through `HEALTH_LISTEN` (host:port): started with `checks`
 * and any further `routes` (the Prometheus /metrics), or undefined when the variable is unset (tests and the local runner run without one).
 */
export async function healthServerFromEnv(
  env: NodeJS.ProcessEnv,
  checks: Record<string, HealthCheck>,
  logger: Logger,
  routes: Record<string, HealthRoute> = {},
): Promise<HealthServer | undefined> {
  const listen = env["HEALTH_LISTEN"];
  if (listen === undefined || listen === "") return undefined;
  return startHealthServer({ listen, checks, logger, routes });
}

/** `service` with its health server: runService drains it first, and stop() closes it last. */
export function withHealth(service: Stoppable, health: HealthServer | undefined): Stoppable {
  if (health === undefined) return service;
  return {
    health,
    stop: async () => {
      health.draining();
      try {
        await service.stop();
      } finally {
        await health.stop();
      }
    },
  };
}

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A server process a test started itself (nats-server, redis-server) on a free port. Only this
 * handle stops it, by its PID: tests never touch the machine's shared servers.
 */
export interface EngineProcess {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** e.g. nats://127.0.0.1:4333 or redis://127.0.0.1:6400 */
  readonly url: string;
  readonly pid: number;
  /** SIGKILL (a crash) when `hard`, else SIGTERM; resolves once the process has exited. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port with the same data directory (after stop()). */
  restart(): Promise<void>;
}

export class EngineMissingError extends Error {
  constructor(binary: string) {
    super(`${binary} is not installed (not found on PATH); install it (Debian: see README "Tests") to run this test`);
    this.name = "EngineMissingError";
  }
}

export function hasBinary(binary: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${binary}`], { stdio: "ignore" }).status === 0;
}

export interface EngineSpec {
  name: string;
  binary: string;
  host: string;
  port: number;
  scheme: string;
  args: (dataDir: string) => string[];
  /** How long to wait for the port to accept connections. */
  startTimeoutMs: number;
}

export async function startEngine(spec: EngineSpec): Promise<EngineProcess> {
  if (!hasBinary(spec.binary)) throw new EngineMissingError(spec.binary);
  const dataDir = mkdtempSync(join(tmpdir(), `sipfleet-${spec.name}-`));
  let child: ChildProcess | undefined;
  let stderr = "";

  const launch = async (): Promise<void> => {
    stderr = "";
    const c = spawn(spec.binary, spec.args(dataDir), { stdio: ["ignore", "ignore", "pipe"] });
    c.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child = c;
    const exited = new Promise<never>((_, reject) =>
      c.once("exit", (code, signal) => reject(new Error(`${spec.name} exited during start (code ${code}, signal ${signal}): ${stderr.trim()}`))),
    );
    exited.catch(() => {});
    await Promise.race([waitForPort(spec.host, spec.port, spec.startTimeoutMs, spec.name), exited]);
  };

  const stop = async (hard = false): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    process.kill(c.pid as number, hard ? "SIGKILL" : "SIGTERM");
    await gone;
  };

  await launch();
  const handle: EngineProcess = {
    name: spec.name,
    host: spec.host,
    port: spec.port,
    url: `${spec.scheme}://${spec.host}:${spec.port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    restart: launch,
  };
  // A test that forgets to stop its server must not leave it running after the test process.
  process.once("exit", () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });
  return handle;
}

async function waitForPort(host: string, port: number, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not accept connections on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

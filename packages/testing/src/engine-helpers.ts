import { execFile, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";

/*
 * What the multi-process engine harnesses (Redis Cluster, Redis Sentinel, NATS cluster) share:
 * polling until a condition holds, SIGKILL of a child they started (by PID, never by name), and
 * redis-cli against one node.
 */

const run = promisify(execFile);

/** Polls `ok` every 100 ms until it is true; a throw counts as false. Rejects naming `what` after timeoutMs. */
export async function waitFor(ok: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(ok).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGKILL to a child this process started, resolved once it has exited. */
export function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    process.kill(child.pid as number, "SIGKILL");
  });
}

/** `redis-cli -h host -p port args...`, its stdout; 2 s at most. */
export async function redisCli(node: { readonly host: string; readonly port: number }, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", node.host, "-p", String(node.port), ...args], { encoding: "utf8", timeout: 2000 });
  return stdout;
}

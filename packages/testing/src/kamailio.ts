import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineMissingError, hasBinary } from "./engine-process.js";

/*
 * Kamailio of the caller's own (the e2e call flows' reference proxy, the benchmarks' comparison):
 * one starter, so every user gets the same isolation (its own pid file and runtime directory) and
 * the same stop (SIGTERM, SIGKILL after 5 s), by PID.
 */

/** The kamailio binary (Debian installs it in /usr/sbin, not always on a user's PATH), if any. */
export function kamailioBinary(): string | undefined {
  if (hasBinary("kamailio")) return "kamailio";
  return existsSync("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : undefined;
}

export interface KamailioProcess {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** Whether the main process still runs. */
  running(): boolean;
  /** What Kamailio wrote to stderr (bounded), for a failure's message. */
  logs(): string;
  /** SIGTERM to the main process (it stops its children), SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface KamailioOptions {
  /** Config template: `{{PORT}}` and every key of `substitutions` (as `{{KEY}}`) are filled in. */
  config: string;
  port: number;
  substitutions?: Readonly<Record<string, string>>;
  /** Shared memory (-m) and private memory per process (-M), MiB. Defaults 64 and 8. */
  sharedMemoryMb?: number;
  privateMemoryMb?: number;
  /**
   * Resolves once this Kamailio serves (a bound port, its workers forked...): what "ready" means
   * differs between users. Raced against the process exiting, which fails the start.
   */
  ready(kamailio: KamailioProcess): Promise<void>;
}

export async function startKamailio(options: KamailioOptions): Promise<KamailioProcess> {
  const binary = kamailioBinary();
  if (binary === undefined) throw new EngineMissingError("kamailio");
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-kamailio-"));
  const cfg = join(dir, "kamailio.cfg");
  let text = readFileSync(options.config, "utf8").replaceAll("{{PORT}}", String(options.port));
  for (const [key, value] of Object.entries(options.substitutions ?? {})) text = text.replaceAll(`{{${key}}}`, value);
  writeFileSync(cfg, text);

  // -DD: the creator stays in the foreground as our child (its workers fork from it), so the PID
  // is ours; -E: log to stderr; its own pid file and runtime directory, so no other Kamailio on
  // the machine is ever touched.
  const args = ["-DD", "-E", "-f", cfg, "-P", join(dir, "kamailio.pid"), "-Y", dir, "-w", dir];
  args.push("-m", String(options.sharedMemoryMb ?? 64), "-M", String(options.privateMemoryMb ?? 8));
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  const onExit = (): void => {
    if (running()) child.kill("SIGTERM");
    cleanUp();
  };
  // A caller that forgets to stop it must not leave it running after its own process.
  process.once("exit", onExit);

  const stop = async (): Promise<void> => {
    if (running()) {
      process.kill(child.pid as number, "SIGTERM");
      const killer = setTimeout(() => running() && child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
    process.removeListener("exit", onExit);
    cleanUp();
  };

  const handle: KamailioProcess = {
    host: "127.0.0.1",
    port: options.port,
    pid: child.pid as number,
    running,
    logs: () => stderr,
    stop,
  };
  try {
    const died = exited.then(() => {
      throw new Error(`kamailio exited at start (${child.exitCode ?? child.signalCode}):\n${stderr.trim()}`);
    });
    await Promise.race([options.ready(handle), died]);
  } catch (e) {
    await stop();
    throw e;
  }
  return handle;
}

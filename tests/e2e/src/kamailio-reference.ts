// Kamailio as the reference proxy + registrar for the call-flow scenarios: what Sipfleet's proxy is
// held to. The test's own process on a free loopback port, from a copy of
// scenarios/calls/kamailio-reference.cfg in a temporary directory, stopped by its PID.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineMissingError, freePort, hasBinary } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { waitForUdpPort } from "./udp-ports.js";

export const KAMAILIO_REFERENCE_CFG = join(CALL_SCENARIOS, "kamailio-reference.cfg");

/** The kamailio binary (Debian installs it in /usr/sbin, not always on a user's PATH), if any. */
export function kamailioBinary(): string | undefined {
  if (hasBinary("kamailio")) return "kamailio";
  return existsSync("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : undefined;
}

export interface ReferenceProxy {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** What Kamailio wrote to stderr (bounded), for a failing test's message. */
  logs(): string;
  /** SIGTERM to the main process (it stops its children); resolves once it has exited. */
  stop(): Promise<void>;
}

export async function startKamailioReference(options: { port?: number } = {}): Promise<ReferenceProxy> {
  const binary = kamailioBinary();
  if (binary === undefined) throw new EngineMissingError("kamailio");
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-kamailio-"));
  const cfg = join(dir, "kamailio.cfg");
  writeFileSync(cfg, readFileSync(KAMAILIO_REFERENCE_CFG, "utf8").replaceAll("{{PORT}}", String(port)));

  // -DD: stay in the foreground so the PID is ours; -E: log to stderr; its own pid file and
  // runtime directory, so no other Kamailio on the machine is ever touched.
  const child: ChildProcess = spawn(
    binary,
    ["-DD", "-E", "-f", cfg, "-P", join(dir, "kamailio.pid"), "-Y", dir, "-w", dir, "-m", "64", "-M", "8"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  const onExit = (): void => {
    if (running()) child.kill("SIGTERM");
    cleanUp();
  };
  // A test that forgets to stop it must not leave it running after the test process.
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

  try {
    await waitForUdpPort(port, {
      timeoutMs: 10_000,
      what: "kamailio",
      gaveUp: () => (running() ? undefined : `exit ${child.exitCode ?? child.signalCode}: ${stderr.trim()}`),
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: "127.0.0.1", port, pid: child.pid as number, logs: () => stderr, stop };
}

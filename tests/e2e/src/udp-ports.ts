// Whether a process has bound a UDP port yet, read from the kernel's socket table: probing by
// binding the port ourselves would race the process for it.
import { readFileSync } from "node:fs";
import { sleep } from "./fixtures.js";

/**
 * True when some socket is bound to UDP `port` (IPv4 or IPv6, any address), per /proc/net/udp*.
 * Undefined where there is no /proc (not Linux): the caller falls back to waiting a while.
 */
export function isUdpPortBound(port: number): boolean | undefined {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let found: boolean | undefined;
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "latin1");
    } catch {
      continue;
    }
    found ??= false;
    // Rows: "  sl  local_address rem_address ...": the local address is the second column.
    for (const row of text.split("\n").slice(1)) {
      const local = row.trim().split(/\s+/)[1];
      if (local?.endsWith(hex)) return true;
    }
  }
  return found;
}

/**
 * Resolves once UDP `port` is bound. Rejects after `timeoutMs`, or as soon as `gaveUp()` says the
 * process that should bind it has ended. Without /proc it waits `fallbackMs` and hopes.
 */
export async function waitForUdpPort(
  port: number,
  options: { timeoutMs: number; gaveUp?: () => string | undefined; fallbackMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const bound = isUdpPortBound(port);
    if (bound === undefined) {
      await sleep(options.fallbackMs ?? 1000);
      return;
    }
    if (bound) return;
    const reason = options.gaveUp?.();
    if (reason !== undefined) throw new Error(`${options.what} ended before binding UDP port ${port}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`${options.what} did not bind UDP port ${port} within ${options.timeoutMs} ms`);
    await sleep(20);
  }
}

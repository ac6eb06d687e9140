// What the end-to-end tests share: a config file of their own, free ports, scenario paths.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { computeHa1 } from "@sipfleet/sip";

export const SCENARIOS = fileURLToPath(new URL("../scenarios/", import.meta.url));

export const DIGEST_DOMAIN = "sipfleet.local";
export const OPEN_DOMAIN = "bench.sipfleet.local";
export const USERS = [
  ["alice", "alice-secret"],
  ["bob", "bob-secret"],
  ["carol", "carol-secret"],
] as const;

/**
 * `edgeYaml` that turns the edge's OPTIONS pings to trunk gateways off: a sipp gateway that plays
 * one call would take a ping for a call of its own and fail it (gateway-health.test.ts pings).
 */
export const NO_GATEWAY_PINGS = "  gatewayPing: { intervalMs: 0 }\n";

export interface TestConfigOptions {
  /** Digest algorithms offered, strongest first by default. */
  algorithms?: readonly string[];
  minExpires?: number;
  decisionTimeoutMs?: number;
  /** YAML lines added to the edge section, indented as its keys (`  rateLimit: {...}`, NO_GATEWAY_PINGS). */
  edgeYaml?: string;
  /** YAML appended as is: a `trunks:` section (trunk-calls.test.ts). */
  extraYaml?: string;
  /** YAML lines added to the digest domain, indented as its keys (`    allowedPrefixes: [...]`). */
  digestDomainYaml?: string;
  /** Per user of the digest domain, YAML lines added to its entry, indented as its keys (`        maxConcurrentCalls: 1`). */
  userYaml?: Readonly<Partial<Record<string, string>>>;
}

/**
 * The load tests send hundreds of requests a second from 127.0.0.1, as no single real source
 * does: the rate limit is set out of their way unless the test is about it (security.test.ts).
 */
const NO_RATE_LIMIT = "  rateLimit: { requestsPerSecond: 1000000 }\n";

/**
 * A YAML config with the digest domain (alice, bob, carol, as in deploy/local/sipfleet.yaml) and
 * the open benchmark domain, written to a temporary file. Returns its path.
 */
export function writeTestConfig(options: TestConfigOptions = {}): string {
  const users = USERS.map(
    ([name, password]) =>
      `      - name: ${name}\n        ha1:\n          md5: "${computeHa1(name, DIGEST_DOMAIN, password, "MD5")}"\n          sha256: "${computeHa1(name, DIGEST_DOMAIN, password, "SHA-256")}"` +
      (options.userYaml?.[name] === undefined ? "" : `\n${options.userYaml[name]!.replace(/\n$/, "")}`),
  ).join("\n");
  const yaml = `domains:
  - name: ${DIGEST_DOMAIN}
    authentication: digest
${options.digestDomainYaml ?? ""}    users:
${users}
  - name: ${OPEN_DOMAIN}
    authentication: none
registrar:
  minExpires: ${options.minExpires ?? 1}
  defaultExpires: 3600
  maxExpires: 7200
auth:
  algorithms: [${(options.algorithms ?? ["SHA-256", "MD5"]).join(", ")}]
edge:
  listen: udp:127.0.0.1:5060,tcp:127.0.0.1:5060
  decisionTimeoutMs: ${options.decisionTimeoutMs ?? 2000}
${options.edgeYaml ?? ""}${options.edgeYaml?.includes("rateLimit") ? "" : NO_RATE_LIMIT}${options.extraYaml ?? ""}`;
  const dir = mkdtempSync(join(tmpdir(), "sipfleet-e2e-"));
  const path = join(dir, "sipfleet.yaml");
  writeFileSync(path, yaml);
  return path;
}

/** SIPFLEET_LISTEN for UDP and TCP on one port. */
export function listenOn(port: number): string {
  return `udp:127.0.0.1:${port},tcp:127.0.0.1:${port}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface DigestRegistration {
  readonly user: string;
  readonly exitCode: number | null;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  readonly stderr: string;
}

/**
 * sipp REGISTERs each user with digest authentication (one sipp run per user: sipp takes the
 * credentials from -au/-ap only). `password` overrides every user's password.
 */
export async function registerWithDigest(
  target: string,
  transport: "udp" | "tcp",
  users: readonly (readonly [string, string])[],
  options: { password?: string; expires?: number; timeoutMs?: number } = {},
): Promise<DigestRegistration[]> {
  const { runSipp } = await import("@sipfleet/testing");
  const out: DigestRegistration[] = [];
  for (const [user, password] of users) {
    const r = await runSipp({
      scenario: join(SCENARIOS, "register-digest.xml"),
      target,
      transport,
      inject: [[user, DIGEST_DOMAIN, "-", String(options.expires ?? 300)]],
      calls: 1,
      args: ["-au", user, "-ap", options.password ?? password],
      timeoutMs: options.timeoutMs ?? 15_000,
    });
    out.push({ user, exitCode: r.exitCode, successfulCalls: r.successfulCalls, failedCalls: r.failedCalls, stderr: r.stderr });
  }
  return out;
}

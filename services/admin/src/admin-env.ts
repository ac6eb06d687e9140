import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.js";
import { DEFAULT_ADMIN_SERVER_OPTIONS, parseListen } from "./admin-server.js";
import { parseTokens, type TokenTable } from "./tokens.js";

export interface AdminEnvOptions {
  listen: string;
  tokens: TokenTable;
  /** The location replicas (host:port each, or one dns:/// target). */
  locations: string[];
}

/** The token table from ADMIN_TOKENS (inline) or ADMIN_TOKENS_FILE (a path); exactly one of them. */
function tokensFromEnv(env: NodeJS.ProcessEnv): TokenTable {
  const inline = env["ADMIN_TOKENS"];
  const file = env["ADMIN_TOKENS_FILE"];
  const hasInline = inline !== undefined && inline !== "";
  const hasFile = file !== undefined && file !== "";
  if (hasInline && hasFile) throw new ConfigError("ADMIN_TOKENS: set either ADMIN_TOKENS or ADMIN_TOKENS_FILE, not both");
  if (hasFile) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`ADMIN_TOKENS_FILE: cannot read ${file}: ${(err as Error).message}`);
    }
    return parseTokens(text, "ADMIN_TOKENS_FILE");
  }
  return parseTokens(inline ?? "", "ADMIN_TOKENS");
}

/** The service settings the environment gives; throws ConfigError naming the variable. */
export function adminOptionsFromEnv(env: NodeJS.ProcessEnv): AdminEnvOptions {
  const listen = env["ADMIN_LISTEN"] ?? DEFAULT_ADMIN_SERVER_OPTIONS.listen;
  parseListen(listen);
  const tokens = tokensFromEnv(env);
  const locations = (env["LOCATION_ADDRESSES"] ?? "127.0.0.1:50051")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (locations.length === 0) throw new ConfigError("LOCATION_ADDRESSES: expected host:port[,host:port...] or a dns:/// target");
  return { listen, tokens, locations };
}

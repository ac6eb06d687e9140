// `pnpm start`: the whole platform in one process, nothing installed beyond Node.
import { loadConfig } from "@sipfleet/config";
import { createLogger, runService } from "@sipfleet/runtime";
import { DEFAULT_CONFIG_PATH } from "./config-path.js";
import { startEmbedded } from "./embedded.js";

const logger = createLogger("sipfleet");

await runService(logger, async () => {
  const config = loadConfig({ env: process.env, defaultPath: DEFAULT_CONFIG_PATH });
  const platform = await startEmbedded(config, logger);
  const listening = platform.edge.addresses.map((a) => `${a.transport}:${a.host}:${a.port}`);
  logger.info({ listening, domains: [...config.domains.keys()] }, "sipfleet ready (embedded: every tier in this process)");
  return platform;
});

import { fileURLToPath } from "node:url";

/** deploy/local/sipfleet.yaml: the configuration used when SIPFLEET_CONFIG names none. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL("../sipfleet.yaml", import.meta.url));

export { startEmbedded, type EmbeddedPlatform } from "./embedded.js";
export { startCluster, shiftPorts, type Cluster, type ClusterOptions, type ClusterProcess, type Tier } from "./cluster.js";
export { DEFAULT_CONFIG_PATH } from "./config-path.js";

export { freePort, freePortRun } from "./ports.js";
export { type EngineProcess, EngineMissingError, hasBinary } from "./engine-process.js";
export { startNatsServer, startRedisServer } from "./engines.js";
export { hasSipp, runSipp, type SippRun, type SippResult } from "./sipp.js";
export { writeTestCertificates, type TestCertificates, type TestKeyPair } from "./certificates.js";
export { kamailioBinary, startKamailio, type KamailioOptions, type KamailioProcess } from "./kamailio.js";
export { recordingLogger, type RecordingLogger, type LoggedLine } from "./recording-logger.js";
export { startDnsServer, type DnsRecord, type DnsServer } from "./dns-server.js";
export { startOtlpReceiver, flattenExport, describeSpans, DEFAULT_WAIT_FOR_MS, type OtlpReceiver, type ReceivedSpan, type ReceivedSpanKind, type ReceivedEvent, type PlainValue } from "./otlp-receiver.js";
export {
  parsePrometheusText,
  sumSamples,
  hasSample,
  scrapeMetrics,
  prometheusCounter,
  prometheusGauge,
  prometheusHistogramCount,
  prometheusLabel,
  type PrometheusSample,
} from "./prometheus-text.js";
export { startKubeApiServer, type KubeApiServer, type KubeApiRequest, type KubeObject } from "./kube-api-server.js";
export { startRedisCluster, DEFAULT_REDIS_CLUSTER_OPTIONS, type RedisCluster, type RedisClusterNode, type RedisClusterOptions, type RedisFailover } from "./redis-cluster.js";
export { startNatsCluster, DEFAULT_NATS_CLUSTER_OPTIONS, type NatsCluster, type NatsClusterNode, type NatsClusterOptions } from "./nats-cluster.js";
export { startRedisSentinel, DEFAULT_REDIS_SENTINEL_OPTIONS, type RedisSentinelSet, type RedisSentinelNode, type RedisSentinelOptions } from "./redis-sentinel.js";

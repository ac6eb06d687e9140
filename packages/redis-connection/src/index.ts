export {
  createRedisConnection,
  DEFAULT_REDIS_CONNECTION_OPTIONS,
  parseRedisTarget,
  redisClusterFlag,
  RedisConfigError,
  type RedisConnectionOptions,
  type RedisTarget,
} from "./redis-target.js";

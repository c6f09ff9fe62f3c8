import { Redis, type RedisOptions } from 'ioredis';

/** What a Redis connection is for; each role gets the options BullMQ and grammY want for it. */
export type RedisRole = 'worker' | 'producer' | 'sessions';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  // Blocking worker commands must wait for Redis forever rather than fail after N retries.
  worker: { maxRetriesPerRequest: null },
  // A producer fails fast while Redis is down instead of buffering jobs in memory.
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 3 },
  // The session adapter writes bare keys; a prefix keeps them in their own namespace.
  sessions: { keyPrefix: 'session:', maxRetriesPerRequest: 3 },
};

/** Opens a Redis connection for `role`; resolves once it is ready. */
export async function connectRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { ...ROLE_OPTIONS[role], ...extra, lazyConnect: true });
  await redis.connect();
  return redis;
}

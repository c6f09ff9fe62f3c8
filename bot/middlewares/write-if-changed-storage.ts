import type { StorageAdapter } from 'grammy';

/**
 * grammY writes a session back whenever a handler has read it, changed or not; the locale lookup
 * reads it on every update. This decorator remembers what each key held when last read and skips
 * the write when nothing changed: half the Redis traffic, and an unchanged session can no longer
 * overwrite a newer value another bot instance stored meanwhile. One user's updates run in order
 * (sequentialize), so the remembered value is the one this update read.
 */
export function writeIfChanged<T>(
  storage: StorageAdapter<T>,
  options: { maxKeys?: number } = {},
): StorageAdapter<T> {
  const maxKeys = options.maxKeys ?? 10_000;
  const lastSeen = new Map<string, string>();
  const remember = (key: string, serialized: string) => {
    lastSeen.delete(key);
    lastSeen.set(key, serialized);
    if (lastSeen.size > maxKeys) lastSeen.delete(lastSeen.keys().next().value!);
  };
  return {
    async read(key) {
      const value = await storage.read(key);
      if (value === undefined) lastSeen.delete(key);
      else remember(key, JSON.stringify(value));
      return value;
    },
    async write(key, value) {
      const serialized = JSON.stringify(value);
      if (lastSeen.get(key) === serialized) return;
      await storage.write(key, value);
      remember(key, serialized);
    },
    async delete(key) {
      lastSeen.delete(key);
      await storage.delete(key);
    },
  };
}

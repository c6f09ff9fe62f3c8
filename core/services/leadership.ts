/**
 * Leadership of a watcher among worker processes: the port the Stellar and EVM watchers take as a
 * dependency so that only one process reads a chain at a time. core/adapters/leader-lock.ts
 * implements it with a Postgres advisory lock on a dedicated connection.
 */

/**
 * At most one process at a time holds the lock of one watcher. Whoever holds it keeps it until it
 * calls {@link LeaderLock.release} or loses its hold (its process dies, or the connection behind the
 * lock fails); others take it over from then on.
 */
export interface LeaderLock {
  /** The watcher's name (its name in `watcher_cursors`). */
  readonly name: string;
  /**
   * This process's current term as leader, taking the lock first if it is free; `null` while
   * another process holds it. While a term lasts every call returns the same signal, which aborts
   * the moment the term ends (hold lost, or released). Rejects if the lock cannot be reached; the
   * caller tries again later.
   */
  lead(): Promise<AbortSignal | null>;
  /** Ends the current term, if any, and gives the lock up; `lead()` may be called again afterwards. */
  release(): Promise<void>;
}

/**
 * A {@link LeaderLock} for a process that knows it runs alone (benchmarks, tests of one watcher):
 * it always leads at once, excluding nobody; `release` ends the term.
 */
export function createSoleLeaderLock(name: string): LeaderLock {
  let term: AbortController | null = null;
  return {
    name,
    async lead() {
      term ??= new AbortController();
      return term.signal;
    },
    async release() {
      term?.abort();
      term = null;
    },
  };
}

import pg from 'pg';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { LeaderLock } from '../services/leadership.ts';

/** Options of {@link createLeaderLock}. */
export interface LeaderLockOptions {
  /**
   * A direct PostgreSQL connection: a session lock means nothing through a pooler that hands the
   * session to others between transactions (PgBouncer in transaction mode).
   */
  connectionString: string;
  /** The watcher's name; its lock is keyed `watcher:<name>`. */
  name: string;
  logger: Logger;
  /** How often the leader asks its connection whether it still answers (default 2000 ms). */
  heartbeatMs?: number;
  /**
   * Longest a connect, a lock attempt or a heartbeat may take before the connection counts as lost
   * (default 5000 ms).
   */
  timeoutMs?: number;
}

/** Why a term ended without being released: the connection that held the lock failed. */
export class LeadershipLostError extends AppError {
  constructor(name: string, cause: unknown) {
    super('LEADERSHIP_LOST', `lost the lock of watcher ${name}`, { name }, { cause });
  }
}

/**
 * A {@link LeaderLock} on a Postgres session-level advisory lock, held on a connection of its own
 * (kept open while following too, so that retries cost one query). The lock lives exactly as long
 * as that session: when the process dies or the connection fails, Postgres releases it and another
 * process takes it on its next attempt. The holder learns of a failure from the connection's error
 * (at once when the server ends the session) or from a heartbeat that fails or goes unanswered;
 * either way the term's signal aborts and the connection is dropped, so a hold this process no
 * longer trusts is also let go on the server.
 *
 * The key, `hashtextextended('watcher:<name>', 0)`, is the one the EVM watcher's earlier per-poll
 * transaction lock used: session and transaction advisory locks share one key space, so during a
 * rolling deploy old and new processes still exclude each other.
 */
export function createLeaderLock(options: LeaderLockOptions): LeaderLock {
  const { name } = options;
  const key = `watcher:${name}`;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const log = options.logger.child({ leaderLock: name });
  let client: pg.Client | null = null;
  let term: AbortController | null = null;
  let attempt: Promise<AbortSignal | null> | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
  // Logs only changes of role, not every attempt of a follower.
  let role: 'leader' | 'follower' | null = null;

  /** Forgets a connection that failed; if it held the lock, the lock went with it. */
  const lose = (failed: pg.Client, reason: unknown) => {
    if (client !== failed) return;
    client = null;
    clearTimeout(heartbeat);
    // Ending it also matters when only a heartbeat timed out: the server must not keep a hold this
    // process has stopped acting on.
    void endWithin(failed, timeoutMs);
    if (term) {
      term.abort(new LeadershipLostError(name, reason));
      term = null;
      role = null;
      log.info({ err: reason }, 'lost the lead: the lock connection failed');
    }
  };

  const connect = async (): Promise<pg.Client> => {
    const fresh = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      keepAlive: true,
      application_name: `leader:${name}`.slice(0, 63),
    });
    fresh.on('error', (error) => lose(fresh, error));
    fresh.on('end', () => lose(fresh, new Error('the lock connection closed')));
    await fresh.connect();
    return fresh;
  };

  const beat = (held: pg.Client) => {
    heartbeat = setTimeout(() => {
      held.query('SELECT 1').then(
        () => {
          if (client === held && term) beat(held);
        },
        (error: unknown) => lose(held, error),
      );
    }, heartbeatMs);
    heartbeat.unref();
  };

  const take = async (): Promise<AbortSignal | null> => {
    client ??= await connect();
    const held = client;
    let locked: boolean;
    try {
      const { rows } = await held.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [key],
      );
      locked = rows[0]?.locked === true;
    } catch (error) {
      // A timed-out attempt may still be granted on the server: only dropping the session is sure.
      lose(held, error);
      throw error;
    }
    // The connection failed (or was released) while asking: whatever it took went with it.
    if (client !== held) return null;
    if (!locked) {
      if (role !== 'follower') log.info('another process leads; following');
      role = 'follower';
      return null;
    }
    term = new AbortController();
    role = 'leader';
    beat(held);
    log.info('leading: took the lock');
    return term.signal;
  };

  return {
    name,

    lead() {
      if (term) return Promise.resolve(term.signal);
      attempt ??= take().finally(() => {
        attempt = null;
      });
      return attempt;
    },

    async release() {
      await attempt?.catch(() => undefined);
      const held = client;
      const leading = term !== null;
      client = null;
      role = null;
      clearTimeout(heartbeat);
      // Aborted first: nothing acts as leader from here on, even before the server agrees.
      term?.abort();
      term = null;
      if (!held) return;
      // Unlocking before closing makes the hand-over immediate, not whenever the backend exits.
      if (leading)
        await held.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
      await endWithin(held, timeoutMs);
      if (leading) log.info('gave up the lead');
    },
  };
}

/** Ends a connection, giving up waiting after `ms` (ending a broken one may never settle). */
function endWithin(connection: pg.Client, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    connection
      .end()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });
}

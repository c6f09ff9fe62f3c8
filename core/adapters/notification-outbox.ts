/**
 * The notification outbox (table `notification_outbox`) on Postgres. A row is written in the same
 * transaction as the change it announces, so the announcement exists exactly when the change does;
 * see core/services/notification-outbox.ts for how rows are queued and released.
 *
 * One set of statements serves both database clients of the codebase: the deposit store's raw `pg`
 * transactions and Prisma's (the Stars path, the sweeper).
 */
import type pg from 'pg';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Notification, NotificationOutbox, StagedNotifications } from '../ports.ts';
import { notificationJob } from '../queues.ts';
import type { PrismaClient } from './prisma-client.ts';
import { NOW_UTC, utcTimestamp } from './sql-time.ts';

/** Runs one statement with positional parameters and returns its rows. */
export type SqlRunner = <Row>(text: string, params: unknown[]) => Promise<Row[]>;

/** A {@link SqlRunner} on a `pg` pool or a client inside a transaction. */
export function pgRunner(client: pg.Pool | pg.PoolClient): SqlRunner {
  return async <Row>(text: string, params: unknown[]) => (await client.query(text, params)).rows as Row[];
}

/** A {@link SqlRunner} on Prisma, or on the client of a Prisma interactive transaction. */
export function prismaRunner(prisma: Pick<PrismaClient, '$queryRawUnsafe'>): SqlRunner {
  return <Row>(text: string, params: unknown[]) => prisma.$queryRawUnsafe<Row[]>(text, ...params);
}

/**
 * Writes the notifications as one outbox row with whatever runs `sql` (call it inside the
 * transaction that makes the change they announce). Nothing is written for an empty list.
 */
export async function stageNotifications(
  sql: SqlRunner,
  payloads: readonly Notification[],
): Promise<StagedNotifications | null> {
  if (payloads.length === 0) return null;
  const [row] = await sql<{ id: string }>(
    `INSERT INTO notification_outbox (id, payloads, created_at)
     VALUES (gen_random_uuid(), $1::jsonb, ${NOW_UTC}) RETURNING id::text AS id`,
    [JSON.stringify(payloads)],
  );
  return { id: row!.id, payloads: [...payloads] };
}

/** Deletes outbox rows whose notifications are queued. */
export async function releaseNotifications(sql: SqlRunner, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql(`DELETE FROM notification_outbox WHERE id = ANY($1::uuid[])`, [ids]);
}

const storedPayloads = z.array(notificationJob.payload);

/** The {@link NotificationOutbox} on `sql`; rows that do not parse are logged and left for a person. */
export function createNotificationOutbox(sql: SqlRunner, logger: Logger): NotificationOutbox {
  return {
    release: (ids) => releaseNotifications(sql, ids),

    async claimStale(before, limit) {
      // Claiming moves a row's time to now: a concurrent sweeper skips it, and if this one stops
      // before releasing it, it is stale again one grace period later.
      const rows = await sql<{ id: string; payloads: unknown }>(
        `UPDATE notification_outbox o SET created_at = ${NOW_UTC}
         FROM (SELECT id FROM notification_outbox WHERE created_at < $1::timestamp
               ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) stale
         WHERE o.id = stale.id
         RETURNING o.id::text AS id, o.payloads`,
        [utcTimestamp(before), limit],
      );
      return rows.flatMap((row) => {
        const parsed = storedPayloads.safeParse(row.payloads);
        if (parsed.success) return [{ id: row.id, payloads: parsed.data }];
        logger.error({ outboxId: row.id, issues: parsed.error.issues }, 'unreadable notification outbox row');
        return [];
      });
    },
  };
}

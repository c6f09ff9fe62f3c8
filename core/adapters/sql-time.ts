/**
 * Timestamps in raw SQL, the way Prisma stores DateTime: UTC in `timestamp without time zone`
 * columns, so the session's time zone never matters.
 */

/** A UTC instant as a `timestamp without time zone` literal. */
export const utcTimestamp = (date: Date): string => date.toISOString().replace('Z', '');

/** The database's current time, in UTC, for a `timestamp without time zone` column. */
export const NOW_UTC = `(now() AT TIME ZONE 'UTC')`;

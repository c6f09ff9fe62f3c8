/**
 * Horizon's paging parameters (`cursor`, `order`, `limit`) and the options of operation lists
 * (`include_failed`, `join`), validated the way Horizon's `GetPageQuery` and `OperationsQuery` do:
 * a bad value is a 400 naming the field; `cursor=now` means after the latest closed ledger; a
 * `Last-Event-ID` header (sent by EventSource clients on reconnect) replaces the cursor.
 */
import { problems, type PageRequest, type Problem } from './resources.ts';
import { afterLedger, toid } from './payments.ts';

/** Horizon's default and largest page size. */
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 200;
const MAX_INT64 = 2n ** 63n - 1n;

/** A validated query of an operations list. */
export interface OperationsQuery extends PageRequest {
  /** The position to page from: records after it (asc) or before it (desc). */
  position: bigint;
  includeFailed: boolean;
  join: boolean;
}

/** The ledgers Horizon holds: `cursor=now` and the before-history check need them. */
export interface HistoryBounds {
  latest: number;
  elder: number;
}

/** Parses the query of an operations list, or returns the problem Horizon would answer with. */
export function parseOperationsQuery(
  url: URL,
  lastEventId: string | undefined,
  history: HistoryBounds,
): OperationsQuery | Problem {
  const query = url.searchParams;
  let cursor = query.get('cursor') ?? '';
  if (cursor === 'now') cursor = afterLedger(history.latest).toString();
  if (lastEventId) cursor = lastEventId;
  if (/^-\d+$/.test(cursor)) {
    return problems.invalidField('cursor', `the cursor ${cursor} is a negative number: `);
  }

  const orderText = query.get('order') ?? '';
  if (orderText !== '' && orderText !== 'asc' && orderText !== 'desc') {
    return problems.invalidField('order', 'order: invalid value');
  }
  const order = orderText === 'desc' ? 'desc' : 'asc';

  const limitText = query.get('limit') ?? '';
  let limit = DEFAULT_LIMIT;
  if (limitText !== '') {
    if (!/^-?\d+$/.test(limitText)) return problems.invalidField('limit', 'unparseable value');
    const asked = Number(limitText);
    if (asked <= 0) return problems.invalidField('limit', 'invalid limit: non-positive value provided');
    if (asked > MAX_LIMIT) {
      return problems.invalidField(
        'limit',
        `invalid limit: value provided that is over limit max of ${MAX_LIMIT}`,
      );
    }
    limit = asked;
  }

  let position: bigint;
  if (cursor === '') {
    position = order === 'asc' ? 0n : MAX_INT64;
  } else if (/^\d+$/.test(cursor) && BigInt(cursor) <= MAX_INT64) {
    position = BigInt(cursor);
  } else {
    return problems.invalidField('cursor', 'invalid value');
  }
  // An ascending page never goes before history (it starts at its beginning); a descending one would.
  if (order === 'desc' && position <= toid(history.elder, 0)) return problems.beforeHistory();

  const includeFailedText = query.get('include_failed') ?? '';
  if (!['', 'true', 'false'].includes(includeFailedText)) {
    return problems.invalidField('include_failed', 'invalid bool value');
  }
  const joinText = query.get('join') ?? '';
  if (joinText !== '' && joinText !== 'transactions') {
    return problems.invalidField('join', `${joinText} does not validate as in(transactions)`);
  }

  return {
    url,
    cursor,
    order,
    limit,
    position,
    includeFailed: includeFailedText === 'true',
    join: joinText === 'transactions',
  };
}

/** Whether a result is a problem rather than the value asked for. */
export function isProblem<T extends object>(value: T | Problem): value is Problem {
  return 'status' in value && 'body' in value;
}

/**
 * Postgres side of the deposit sink (core/services/deposits.ts), of the watchers' cursors, and of
 * what the worker reads to tell a user about a deposit or a paid invoice.
 *
 * Raw `pg` rather than Prisma, because the hot path is one statement per batch: `INSERT … SELECT
 * FROM unnest(…) ON CONFLICT (event_key) …  RETURNING`, whose RETURNING names exactly the rows
 * this statement wrote. Prisma maps timestamps as UTC in `timestamp without time zone` columns;
 * every timestamp here is written as a UTC literal and read back `AT TIME ZONE 'UTC'`, so the
 * session's time zone never matters.
 */
import type pg from 'pg';
import type { ChainName, ObservedDeposit, WalletStatus } from '../ports.ts';
import {
  storedAddressOf,
  type DepositOutcome,
  type DepositStatus,
  type DepositStore,
  type DepositTransaction,
  type DepositWallet,
  type EvmInvoiceQuery,
  type InvoiceCandidate,
  type InvoiceOutcome,
  type StoredDeposit,
  type WatcherCursorUpdate,
} from '../services/deposits.ts';
import { pgRunner, releaseNotifications, stageNotifications } from './notification-outbox.ts';
import { NOW_UTC, utcTimestamp as utc } from './sql-time.ts';

/** Postgres error codes after which a transaction may simply be run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRANSACTION_ATTEMPTS = 5;

const INVOICE_COLUMNS = `id, payee_user_id::text AS payee_user_id, rail::text AS rail, chain_id,
  asset_code, asset_issuer, amount_base::text AS amount_base, payee_address, memo_id::text AS memo_id,
  status::text AS status, expires_at AT TIME ZONE 'UTC' AS expires_at, settlement_ref,
  created_at AT TIME ZONE 'UTC' AS created_at`;

/** The columns of a deposit row, of the table aliased `d`. */
const DEPOSIT_COLUMNS = `d.id, d.event_key, d.chain::text AS chain, d.chain_id, d.wallet_id,
  d.from_address, d.to_address, d.asset_code, d.asset_issuer, d.amount_base::text AS amount_base,
  d.memo_type, d.memo, d.tx_hash, d.height::text AS height, d.block_hash, d.status::text AS status,
  d.invoice_id, d.invoice_outcome, d.revision, d.created_at AT TIME ZONE 'UTC' AS created_at`;

interface InvoiceRow {
  id: string;
  payee_user_id: string;
  rail: InvoiceCandidate['rail'];
  chain_id: number | null;
  asset_code: string;
  asset_issuer: string | null;
  amount_base: string;
  payee_address: string | null;
  memo_id: string;
  status: InvoiceCandidate['status'];
  expires_at: Date;
  settlement_ref: string | null;
  created_at: Date;
}

interface DepositRow {
  id: string;
  event_key: string;
  chain: ChainName;
  chain_id: number | null;
  wallet_id: string;
  from_address: string;
  to_address: string;
  asset_code: string;
  asset_issuer: string | null;
  amount_base: string;
  memo_type: string | null;
  memo: string | null;
  tx_hash: string;
  height: string;
  block_hash: string | null;
  status: DepositStatus;
  invoice_id: string | null;
  invoice_outcome: string | null;
  revision: number;
  created_at: Date;
}

function toInvoice(row: InvoiceRow): InvoiceCandidate {
  return {
    id: row.id,
    payeeUserId: BigInt(row.payee_user_id),
    rail: row.rail,
    chainId: row.chain_id,
    assetCode: row.asset_code,
    assetIssuer: row.asset_issuer,
    amountBase: BigInt(row.amount_base),
    payeeAddress: row.payee_address,
    memoId: BigInt(row.memo_id),
    status: row.status,
    expiresAt: row.expires_at,
    settlementRef: row.settlement_ref,
    createdAt: row.created_at,
  };
}

/** A stored row as the sink sees it; its observation time stands in for the chain time. */
function toStoredDeposit(row: DepositRow): StoredDeposit {
  return {
    id: row.id,
    eventKey: row.event_key,
    chain: row.chain,
    chainId: row.chain_id,
    walletId: row.wallet_id,
    fromAddress: row.from_address,
    toAddress: row.to_address,
    assetCode: row.asset_code,
    assetIssuer: row.asset_issuer,
    amountBase: BigInt(row.amount_base),
    memoType: row.memo_type,
    memo: row.memo,
    txHash: row.tx_hash,
    height: BigInt(row.height),
    blockHash: row.block_hash,
    status: row.status,
    invoiceId: row.invoice_id,
    invoiceOutcome: row.invoice_outcome as InvoiceOutcome | null,
    revision: row.revision,
    occurredAt: row.created_at,
  };
}

function transactionOn(client: pg.Pool | pg.PoolClient): DepositTransaction {
  return {
    async insert(rows, status) {
      const columns = {
        eventKey: [] as string[],
        chain: [] as string[],
        chainId: [] as (number | null)[],
        walletId: [] as string[],
        from: [] as string[],
        to: [] as string[],
        code: [] as string[],
        issuer: [] as (string | null)[],
        amount: [] as string[],
        memoType: [] as (string | null)[],
        memo: [] as (string | null)[],
        txHash: [] as string[],
        height: [] as string[],
        blockHash: [] as (string | null)[],
      };
      for (const row of rows) {
        columns.eventKey.push(row.eventKey);
        columns.chain.push(row.chain);
        columns.chainId.push(row.chainId);
        columns.walletId.push(row.walletId);
        columns.from.push(row.fromAddress);
        columns.to.push(row.toAddress);
        columns.code.push(row.assetCode);
        columns.issuer.push(row.assetIssuer);
        columns.amount.push(row.amountBase.toString());
        columns.memoType.push(row.memoType);
        columns.memo.push(row.memo);
        columns.txHash.push(row.txHash);
        columns.height.push(row.height.toString());
        columns.blockHash.push(row.blockHash);
      }
      // A DROPPED or REVERSED row seen again is the same transfer re-mined after a reorg: it is
      // recorded afresh under the next revision. Any other existing row is left untouched and not
      // returned.
      const { rows: written } = await client.query<{ id: string; event_key: string; revision: number }>(
        `INSERT INTO chain_deposits AS d (id, event_key, chain, chain_id, wallet_id, from_address,
           to_address, asset_code, asset_issuer, amount_base, memo_type, memo, tx_hash, height,
           block_hash, status, credited_at, created_at)
         SELECT gen_random_uuid(), t.event_key, t.chain::"Chain", t.chain_id, t.wallet_id, t.from_address,
           t.to_address, t.asset_code, t.asset_issuer, t.amount_base, t.memo_type, t.memo, t.tx_hash,
           t.height, t.block_hash, $15::"DepositStatus",
           CASE WHEN $15 = 'CREDITED' THEN ${NOW_UTC} END, ${NOW_UTC}
         FROM unnest($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::numeric[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[])
           AS t(event_key, chain, chain_id, wallet_id, from_address, to_address, asset_code,
             asset_issuer, amount_base, memo_type, memo, tx_hash, height, block_hash)
         ON CONFLICT (event_key) DO UPDATE SET status = EXCLUDED.status, wallet_id = EXCLUDED.wallet_id,
           from_address = EXCLUDED.from_address, to_address = EXCLUDED.to_address,
           amount_base = EXCLUDED.amount_base, tx_hash = EXCLUDED.tx_hash, height = EXCLUDED.height,
           block_hash = EXCLUDED.block_hash, credited_at = EXCLUDED.credited_at, reversed_at = NULL,
           invoice_id = NULL, invoice_outcome = NULL, created_at = EXCLUDED.created_at,
           revision = d.revision + 1
         WHERE d.status IN ('DROPPED', 'REVERSED')
         RETURNING d.id, d.event_key, d.revision`,
        [
          columns.eventKey,
          columns.chain,
          columns.chainId,
          columns.walletId,
          columns.from,
          columns.to,
          columns.code,
          columns.issuer,
          columns.amount,
          columns.memoType,
          columns.memo,
          columns.txHash,
          columns.height,
          columns.blockHash,
          status,
        ],
      );
      const byKey = new Map(rows.map((row) => [row.eventKey, row]));
      return written.map((row) => ({
        ...byKey.get(row.event_key)!,
        id: row.id,
        status,
        invoiceId: null,
        invoiceOutcome: null,
        revision: row.revision,
      }));
    },

    async transition(eventKeys, from, to) {
      const { rows } = await client.query<DepositRow>(
        `WITH locked AS (
           SELECT id FROM chain_deposits WHERE event_key = ANY($1::text[]) AND status = $2::"DepositStatus"
           ORDER BY event_key FOR UPDATE)
         UPDATE chain_deposits d SET status = $3::"DepositStatus",
           credited_at = CASE WHEN $3 = 'CREDITED' THEN ${NOW_UTC} ELSE d.credited_at END,
           reversed_at = CASE WHEN $3 IN ('REVERSED', 'DROPPED') THEN ${NOW_UTC} ELSE d.reversed_at END
         FROM locked WHERE d.id = locked.id
         RETURNING ${DEPOSIT_COLUMNS}`,
        [eventKeys, from, to],
      );
      return rows.map(toStoredDeposit).sort((a, b) => (a.eventKey < b.eventKey ? -1 : 1));
    },

    async invoicesByMemo(memoIds) {
      const { rows } = await client.query<InvoiceRow>(
        `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE memo_id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
        [memoIds.map(String)],
      );
      return rows.map(toInvoice);
    },

    async evmInvoiceExact(query) {
      const { rows } = await client.query<InvoiceRow>(
        `SELECT ${INVOICE_COLUMNS} FROM invoices
         WHERE rail = 'EVM' AND chain_id = $1 AND lower(payee_address) = lower($2)
           AND ${SAME_TOKEN} AND amount_base = $4::numeric
           AND status IN ('OPEN', 'EXPIRED') AND expires_at > $5::timestamp
         ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [...evmParameters(query), utc(query.at)],
      );
      return rows[0] ? toInvoice(rows[0]) : null;
    },

    async evmInvoicesNear(query) {
      const { rows } = await client.query<InvoiceRow>(
        `SELECT ${INVOICE_COLUMNS} FROM invoices
         WHERE rail = 'EVM' AND chain_id = $1 AND lower(payee_address) = lower($2)
           AND ((status = 'OPEN' AND (${SAME_TOKEN} OR amount_base = $4::numeric))
             OR (${SAME_TOKEN} AND amount_base = $4::numeric AND created_at >= $5::timestamp))
         ORDER BY created_at DESC, id LIMIT 20`,
        [...evmParameters(query), utc(query.since)],
      );
      return rows.map(toInvoice);
    },

    async settle(invoiceId, deposit) {
      const payer = storedAddressOf(deposit.chain, deposit.fromAddress) ?? deposit.fromAddress;
      const { rowCount } = await client.query(
        `UPDATE invoices SET status = 'PAID', settlement_ref = $2, paid_at = $3::timestamp,
           paid_by_user_id = (SELECT user_id FROM wallets WHERE address = $4 AND chain = $5::"Chain"),
           updated_at = ${NOW_UTC}
         WHERE id = $1 AND status IN ('OPEN', 'EXPIRED') AND expires_at > $3::timestamp`,
        [invoiceId, deposit.eventKey, utc(deposit.occurredAt), payer, deposit.chain],
      );
      return rowCount === 1;
    },

    async reopen(invoiceId, eventKey) {
      const { rowCount } = await client.query(
        `UPDATE invoices SET
           status = (CASE WHEN expires_at > ${NOW_UTC} THEN 'OPEN' ELSE 'EXPIRED' END)::"InvoiceStatus",
           settlement_ref = NULL, paid_at = NULL, paid_by_user_id = NULL, updated_at = ${NOW_UTC}
         WHERE id = $1 AND settlement_ref = $2`,
        [invoiceId, eventKey],
      );
      return rowCount === 1;
    },

    async setOutcomes(outcomes: readonly DepositOutcome[]) {
      await client.query(
        `UPDATE chain_deposits d SET invoice_id = t.invoice_id, invoice_outcome = t.outcome
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(id, invoice_id, outcome)
         WHERE d.id = t.id`,
        [
          outcomes.map((outcome) => outcome.depositId),
          outcomes.map((outcome) => outcome.invoiceId),
          outcomes.map((outcome) => outcome.outcome),
        ],
      );
    },

    advanceCursor: (cursor) => advanceCursor(client, cursor),
    stageNotifications: (payloads) => stageNotifications(pgRunner(client), payloads),
  };
}

/** Same token: both native (no contract), or the same contract in any letter case. */
const SAME_TOKEN = `(($3::text IS NULL AND asset_issuer IS NULL) OR lower(asset_issuer) = lower($3::text))`;

function evmParameters(query: EvmInvoiceQuery): unknown[] {
  return [query.chainId, query.payeeAddress, query.tokenAddress, query.amount.toString()];
}

/**
 * Moves a cursor forward. Numeric cursors (paging tokens, block numbers) never move back, so two
 * watchers racing, or a slow one finishing late, cannot rewind it.
 */
async function advanceCursor(client: pg.Pool | pg.PoolClient, cursor: WatcherCursorUpdate): Promise<void> {
  await client.query(
    `INSERT INTO watcher_cursors (name, cursor, updated_at) VALUES ($1, $2, ${NOW_UTC})
     ON CONFLICT (name) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at
     WHERE NOT (watcher_cursors.cursor ~ '^[0-9]{1,30}$' AND EXCLUDED.cursor ~ '^[0-9]{1,30}$')
        OR watcher_cursors.cursor::numeric < EXCLUDED.cursor::numeric`,
    [cursor.name, cursor.value],
  );
}

/** The {@link DepositStore} on a `pg` pool (the caller owns the pool and ends it). */
export function createDepositRepository(pool: pg.Pool): DepositStore {
  return {
    insert: (rows, status) => transactionOn(pool).insert(rows, status),
    releaseNotifications: (ids) => releaseNotifications(pgRunner(pool), ids),

    async findWallets(chain, addresses) {
      const { rows } = await pool.query<{ id: string; user_id: string; address: string; status: string }>(
        `SELECT id, user_id::text AS user_id, address, status::text AS status FROM wallets
         WHERE chain = $1::"Chain" AND address = ANY($2::text[])`,
        [chain, addresses],
      );
      return rows.map((row): DepositWallet => ({
        walletId: row.id,
        userId: BigInt(row.user_id),
        address: row.address,
        status: row.status as WalletStatus,
      }));
    },

    async transaction(work) {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await work(transactionOn(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          const code = (error as { code?: unknown }).code;
          if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_TRANSACTION_ATTEMPTS) continue;
          throw error;
        } finally {
          client.release(broken);
        }
      }
    },
  };
}

/** Where watchers resume (`watcher_cursors`). */
export interface WatcherCursorStore {
  get(name: string): Promise<string | null>;
  /** Moves the cursor forward; a numeric cursor never moves back (see the adapter). */
  advance(cursor: WatcherCursorUpdate): Promise<void>;
  /** Sets the cursor to exactly `value`, also backwards (an EVM watcher rewinding after a reorg). */
  set(cursor: WatcherCursorUpdate): Promise<void>;
}

/** The {@link WatcherCursorStore} on a `pg` pool. */
export function createWatcherCursorStore(pool: pg.Pool): WatcherCursorStore {
  return {
    async get(name) {
      const { rows } = await pool.query<{ cursor: string }>(
        'SELECT cursor FROM watcher_cursors WHERE name = $1',
        [name],
      );
      return rows[0]?.cursor ?? null;
    },
    advance: (cursor) => advanceCursor(pool, cursor),
    async set(cursor) {
      await pool.query(
        `INSERT INTO watcher_cursors (name, cursor, updated_at) VALUES ($1, $2, ${NOW_UTC})
         ON CONFLICT (name) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = EXCLUDED.updated_at`,
        [cursor.name, cursor.value],
      );
    },
  };
}

/** A platform user as a notification addresses them. */
export interface NoticeUser {
  userId: bigint;
  telegramId: bigint;
  languageCode: string | null;
  /** Telegram @username without the @, as last seen; null if unknown. */
  username: string | null;
}

/** The invoice a deposit was matched against. */
export interface NoticeInvoice {
  id: string;
  slug: string;
  description: string;
  rail: 'STELLAR' | 'EVM' | 'STARS';
  chainId: number | null;
  assetCode: string;
  assetIssuer: string | null;
  amountBase: bigint;
  payeeUserId: bigint;
  settlementRef: string | null;
}

/** Everything a deposit notification says. */
export interface DepositNotice extends Omit<ObservedDeposit, 'walletId' | 'height' | 'blockHash'> {
  id: string;
  status: DepositStatus;
  /** Which recording of the event this is (bumped when a reorg made it be recorded afresh). */
  revision: number;
  invoiceOutcome: InvoiceOutcome | null;
  /** The wallet's owner: the one told. */
  owner: NoticeUser;
  /** The sender, when the sending address is a platform wallet. */
  sender: NoticeUser | null;
  invoice: NoticeInvoice | null;
}

/** Everything an invoice-paid notification says: the settling deposit, or the Stars payment. */
export interface InvoicePaidNotice {
  invoice: NoticeInvoice & { status: string };
  payee: NoticeUser;
  deposit: DepositNotice | null;
  stars: { amount: bigint; payer: NoticeUser | null; payerTelegramId: bigint } | null;
}

/** What the worker reads to render deposit and invoice notifications. */
export interface DepositNoticeReader {
  deposit(depositId: string): Promise<DepositNotice | null>;
  invoicePaid(invoiceId: string): Promise<InvoicePaidNotice | null>;
}

interface NoticeRow extends DepositRow {
  owner_id: string;
  owner_telegram_id: string;
  owner_language: string | null;
  owner_username: string | null;
  sender_id: string | null;
  sender_telegram_id: string | null;
  sender_language: string | null;
  sender_username: string | null;
  invoice_slug: string | null;
  invoice_description: string | null;
  invoice_rail: NoticeInvoice['rail'] | null;
  invoice_chain_id: number | null;
  invoice_asset_code: string | null;
  invoice_asset_issuer: string | null;
  invoice_amount_base: string | null;
  invoice_payee_user_id: string | null;
  invoice_settlement_ref: string | null;
}

const noticeUser = (
  id: string | null,
  telegramId: string | null,
  language: string | null,
  username: string | null,
): NoticeUser | null =>
  id === null || telegramId === null
    ? null
    : { userId: BigInt(id), telegramId: BigInt(telegramId), languageCode: language, username };

function toNotice(row: NoticeRow): DepositNotice {
  const stored = toStoredDeposit(row);
  return {
    id: stored.id,
    eventKey: stored.eventKey,
    chain: stored.chain,
    chainId: stored.chainId,
    status: stored.status,
    revision: stored.revision,
    fromAddress: stored.fromAddress,
    toAddress: stored.toAddress,
    assetCode: stored.assetCode,
    assetIssuer: stored.assetIssuer,
    amountBase: stored.amountBase,
    memoType: stored.memoType,
    memo: stored.memo,
    txHash: stored.txHash,
    invoiceOutcome: stored.invoiceOutcome,
    owner: noticeUser(row.owner_id, row.owner_telegram_id, row.owner_language, row.owner_username)!,
    sender: noticeUser(row.sender_id, row.sender_telegram_id, row.sender_language, row.sender_username),
    invoice:
      row.invoice_id === null || row.invoice_slug === null
        ? null
        : {
            id: row.invoice_id,
            slug: row.invoice_slug,
            description: row.invoice_description ?? '',
            rail: row.invoice_rail!,
            chainId: row.invoice_chain_id,
            assetCode: row.invoice_asset_code!,
            assetIssuer: row.invoice_asset_issuer,
            amountBase: BigInt(row.invoice_amount_base!),
            payeeUserId: BigInt(row.invoice_payee_user_id!),
            settlementRef: row.invoice_settlement_ref,
          },
  };
}

const NOTICE_QUERY = `
  SELECT ${DEPOSIT_COLUMNS},
    o.id::text AS owner_id, o.telegram_id::text AS owner_telegram_id, o.language_code AS owner_language,
    o.username AS owner_username,
    s.id::text AS sender_id, s.telegram_id::text AS sender_telegram_id,
    s.language_code AS sender_language, s.username AS sender_username,
    i.slug AS invoice_slug, i.description AS invoice_description, i.rail::text AS invoice_rail,
    i.chain_id AS invoice_chain_id, i.asset_code AS invoice_asset_code,
    i.asset_issuer AS invoice_asset_issuer, i.amount_base::text AS invoice_amount_base,
    i.payee_user_id::text AS invoice_payee_user_id, i.settlement_ref AS invoice_settlement_ref
  FROM chain_deposits d
  JOIN wallets w ON w.id = d.wallet_id
  JOIN users o ON o.id = w.user_id
  LEFT JOIN LATERAL (
    SELECT sw.user_id FROM wallets sw
    WHERE sw.chain = d.chain
      AND (sw.address = d.from_address OR (d.chain = 'EVM' AND lower(sw.address) = lower(d.from_address)))
    LIMIT 1) sender_wallet ON true
  LEFT JOIN users s ON s.id = sender_wallet.user_id
  LEFT JOIN invoices i ON i.id = d.invoice_id`;

/** The {@link DepositNoticeReader} on a `pg` pool. */
export function createDepositNoticeReader(pool: pg.Pool): DepositNoticeReader {
  return {
    async deposit(depositId) {
      const { rows } = await pool.query<NoticeRow>(`${NOTICE_QUERY} WHERE d.id = $1`, [depositId]);
      return rows[0] ? toNotice(rows[0]) : null;
    },

    async invoicePaid(invoiceId) {
      const { rows } = await pool.query<{
        id: string;
        slug: string;
        description: string;
        rail: NoticeInvoice['rail'];
        chain_id: number | null;
        asset_code: string;
        asset_issuer: string | null;
        amount_base: string;
        payee_user_id: string;
        settlement_ref: string | null;
        status: string;
        payee_telegram_id: string;
        payee_language: string | null;
        payee_username: string | null;
      }>(
        `SELECT i.id, i.slug, i.description, i.rail::text AS rail, i.chain_id, i.asset_code, i.asset_issuer,
           i.amount_base::text AS amount_base, i.payee_user_id::text AS payee_user_id, i.settlement_ref,
           i.status::text AS status, u.telegram_id::text AS payee_telegram_id,
           u.language_code AS payee_language, u.username AS payee_username
         FROM invoices i JOIN users u ON u.id = i.payee_user_id WHERE i.id = $1`,
        [invoiceId],
      );
      const row = rows[0];
      if (!row) return null;
      const invoice = {
        id: row.id,
        slug: row.slug,
        description: row.description,
        rail: row.rail,
        chainId: row.chain_id,
        assetCode: row.asset_code,
        assetIssuer: row.asset_issuer,
        amountBase: BigInt(row.amount_base),
        payeeUserId: BigInt(row.payee_user_id),
        settlementRef: row.settlement_ref,
        status: row.status,
      };
      const payee = noticeUser(
        row.payee_user_id,
        row.payee_telegram_id,
        row.payee_language,
        row.payee_username,
      )!;
      let deposit: DepositNotice | null = null;
      let stars: InvoicePaidNotice['stars'] = null;
      if (row.settlement_ref !== null) {
        const settled = await pool.query<NoticeRow>(`${NOTICE_QUERY} WHERE d.event_key = $1`, [
          row.settlement_ref,
        ]);
        if (settled.rows[0]) deposit = toNotice(settled.rows[0]);
        else {
          const charge = await pool.query<{
            amount: string;
            payer_telegram_id: string;
            id: string | null;
            language_code: string | null;
            username: string | null;
          }>(
            `SELECT p.amount::text AS amount, p.payer_telegram_id::text AS payer_telegram_id,
               u.id::text AS id, u.language_code, u.username
             FROM star_payments p LEFT JOIN users u ON u.telegram_id = p.payer_telegram_id
             WHERE p.telegram_payment_charge_id = $1`,
            [row.settlement_ref],
          );
          const paid = charge.rows[0];
          if (paid)
            stars = {
              amount: BigInt(paid.amount),
              payerTelegramId: BigInt(paid.payer_telegram_id),
              payer: noticeUser(paid.id, paid.payer_telegram_id, paid.language_code, paid.username),
            };
        }
      }
      return { invoice, payee, deposit, stars };
    },
  };
}

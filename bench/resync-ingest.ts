// Re-sync ingest: deposits per second into Postgres with deduplication, through the real re-sync
// path (resyncStellarLedgers: pages gathered into batches, wallets resolved per batch, the deposit
// sink's one `INSERT … SELECT FROM unnest(…) ON CONFLICT (event_key)` per batch, two batches in
// flight) fed by an in-memory feed instead of Horizon; and the same events stored with one Prisma
// `upsert` per event, awaited in turn; each into an empty table, in the same run. One event in ten
// is a duplicate (a re-read of an earlier operation), one in a hundred carries a MEMO_ID naming no
// invoice (its batch is matched against invoices in a transaction). Notifications are counted, not
// queued: this measures Postgres. Run: npx tsx bench/resync-ingest.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { Keypair } from '@stellar/stellar-sdk';
import pg from 'pg';
import { pino } from 'pino';
import { createDepositRepository } from '../core/adapters/deposit-repository.ts';
import { createPrismaClient } from '../core/adapters/prisma-client.ts';
import { stellarDepositKey } from '../core/domain/intent-keys.ts';
import { createDepositSink } from '../core/services/deposits.ts';
import {
  resyncStellarLedgers,
  type PaymentFeedItem,
  type StellarPayment,
  type StellarPaymentFeed,
} from '../core/services/stellar-watcher.ts';
import { createTestDatabase } from '../test/support/database.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 60_000);
const WALLETS = 1_000;
const logger = pino({ level: 'silent' });

const database = await createTestDatabase('benchingest');
const pool = new pg.Pool({ connectionString: database.url, max: 4 });
// Dropping the database at the end ends connections that are still closing.
pool.on('error', () => undefined);
const prisma = createPrismaClient(database.url, { maxConnections: 4 });

const wallets: { id: string; address: string }[] = [];
for (let i = 0; i < WALLETS; i++) wallets.push({ id: randomUUID(), address: Keypair.random().publicKey() });
await pool.query(
  `INSERT INTO users (telegram_id, updated_at) SELECT g, now() FROM generate_series(1, $1) g`,
  [WALLETS],
);
await pool.query(
  `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status)
   SELECT w.id, u.id, 'STELLAR', w.address, gen_random_uuid(), 'ACTIVE'
   FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS w(id, address, n) JOIN users u ON u.telegram_id = w.n`,
  [wallets.map((wallet) => wallet.id), wallets.map((wallet) => wallet.address)],
);

// Operation ids as Horizon numbers them: ledger << 32 | transaction << 12 | operation.
const sender = Keypair.random().publicKey();
const items: PaymentFeedItem[] = [];
for (let i = 0; items.length < EVENTS; i++) {
  if (i % 10 === 9 && items.length > 0) {
    // A duplicate: the same operation read again.
    items.push(items[Math.floor(Math.random() * items.length)]!);
    continue;
  }
  const ledger = 1_000_000 + Math.floor(i / 50);
  const id = ((BigInt(ledger) << 32n) | (BigInt((i % 50) + 1) << 12n) | 1n).toString();
  const payment: StellarPayment = {
    id,
    ledger,
    kind: 'payment',
    transactionHash: randomBytes(32).toString('hex'),
    createdAt: new Date(),
    from: sender,
    to: wallets[i % WALLETS]!.address,
    toMuxed: null,
    toMuxedId: null,
    assetCode: 'XLM',
    assetIssuer: null,
    amount: BigInt(1 + (i % 1_000_000)),
    memo: i % 100 === 42 ? { type: 'id', value: String(10_000_000 + i) } : { type: 'none' },
  };
  items.push({ pagingToken: id, ledger, payment });
}
const distinct = new Set(items.map((item) => item.pagingToken)).size;
const PAGE = 200;
const feed: StellarPaymentFeed = {
  ledgerBounds: async () => ({ oldest: 1, latest: 2_000_000 }),
  async *range() {
    for (let i = 0; i < items.length; i += PAGE) yield items.slice(i, i + PAGE);
  },
  stream: () => {
    throw new Error('not used');
  },
};

let notified = 0;
const sink = createDepositSink({
  store: createDepositRepository(pool),
  jobs: { notify: async () => void notified++ },
  knownTokens: [],
  logger,
});

const count = async () =>
  Number((await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM chain_deposits')).rows[0]!.n);

// The re-sync path.
let started = performance.now();
const counts = await resyncStellarLedgers({ from: 1, to: 2_000_000 }, { feed, sink, logger });
const sinkSeconds = (performance.now() - started) / 1000;
const sinkRows = await count();

await pool.query('TRUNCATE chain_deposits');

// One Prisma upsert per event, awaited in turn.
const walletOf = new Map(wallets.map((wallet) => [wallet.address, wallet.id]));
started = performance.now();
for (const { payment } of items) {
  const event = payment!;
  const memo = event.memo?.type === 'id' ? event.memo : null;
  await prisma.chainDeposit.upsert({
    where: { eventKey: stellarDepositKey(event.id) },
    create: {
      eventKey: stellarDepositKey(event.id),
      chain: 'STELLAR',
      walletId: walletOf.get(event.to)!,
      fromAddress: event.from,
      toAddress: event.to,
      assetCode: event.assetCode,
      assetIssuer: event.assetIssuer,
      amountBase: event.amount.toString(),
      memoType: memo?.type ?? null,
      memo: memo?.value ?? null,
      txHash: event.transactionHash,
      height: BigInt(event.ledger),
      status: 'CREDITED',
      creditedAt: new Date(),
    },
    update: {},
  });
}
const prismaSeconds = (performance.now() - started) / 1000;
const prismaRows = await count();

const sinkRate = items.length / sinkSeconds;
const prismaRate = items.length / prismaSeconds;
console.log(
  `${items.length} events (${distinct} distinct, ${items.length - distinct} duplicates); the re-sync counted ` +
    `${counts.recorded} new, ${counts.alreadyRecorded} already recorded`,
);
console.log(
  `re-sync (sink batches): ${sinkRate.toFixed(0).padStart(7)} events/s (${sinkSeconds.toFixed(2)} s, ${sinkRows} rows, ${notified} notifications)`,
);
console.log(
  `prisma upsert / event: ${prismaRate.toFixed(0).padStart(7)} events/s (${prismaSeconds.toFixed(2)} s, ${prismaRows} rows)`,
);
console.log(`ratio: ${(sinkRate / prismaRate).toFixed(1)}×`);
if (sinkRows !== distinct || prismaRows !== distinct || notified !== distinct || counts.recorded !== distinct)
  throw new Error('deduplication failed: every distinct event must be stored and announced exactly once');

await prisma.$disconnect();
await pool.end();
await database.drop();

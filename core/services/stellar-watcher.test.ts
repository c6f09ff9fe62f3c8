import { Keypair } from '@stellar/stellar-sdk';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DepositSink, DepositWallet } from './deposits.ts';
import type { LeaderLock } from './leadership.ts';
import {
  createStellarWatcher,
  cursorAfterLedger,
  cursorBeforeLedger,
  depositsOf,
  ledgerOfPagingToken,
  STELLAR_CURSOR_NAME,
  type PaymentFeedItem,
  type StellarPaymentFeed,
  type StellarWatcher,
  type StellarPayment,
} from './stellar-watcher.ts';

const OWNER = Keypair.random().publicKey();
const PLATFORM_SENDER = Keypair.random().publicKey();
const OUTSIDER = Keypair.random().publicKey();

const wallet = (address: string, walletId: string): DepositWallet => ({
  walletId,
  userId: 1n,
  address,
  status: 'ACTIVE',
});
const wallets = new Map([
  [OWNER, wallet(OWNER, 'owner-wallet')],
  [PLATFORM_SENDER, wallet(PLATFORM_SENDER, 'sender-wallet')],
]);

function payment(overrides: Partial<StellarPayment> = {}): StellarPayment {
  return {
    id: '17179873281',
    ledger: 4,
    kind: 'payment',
    transactionHash: 'ab'.repeat(32),
    createdAt: new Date('2026-01-10T12:00:00Z'),
    from: OUTSIDER,
    to: OWNER,
    toMuxed: null,
    toMuxedId: null,
    assetCode: 'XLM',
    assetIssuer: null,
    amount: 125_000_000n,
    memo: { type: 'id', value: '7' },
    ...overrides,
  };
}

describe('depositsOf', () => {
  it('turns a payment into a platform wallet into a deposit keyed by its operation id', () => {
    expect(depositsOf([payment()], wallets)).toEqual([
      {
        eventKey: 'stellar:17179873281',
        chain: 'STELLAR',
        chainId: null,
        walletId: 'owner-wallet',
        fromAddress: OUTSIDER,
        toAddress: OWNER,
        assetCode: 'XLM',
        assetIssuer: null,
        amountBase: 125_000_000n,
        memoType: 'id',
        memo: '7',
        txHash: 'ab'.repeat(32),
        height: 4n,
        blockHash: null,
        occurredAt: new Date('2026-01-10T12:00:00Z'),
        notify: true,
      },
    ]);
  });

  it('ignores payments to addresses that are not platform wallets', () => {
    expect(depositsOf([payment({ to: OUTSIDER, from: OWNER })], wallets)).toEqual([]);
  });

  it('records a memo of type none as no memo', () => {
    expect(depositsOf([payment({ memo: { type: 'none' } })], wallets)[0]).toMatchObject({
      memoType: null,
      memo: null,
    });
  });

  it('announces an account creation only when a platform user funded it', () => {
    const byOutsider = depositsOf([payment({ kind: 'create_account' })], wallets);
    const byUser = depositsOf([payment({ kind: 'create_account', from: PLATFORM_SENDER })], wallets);
    expect(byOutsider[0]?.notify).toBe(false);
    expect(byUser[0]?.notify).toBe(true);
  });
});

describe('paging tokens', () => {
  it('places "now" after every operation of the latest ledger and a range start before the first', () => {
    const firstOperationOfLedger5 = (5n << 32n) | (1n << 12n) | 1n;
    expect(BigInt(cursorAfterLedger(4))).toBeLessThan(firstOperationOfLedger5);
    expect(BigInt(cursorBeforeLedger(5))).toBeLessThan(firstOperationOfLedger5);
    expect(BigInt(cursorAfterLedger(5))).toBeGreaterThan(firstOperationOfLedger5);
    expect(ledgerOfPagingToken(firstOperationOfLedger5.toString())).toBe(5);
  });
});

/** A leader lock that another process may hold; `lose` ends this process's term like a failed connection. */
function fakeLock() {
  let holder: 'this' | 'other' | null = null;
  let term: AbortController | null = null;
  const state = {
    releases: 0,
    unreachable: false,
    holder: () => holder,
    otherTakes: () => void (holder = 'other'),
    otherLeaves: () => void (holder = null),
    lose() {
      term?.abort();
      term = null;
      holder = null;
    },
  };
  const lock: LeaderLock = {
    name: STELLAR_CURSOR_NAME,
    async lead() {
      if (state.unreachable) throw new Error('database unreachable');
      if (holder === 'other') return null;
      holder = 'this';
      term ??= new AbortController();
      return term.signal;
    },
    async release() {
      state.releases++;
      term?.abort();
      term = null;
      if (holder === 'this') holder = null;
    },
  };
  return { lock, state };
}

/** A payments feed whose live streams the test writes to; records carry no payment, so no sink is needed. */
function fakeFeed() {
  const open = new Set<(items: PaymentFeedItem[]) => void>();
  const startedFrom: string[] = [];
  const feed: StellarPaymentFeed = {
    ledgerBounds: async () => ({ latest: 10, oldest: 1 }),
    range: () => {
      throw new Error('not used');
    },
    async *stream(cursor, { signal }) {
      startedFrom.push(cursor);
      const queue: PaymentFeedItem[][] = [];
      let wake: (() => void) | undefined;
      const push = (items: PaymentFeedItem[]) => {
        queue.push(items);
        wake?.();
      };
      const abort = () => wake?.();
      open.add(push);
      signal.addEventListener('abort', abort);
      try {
        while (!signal.aborted) {
          const next = queue.shift();
          if (next) yield next;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        open.delete(push);
        signal.removeEventListener('abort', abort);
      }
    },
  };
  return {
    feed,
    startedFrom,
    openStreams: () => open.size,
    send: (...tokens: string[]) => {
      for (const push of open) push(tokens.map((pagingToken) => ({ pagingToken, ledger: 5, payment: null })));
    },
  };
}

describe('the live watcher among several processes', () => {
  const watchers: StellarWatcher[] = [];
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((watcher) => watcher.stop()));
  });

  function setup(storedCursor: string) {
    const stored = new Map([[STELLAR_CURSOR_NAME, storedCursor]]);
    const { lock, state } = fakeLock();
    const feed = fakeFeed();
    const watcher = createStellarWatcher({
      feed: feed.feed,
      sink: {} as DepositSink,
      cursors: {
        get: async (name) => stored.get(name) ?? null,
        advance: async ({ name, value }) => {
          if (BigInt(value) > BigInt(stored.get(name) ?? '0')) stored.set(name, value);
        },
      },
      lock,
      logger: pino({ level: 'silent' }),
      leaderRetryMs: 20,
      cursorIntervalMs: 10_000,
    });
    watchers.push(watcher);
    return { watcher, lock: state, feed, stored };
  }

  it('waits while another process leads, then streams from the cursor that process stored', async () => {
    const { watcher, lock, feed, stored } = setup('100');
    lock.otherTakes();

    await watcher.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(watcher.leading()).toBe(false);
    expect(feed.openStreams()).toBe(0);

    stored.set(STELLAR_CURSOR_NAME, '200');
    lock.otherLeaves();
    await expect.poll(() => watcher.leading()).toBe(true);
    expect(feed.openStreams()).toBe(1);
    expect(feed.startedFrom).toEqual(['200']);
  });

  it('stops streaming at once when it loses the lead, stores its place, and competes again later', async () => {
    const { watcher, lock, feed, stored } = setup('100');
    await watcher.start();
    feed.send('300');
    await expect.poll(() => watcher.position()).toBe('300');
    // The cursor interval is long: only the end of the term writes it.
    expect(stored.get(STELLAR_CURSOR_NAME)).toBe('100');

    lock.lose();
    await expect.poll(() => feed.openStreams()).toBe(0);
    expect(watcher.leading()).toBe(false);
    await expect.poll(() => stored.get(STELLAR_CURSOR_NAME)).toBe('300');

    await expect.poll(() => watcher.leading()).toBe(true);
    expect(feed.startedFrom).toEqual(['100', '300']);
  });

  it('gives the lead up when it stops, after storing its place', async () => {
    const { watcher, lock, feed, stored } = setup('100');
    await watcher.start();
    feed.send('400');
    await expect.poll(() => watcher.position()).toBe('400');

    await watcher.stop();

    expect(stored.get(STELLAR_CURSOR_NAME)).toBe('400');
    expect(lock.releases).toBe(1);
    expect(lock.holder()).toBeNull();
    expect(feed.openStreams()).toBe(0);
  });

  it('does not start when the lock cannot be reached', async () => {
    const { watcher, lock, feed } = setup('100');
    lock.unreachable = true;

    await expect(watcher.start()).rejects.toThrow('database unreachable');
    expect(feed.openStreams()).toBe(0);
  });
});

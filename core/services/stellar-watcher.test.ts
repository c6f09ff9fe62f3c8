import { Keypair } from '@stellar/stellar-sdk';
import { describe, expect, it } from 'vitest';
import type { DepositWallet } from './deposits.ts';
import {
  cursorAfterLedger,
  cursorBeforeLedger,
  depositsOf,
  ledgerOfPagingToken,
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import { createWalletRepository } from '../../core/adapters/wallet-repository.ts';
import { createIntentRepository } from '../../core/adapters/intent-repository.ts';
import { createSourceAccountLock } from '../../core/adapters/source-account-lock.ts';
import {
  createStellarNetwork,
  createStellarTransactionFactory,
} from '../../core/adapters/stellar-horizon.ts';
import { TREASURY_KEY_REF, activationIntentKey } from '../../core/domain/intent-keys.ts';
import type { JobProducer, KeyService, Notification, StellarNetwork } from '../../core/ports.ts';
import { provisionWallets } from '../../core/services/wallet-provisioning.ts';
import { activateStellarWallet, type ActivationDeps } from '../../core/services/wallet-activation.ts';
import type { RunningSigner } from '../../signer/server.ts';
import { startHorizonDouble } from '../doubles/horizon-double.ts';
import { createTestDatabase } from '../support/database.ts';
import { startTestSigner } from '../support/test-signer.ts';

type HorizonDouble = Awaited<ReturnType<typeof startHorizonDouble>>;

let prisma: PrismaClient;
let drop: () => Promise<void>;
let signer: RunningSigner;
let horizon: HorizonDouble;
let keys: KeyService;
let treasury: string;

/** Records what the services enqueue; the queue itself is exercised by the end-to-end tests. */
function recordingJobs() {
  const notified: Notification[] = [];
  const activations: string[] = [];
  const jobs: JobProducer = {
    provisionWallets: async () => undefined,
    activateStellarWallet: async ({ walletId }) => void activations.push(walletId),
    executePayment: async () => undefined,
    notify: async (notification) => void notified.push(notification),
  };
  return { jobs, notified, activations };
}

beforeAll(async () => {
  const database = await createTestDatabase('services');
  drop = database.drop;
  prisma = createPrismaClient(database.url);
  horizon = await startHorizonDouble();
  ({ signer, keys } = await startTestSigner({
    databaseUrl: database.url,
    passphrase: horizon.passphrase,
  }));
  treasury = (await keys.createKey({ chain: 'stellar', ref: TREASURY_KEY_REF })).address;
  horizon.createAccount(treasury, '1000');
});
afterAll(async () => {
  await signer?.close();
  await horizon?.close();
  await prisma?.$disconnect();
  await drop?.();
});

function deps(overrides: { stellar?: StellarNetwork } = {}) {
  const recorded = recordingJobs();
  const activation: ActivationDeps = {
    wallets: createWalletRepository(prisma),
    intents: createIntentRepository(prisma),
    keys,
    stellar:
      overrides.stellar ??
      createStellarNetwork({
        horizonUrl: horizon.url,
        friendbotUrl: undefined,
        passphrase: horizon.passphrase,
      }),
    transactions: createStellarTransactionFactory(horizon.passphrase),
    sourceLock: createSourceAccountLock(prisma),
    jobs: recorded.jobs,
    settings: {
      networkPassphrase: horizon.passphrase,
      useFriendbot: false,
      startingBalance: '2',
      transactionTimeoutSeconds: 60,
    },
  };
  return { activation, ...recorded };
}

let telegramId = 8000n;
async function newStellarWallet() {
  const user = await createUserRepository(prisma).ensure(++telegramId, 'en');
  const { activation } = deps();
  const wallets = await provisionWallets(user.id, activation);
  return wallets.find((wallet) => wallet.chain === 'STELLAR')!;
}

const storedEnvelopeOf = (walletId: string) =>
  createIntentRepository(prisma).findByKey(activationIntentKey(walletId));

describe('provisioning wallets', () => {
  it('gives a user one Stellar and one EVM wallet however many runs race', async () => {
    const user = await createUserRepository(prisma).ensure(9999n, 'en');
    const { activation } = deps();
    const runs = await Promise.all(Array.from({ length: 8 }, () => provisionWallets(user.id, activation)));
    const ids = new Set(runs.flat().map((wallet) => wallet.id));
    expect(ids.size).toBe(2);
    const keys = await prisma.signerKey.count({ where: { ref: { startsWith: `wallet:${user.id}:` } } });
    expect(keys).toBe(2);
  });
});

describe('activating from the treasury', () => {
  describe('when the worker dies after signing but before submitting', () => {
    it('submits the stored envelope unchanged on the next run and pays once', async () => {
      const wallet = await newStellarWallet();
      const crashing: StellarNetwork = {
        ...deps().activation.stellar,
        submit: () => Promise.reject(new Error('worker killed')),
      };
      await expect(activateStellarWallet(wallet.id, deps({ stellar: crashing }).activation)).rejects.toThrow(
        'worker killed',
      );
      const stored = await storedEnvelopeOf(wallet.id);
      expect(stored?.envelope).toBeTruthy();
      expect(horizon.account(wallet.address)).toBeUndefined();

      const { activation, notified } = deps();
      expect(await activateStellarWallet(wallet.id, activation)).toBe('activated');
      const landed = horizon.transactions().filter((tx) => tx.envelopeXdr === stored!.envelope);
      expect(landed).toHaveLength(1);
      expect(landed[0]!.hash).toBe(stored!.txHash);
      expect(horizon.account(wallet.address)?.balance).toBe(20_000_000n);
      expect(notified).toEqual([{ kind: 'wallet-activated', walletId: wallet.id }]);
      expect(await activateStellarWallet(wallet.id, activation)).toBe('already-active');
    });
  });

  describe('when Horizon answers 504 but applied the transaction', () => {
    it('finds it on the next run instead of paying again', async () => {
      const wallet = await newStellarWallet();
      horizon.failNext({ status: 504, apply: true });
      await expect(activateStellarWallet(wallet.id, deps().activation)).rejects.toMatchObject({
        code: 'STELLAR_SUBMISSION_UNKNOWN',
      });
      const treasuryBefore = horizon.account(treasury)!.balance;
      expect(await activateStellarWallet(wallet.id, deps().activation)).toBe('activated');
      expect(horizon.account(treasury)!.balance).toBe(treasuryBefore);
      expect(horizon.account(wallet.address)?.balance).toBe(20_000_000n);
    });
  });

  describe('when the stored envelope expired without landing', () => {
    it('discards it, builds a fresh one and pays once', async () => {
      const wallet = await newStellarWallet();
      // The first run's envelope is built an hour ago, so its maxTime has passed when it is resubmitted.
      const lost: StellarNetwork = {
        ...deps().activation.stellar,
        submit: () => Promise.reject(new Error('connection reset')),
      };
      const anHourAgo = deps({ stellar: lost }).activation;
      anHourAgo.transactions = createStellarTransactionFactory(
        horizon.passphrase,
        () => Date.now() - 3600_000,
      );
      await expect(activateStellarWallet(wallet.id, anHourAgo)).rejects.toThrow('connection reset');
      const expired = await storedEnvelopeOf(wallet.id);

      const treasuryBefore = horizon.account(treasury)!.balance;
      expect(await activateStellarWallet(wallet.id, deps().activation)).toBe('activated');
      const fresh = await storedEnvelopeOf(wallet.id);
      expect(fresh?.txHash).not.toBe(expired?.txHash);
      expect(horizon.transactions().some((tx) => tx.envelopeXdr === expired!.envelope && tx.successful)).toBe(
        false,
      );
      expect(horizon.account(treasury)!.balance).toBe(treasuryBefore - 20_000_000n - 100n);
    });
  });

  describe('when many activations share the treasury at once', () => {
    it('lands every one without a sequence-number clash', async () => {
      const wallets = await Promise.all(Array.from({ length: 6 }, () => newStellarWallet()));
      const submissions = () =>
        horizon.requests().filter((request) => request.method === 'POST' && request.path === '/transactions')
          .length;
      const submittedBefore = submissions();
      const results = await Promise.all(
        wallets.map((wallet) => activateStellarWallet(wallet.id, deps().activation)),
      );
      expect(results).toEqual(Array(6).fill('activated'));
      for (const wallet of wallets) expect(horizon.account(wallet.address)?.balance).toBe(20_000_000n);
      // A rejected envelope (tx_bad_seq) never reaches the ledger, so count submissions instead:
      // one each, no retry caused by a clash.
      expect(submissions() - submittedBefore).toBe(6);
    });
  });

  describe('under surge pricing', () => {
    it('keeps an envelope the surge refused, and lands that one once the surge passes', async () => {
      const wallet = await newStellarWallet();
      // fee_stats lags behind: it shows 300 per operation while the network takes 1,000 or more.
      horizon.setSurge({ minFeePerOperation: 1_000n, feeCharged: { p90: 300n } });
      try {
        await expect(activateStellarWallet(wallet.id, deps().activation)).rejects.toMatchObject({
          code: 'STELLAR_ENVELOPE_UNDECIDED',
        });
      } finally {
        horizon.setSurge(null);
      }
      const refused = await storedEnvelopeOf(wallet.id);
      expect(refused).toMatchObject({ status: 'SUBMITTED', attempts: 1 });
      expect(horizon.account(wallet.address)).toBeUndefined();

      const treasuryBefore = horizon.account(treasury)!.balance;
      expect(await activateStellarWallet(wallet.id, deps().activation)).toBe('activated');
      const landed = horizon
        .transactions()
        .filter((tx) => tx.sourceAccount === treasury && tx.hash === refused!.txHash);
      expect(landed).toMatchObject([{ envelopeXdr: refused!.envelope, maxFee: 300n, feeCharged: 100n }]);
      expect(horizon.account(treasury)!.balance).toBe(treasuryBefore - 20_000_000n - 100n);
      expect(horizon.account(wallet.address)?.balance).toBe(20_000_000n);
    });

    it('builds nothing while the fee asked is above the cap', async () => {
      const wallet = await newStellarWallet();
      horizon.setSurge({ minFeePerOperation: 20_000n });
      try {
        await expect(activateStellarWallet(wallet.id, deps().activation)).rejects.toMatchObject({
          code: 'STELLAR_FEE_ABOVE_CAP',
        });
      } finally {
        horizon.setSurge(null);
      }
      expect(await storedEnvelopeOf(wallet.id)).toMatchObject({ envelope: null, attempts: 0 });
      expect(await activateStellarWallet(wallet.id, deps().activation)).toBe('activated');
    });
  });

  describe('when the treasury cannot pay', () => {
    it('fails permanently with the network result codes', async () => {
      const poor = await newStellarWallet();
      const settings = { ...deps().activation.settings, startingBalance: '5000' };
      await expect(activateStellarWallet(poor.id, { ...deps().activation, settings })).rejects.toMatchObject({
        code: 'ACTIVATION_FAILED',
      });
      expect(horizon.account(poor.address)).toBeUndefined();
      expect((await storedEnvelopeOf(poor.id))?.status).toBe('FAILED');
    });
  });
});

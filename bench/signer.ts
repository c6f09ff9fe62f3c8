/**
 * Signing throughput of the key service. Starts a scratch database and the signer in-process,
 * creates one Stellar key, builds N distinct payment transactions, then measures:
 *   (a) signatures per second through the authenticated HTTP API with the real client, ~32 in flight
 *       (every request: HMAC check, XDR decode, declaration check, policy, key unseal, ed25519,
 *       one Postgres round trip for the replay guard and the audit row);
 *   (b) the same transactions signed in-process with the SDK (`tx.sign(keypair)`);
 *   (c) like (a), but from 32 wallet keys under a daily limit (SIGNER_DAILY_LIMITS): each signature
 *       also locks its key's row and reads and records today's spending, in one transaction with the
 *       audit row, instead of riding the audit log's group commit.
 * Client and server share this process's one event loop, so (a) and (c) are lower bounds for a
 * signer running alone.
 *
 *   npx tsx bench/signer.ts [transactions] [concurrency]
 */
import { Account, Asset, Keypair, Networks, Operation, TransactionBuilder } from '@stellar/stellar-sdk';
import { createLogger } from '../core/logger.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { startTestSigner } from '../test/support/test-signer.ts';

const total = Number(process.argv[2] ?? 5_000);
const concurrency = Number(process.argv[3] ?? 32);
const passphrase = Networks.TESTNET;

function stroopsToAmount(stroops: number): string {
  return `${Math.floor(stroops / 10_000_000)}.${String(stroops % 10_000_000).padStart(7, '0')}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const database = await createTestDatabase('bench_signer');
const logger = createLogger({ level: 'warn', name: 'signer-bench' });
// The daily limit is high enough never to refuse: (c) measures the cost of judging and recording.
const { signer, keys: client } = await startTestSigner({
  databaseUrl: database.url,
  passphrase,
  dailyLimits: 'wallet:stellar:native=1000000000',
  logger,
});

try {
  const key = await client.createKey({ chain: 'stellar', ref: 'bench:stellar' });
  const destination = Keypair.random().publicKey();

  const walletKeys = await Promise.all(
    Array.from({ length: 32 }, (_, index) =>
      client.createKey({ chain: 'stellar', ref: `wallet:${index}:stellar` }),
    ),
  );

  const build = (index: number, source = key) => {
    const amount = stroopsToAmount(10_000_000 + index * 37);
    const transaction = new TransactionBuilder(new Account(source.address, String(1_000_000 + index)), {
      fee: '100',
      networkPassphrase: passphrase,
    })
      .addOperation(Operation.payment({ destination, asset: Asset.native(), amount }))
      .setTimeout(300)
      .build();
    return { transaction, xdr: transaction.toXDR(), amount, keyId: source.keyId };
  };
  const warmup = Array.from({ length: 500 }, (_, index) => build(total + index));
  const work = Array.from({ length: total }, (_, index) => build(index));

  async function signAll(
    items: typeof work,
  ): Promise<{ seconds: number; latencies: number[]; signatures: string[] }> {
    const latencies: number[] = [];
    const signatures = new Array<string>(items.length);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < items.length) {
          const index = next++;
          const item = items[index]!;
          const sent = performance.now();
          const signed = await client.signStellar({
            keyId: item.keyId,
            networkPassphrase: passphrase,
            transactionXdr: item.xdr,
            declaredOperations: [{ type: 'payment', destination, asset: 'native', amount: item.amount }],
          });
          latencies.push(performance.now() - sent);
          signatures[index] = signed.signature;
        }
      }),
    );
    return { seconds: (performance.now() - started) / 1000, latencies, signatures };
  }

  await signAll(warmup);
  const api = await signAll(work);
  const publicKey = Keypair.fromPublicKey(key.address);
  const checked = work
    .slice(0, 200)
    .every((item, index) =>
      publicKey.verify(item.transaction.hash(), Buffer.from(api.signatures[index]!, 'base64')),
    );
  if (!checked) throw new Error('a signature from the API does not verify');

  const local = Keypair.fromSecret(Keypair.random().secret());
  for (const item of warmup) item.transaction.sign(local);
  const localStarted = performance.now();
  for (const item of work) item.transaction.sign(local);
  const localSeconds = (performance.now() - localStarted) / 1000;

  const limitedWork = Array.from({ length: total }, (_, index) => build(index, walletKeys[index % 32]));
  await signAll(warmup.map((_, index) => build(total + index, walletKeys[index % 32])));
  const limited = await signAll(limitedWork);

  const apiRate = total / api.seconds;
  const limitedRate = total / limited.seconds;
  const limitedSorted = limited.latencies.sort((a, b) => a - b);
  const localRate = total / localSeconds;
  const sorted = api.latencies.sort((a, b) => a - b);
  console.log(`signer bench: ${total} distinct Stellar payment transactions, ${concurrency} in flight`);
  console.log(
    `  (a) API (HMAC auth, decode + checks, unseal, ed25519, replay guard + audit in Postgres): ${apiRate.toFixed(0)} tx/s` +
      ` (latency p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms)`,
  );
  console.log(`  (b) in-process SDK tx.sign(Keypair): ${localRate.toFixed(0)} tx/s`);
  console.log(`  ratio api/in-process: ${(apiRate / localRate).toFixed(2)}`);
  console.log(
    `  (c) API, 32 wallet keys under a daily limit (key row lock + spend read/write in the audit transaction): ${limitedRate.toFixed(0)} tx/s` +
      ` (latency p50 ${percentile(limitedSorted, 50).toFixed(1)} ms, p99 ${percentile(limitedSorted, 99).toFixed(1)} ms)`,
  );
} finally {
  await signer.close();
  // pg's Pool.end() resolves before its sockets have said goodbye; a forced drop right away would
  // cut them and log errors.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await database.drop();
}

// Resident memory of each process when idle: the real entry points, started as production starts
// them (compiled: `node dist/<entry>.js`, after `npm run build`) and as `npm run dev` does
// (`node --import tsx <entry>.ts`), against the fake Bot API, the Horizon double and anvil.
// Run: npm run build && npx tsx bench/memory.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startFakeBotApi } from '../test/doubles/fake-bot-api.ts';
import { startHorizonDouble } from '../test/doubles/horizon-double.ts';
import { startAnvil } from '../test/support/anvil.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/database.ts';

const SETTLE_MS = 3_000;

function rssMegabytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D/g, '')) / 1024;
}

type Mode = 'compiled' | 'tsx';

function start(mode: Mode, entry: string, env: Record<string, string>): Promise<ChildProcess> {
  const args = mode === 'compiled' ? [`dist/${entry.replace(/\.ts$/, '.js')}`] : ['--import', 'tsx', entry];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => reject(new Error(`${entry} did not start`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (
        /"msg":"(bot|worker|signer) (started|listening)/.test(String(chunk)) ||
        /"msg":"listening"/.test(String(chunk))
      ) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
}

const [telegram, horizon, anvil, database] = await Promise.all([
  startFakeBotApi(),
  startHorizonDouble(),
  startAnvil(),
  createTestDatabase('benchmem'),
]);
const authSecret = randomBytes(32).toString('base64url');
const signerPort = 20_000 + Math.floor(Math.random() * 20_000);
const chain = {
  STELLAR_NETWORK: 'custom',
  STELLAR_HORIZON_URL: horizon.url,
  STELLAR_NETWORK_PASSPHRASE: horizon.passphrase,
  STELLAR_FRIENDBOT_URL: horizon.friendbotUrl,
  EVM_RPC_URL: anvil.url,
  EVM_CHAIN_ID: String(anvil.chainId),
};
const app = {
  ...chain,
  BOT_TOKEN: telegram.token,
  TELEGRAM_API_ROOT: telegram.url,
  DATABASE_URL: database.url,
  REDIS_URL: TEST_REDIS_URL,
};
async function measure(mode: Mode): Promise<void> {
  const children: Record<string, ChildProcess> = {};
  try {
    children.signer = await start(mode, 'signer/main.ts', {
      ...chain,
      SIGNER_URL: `http://127.0.0.1:${signerPort}`,
      SIGNER_AUTH_SECRET: authSecret,
      SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGNER_DATABASE_URL: database.url,
    });
    children.worker = await start(mode, 'jobs/main.ts', {
      ...app,
      SIGNER_URL: `http://127.0.0.1:${signerPort}`,
      SIGNER_AUTH_SECRET: authSecret,
    });
    children.bot = await start(mode, 'bot/main.ts', {
      ...app,
      BOT_MODE: 'polling',
      PORT: String(signerPort + 1),
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    console.log(
      `idle resident memory (RSS) after ${SETTLE_MS / 1000} s, ${mode === 'compiled' ? 'compiled (production)' : 'node --import tsx (npm run dev)'}:`,
    );
    for (const [name, child] of Object.entries(children)) {
      const target = name === 'bot' ? ' (target <= 150 MB)' : '';
      console.log(`  ${name.padEnd(7)}: ${rssMegabytes(child.pid!).toFixed(1)} MB${target}`);
    }
  } finally {
    for (const child of Object.values(children)) child.kill('SIGTERM');
    await Promise.all(
      Object.values(children).map(
        (child) =>
          new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
      ),
    );
  }
}

try {
  await measure('compiled');
  await measure('tsx');
} finally {
  await Promise.all([telegram.close(), horizon.close(), anvil.stop()]);
  await database.drop();
}

// `npm run bench`: every benchmark, one after another, each in its own process so none disturbs
// another's figures. Builds first, because the memory benchmark measures the compiled processes.
import { spawnSync } from 'node:child_process';

const steps: [string, string[]][] = [
  ['build', ['npm', 'run', 'build']],
  ['signer', ['npx', 'tsx', 'bench/signer.ts']],
  ['bot', ['npx', 'tsx', 'bench/bot.ts']],
  ['memory', ['npx', 'tsx', 'bench/memory.ts']],
  ['deposit-notify', ['npx', 'tsx', 'bench/deposit-notify.ts']],
  ['resync-ingest', ['npx', 'tsx', 'bench/resync-ingest.ts']],
];
for (const [name, [command, ...args]] of steps) {
  console.log(`\n=== ${name}`);
  const result = spawnSync(command!, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

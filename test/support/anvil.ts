/**
 * A real local EVM node for tests: anvil from the npm package `@foundry-rs/anvil`. Started on port
 * 0 (the OS picks a free port, so parallel test files never collide) and asked which port it got
 * from its "Listening on" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A running anvil node. */
export interface AnvilNode {
  /** JSON-RPC URL, e.g. `http://127.0.0.1:38417`. */
  url: string;
  chainId: number;
  /** Stops the node and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startAnvil}. */
export interface AnvilOptions {
  /** Chain id (default 31337, anvil's own). */
  chainId?: number;
  /** Seconds between blocks; default: a block per transaction (automine). */
  blockTime?: number;
  /** How long to wait for the node to answer (default 10 s). */
  startTimeoutMs?: number;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

/**
 * The native binary of the platform package. The package's `bin.mjs` wrapper is a Node process
 * that spawns this binary; killing the wrapper with SIGKILL would orphan the node, so the binary is
 * started directly when it can be found.
 */
function anvilCommand(): { command: string; prefix: string[] } {
  const require = createRequire(import.meta.url);
  const wrapper = require.resolve('@foundry-rs/anvil/package.json');
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  const arch = ARCH[process.arch];
  if (arch) {
    try {
      const binary = join(
        dirname(require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`)),
        'bin',
        name,
      );
      if (existsSync(binary)) return { command: binary, prefix: [] };
    } catch {
      // No platform package: fall back to the wrapper, which forwards SIGTERM.
    }
  }
  return { command: process.execPath, prefix: [join(dirname(wrapper), 'bin.mjs')] };
}

/** Starts anvil, waits until it answers `eth_chainId` with the expected id, and returns it. */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const chainId = options.chainId ?? 31337;
  const { command, prefix } = anvilCommand();
  const args = [...prefix, '--host', '127.0.0.1', '--port', '0', '--chain-id', String(chainId)];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // If the test process exits without calling stop(), the node must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const url = await listeningUrl(child, options.startTimeoutMs ?? 10_000);
    await waitForChainId(url, chainId, options.startTimeoutMs ?? 10_000);
    return { url, chainId, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads stdout until anvil prints "Listening on host:port"; afterwards its output is discarded. */
function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`anvil did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /Listening on ([\d.]+):(\d+)/.exec(output);
      if (!match) return;
      cleanup();
      resolve(`http://${match[1]}:${match[2]}`);
    };
    const onExit = (code: number | null) =>
      fail(new Error(`anvil exited with ${code} before listening:\n${output}`));
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onError = (chunk: Buffer) => (output += chunk.toString('utf8'));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onError);
      child.off('exit', onExit);
      child.off('error', fail);
      // Keep draining: anvil logs every call, and a full pipe would block it.
      child.stdout!.resume();
      child.stderr!.resume();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onError);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

async function waitForChainId(url: string, chainId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result !== undefined && Number(BigInt(body.result)) === chainId) return;
      lastError = new Error(`unexpected eth_chainId answer ${JSON.stringify(body)}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`anvil at ${url} did not answer eth_chainId within ${timeoutMs} ms`, { cause: lastError });
}

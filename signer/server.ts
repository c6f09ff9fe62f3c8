/**
 * The signer's HTTP surface (node:http, JSON). Every route, health included, needs a valid request
 * signature; bodies are capped and validated; refusals are `{ error: { code, message } }`. No route
 * ever returns a private key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { Logger } from 'pino';
import { REQUEST_ID, signerAuthHeaders, verifyRequestAuth } from '../core/signer-protocol/auth.ts';
import type { DailyLimit } from '../core/signer-protocol/daily-limits.ts';
import { signerRoutes } from '../core/signer-protocol/schema.ts';
import { AuditLog, type AuditAction } from './audit.ts';
import { kekFromBase64 } from './envelope.ts';
import { SignerRefusal } from './errors.ts';
import { Keystore } from './keystore.ts';
import { createPolicy, type SigningPolicy } from './policy.ts';
import { SignerService, type RequestContext } from './service.ts';
import { SpendLedger } from './spend-ledger.ts';

/** The settings the server reads; `loadSignerConfig()` (core/config.ts) returns a superset. */
export interface SignerServerConfig {
  /** The server listens on this URL's host and port; port 0 picks a free one. */
  SIGNER_URL: string;
  SIGNER_AUTH_SECRET: string;
  /** 32 bytes, base64: the KEK. */
  SIGNER_MASTER_KEY: string;
  SIGNER_DATABASE_URL: string;
  EVM_CHAIN_ID: number;
  stellar: { passphrase: string };
  /** The kill switch: refuse every signature (keys can still be created). Default false. */
  SIGNER_PAUSED?: boolean;
  /** Per-key daily limits; none by default. */
  SIGNER_DAILY_LIMITS?: readonly DailyLimit[];
  /** How far ahead a Stellar envelope's maxTime may be. Default {@link DEFAULT_STELLAR_MAX_VALIDITY_SECONDS}. */
  SIGNER_STELLAR_MAX_VALIDITY_SECONDS?: number;
}

/** Five minutes: room for a submission and its retries (callers here use 60 s), and a short exposure for a leaked envelope. */
export const DEFAULT_STELLAR_MAX_VALIDITY_SECONDS = 300;

/** Options of {@link startSigner}; the defaults suit production. */
export interface StartSignerOptions {
  /** A pool to use instead of one opened on SIGNER_DATABASE_URL; the caller then closes it. */
  pool?: pg.Pool;
  /** Size of the pool the signer opens itself. */
  poolSize?: number;
  /** Replaces the policy built from the config (its daily limits included). */
  policy?: SigningPolicy;
  /** Master keys (base64) that opened keys before a rotation; keys wrapped by them still sign. */
  previousMasterKeys?: readonly string[];
  bodyLimitBytes?: number;
  /** The clock requests and Stellar time bounds are judged by. */
  now?: () => number;
}

/** A running signer. */
export interface RunningSigner {
  /** The URL it actually listens on (with the real port when SIGNER_URL asked for port 0). */
  url: string;
  server: Server;
  /** Stops accepting, lets in-flight requests finish, then closes the pool if the signer opened it. */
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 256 * 1024;
const DEFAULT_POOL_SIZE = 16;
const PRUNE_INTERVAL_MS = 60_000;
/** In-flight requests get this long to finish on shutdown before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

type Handler = (service: SignerService, body: unknown, context: RequestContext) => Promise<unknown>;

const ROUTES = new Map<string, { method: 'GET' | 'POST'; action: AuditAction; handle: Handler }>([
  [signerRoutes.createKey, { method: 'POST', action: 'create_key', handle: (s, b, c) => s.createKey(b, c) }],
  [
    signerRoutes.signStellar,
    { method: 'POST', action: 'sign_stellar', handle: (s, b, c) => s.signStellar(b, c) },
  ],
  [signerRoutes.signEvm, { method: 'POST', action: 'sign_evm', handle: (s, b, c) => s.signEvm(b, c) }],
]);

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(new Error('request closed before its body ended'));
    });
  });
}

function send(response: ServerResponse, status: number, payload: unknown, close = false): void {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(body);
}

function sendRefusal(response: ServerResponse, refusal: SignerRefusal, close = false): void {
  send(response, refusal.status, { error: { code: refusal.code, message: refusal.message } }, close);
}

function listenAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * Starts the signer: checks the database, then listens on SIGNER_URL's host and port. Used by
 * signer/main.ts and, in-process, by tests and benchmarks.
 */
export async function startSigner(
  config: SignerServerConfig,
  logger: Logger,
  options: StartSignerOptions = {},
): Promise<RunningSigner> {
  const ownPool = !options.pool;
  const pool =
    options.pool ??
    new pg.Pool({ connectionString: config.SIGNER_DATABASE_URL, max: options.poolSize ?? DEFAULT_POOL_SIZE });
  // Only message and code: pg hangs the whole client object on these errors.
  if (ownPool) {
    pool.on('error', (error: Error & { code?: string }) =>
      logger.error({ code: error.code, reason: error.message }, 'idle database connection failed'),
    );
  }

  const keks = [config.SIGNER_MASTER_KEY, ...(options.previousMasterKeys ?? [])].map(kekFromBase64);
  const audit = new AuditLog(pool, logger);
  const now = options.now ?? Date.now;
  const service = new SignerService({
    keystore: new Keystore({ pool, keks }),
    audit,
    policy: options.policy ?? createPolicy({ dailyLimits: config.SIGNER_DAILY_LIMITS }),
    spends: new SpendLedger(pool, audit, logger),
    logger,
    stellarPassphrase: config.stellar.passphrase,
    evmChainId: config.EVM_CHAIN_ID,
    paused: config.SIGNER_PAUSED ?? false,
    stellarMaxValiditySeconds:
      config.SIGNER_STELLAR_MAX_VALIDITY_SECONDS ?? DEFAULT_STELLAR_MAX_VALIDITY_SECONDS,
    now,
  });
  const secret = config.SIGNER_AUTH_SECRET;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;

  try {
    // Fails fast on a wrong URL, missing grants or a missing migration, before taking traffic.
    await pool.query('SELECT 1 FROM signer.keys LIMIT 1');
    await pool.query('SELECT 1 FROM signer.audit LIMIT 1');
    if (config.SIGNER_DAILY_LIMITS?.length) await pool.query('SELECT 1 FROM signer.spends LIMIT 1');
  } catch (error) {
    if (ownPool) await pool.end();
    throw error;
  }

  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const route = ROUTES.get(path);
    const action: AuditAction = path === signerRoutes.health ? 'health' : (route?.action ?? 'unknown_route');

    let body: Buffer;
    try {
      body = await readBody(request, bodyLimit);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      const refusal = new SignerRefusal('INVALID_REQUEST', `body is larger than ${bodyLimit} bytes`, {
        status: 413,
      });
      await refuseUntrusted(request, action, refusal, null);
      request.resume();
      sendRefusal(response, refusal, true);
      return;
    }

    const auth = verifyRequestAuth({ secret, method, path, body, headers: request.headers, now: now() });
    if (!auth.ok) {
      const refusal = new SignerRefusal(auth.code, auth.message);
      await refuseUntrusted(request, action, refusal, auth.bodyDigest);
      sendRefusal(response, refusal, closing);
      return;
    }
    const context: RequestContext = { requestId: auth.requestId, bodyDigest: auth.bodyDigest };

    if (path === signerRoutes.health) {
      if (method !== 'GET') {
        return service.refuseRoute(
          context,
          new SignerRefusal('INVALID_REQUEST', 'health is GET', { status: 405 }),
        );
      }
      const ok = await service.health(context);
      send(response, ok ? 200 : 503, { ok }, closing);
      return;
    }
    if (!route) {
      return service.refuseRoute(
        context,
        new SignerRefusal('INVALID_REQUEST', `no route ${path.slice(0, 200)}`, { status: 404 }),
      );
    }
    if (method !== route.method) {
      const refusal = new SignerRefusal('INVALID_REQUEST', `${path} takes ${route.method}`, { status: 405 });
      return service.refuseRoute(context, refusal);
    }
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      // Handed on as is, so the refusal is decided and audited like any other invalid request.
      input = undefined;
    }
    const result = await route.handle(service, input, context);
    send(response, 200, result, closing);
  }

  /** Audits a refusal of a request that is not authenticated; its request id is recorded only if well formed. */
  async function refuseUntrusted(
    request: IncomingMessage,
    action: AuditAction,
    refusal: SignerRefusal,
    bodyDigest: string | null,
  ): Promise<void> {
    const claimedId = request.headers[signerAuthHeaders.requestId];
    const requestId = typeof claimedId === 'string' && REQUEST_ID.test(claimedId) ? claimedId : '-';
    logger.warn({ requestId, action, code: refusal.code, reason: refusal.message }, 'refused');
    await audit
      .record({
        action,
        decision: 'refused',
        requestId,
        reason: `${refusal.code}: ${refusal.message}`,
        digest: bodyDigest ? `body-sha256:${bodyDigest}` : null,
      })
      .catch(() => undefined);
  }

  const server = createServer((request, response) => {
    inFlight += 1;
    handle(request, response)
      .catch((error: unknown) => {
        if (response.headersSent) return;
        if (error instanceof SignerRefusal) {
          sendRefusal(response, error, closing);
          return;
        }
        logger.error({ err: error }, 'request failed');
        sendRefusal(
          response,
          new SignerRefusal('INTERNAL_ERROR', 'the signer failed to process the request'),
          closing,
        );
      })
      .finally(() => {
        inFlight -= 1;
        if (closing && inFlight === 0) drained?.();
      });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  const { host, port } = listenAddress(config.SIGNER_URL);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const url = new URL(config.SIGNER_URL);
  url.port = String(bound.port);
  const actualUrl = url.origin;

  const pruner = setInterval(() => {
    audit
      .pruneRequestIds()
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning request ids failed'));
  }, PRUNE_INTERVAL_MS);
  pruner.unref();

  logger.info(
    {
      url: actualUrl,
      paused: config.SIGNER_PAUSED ?? false,
      dailyLimits: (config.SIGNER_DAILY_LIMITS ?? []).map((limit) => `${limit.keyKind}:${limit.asset}`),
    },
    'signer listening',
  );
  if (config.SIGNER_PAUSED) logger.warn('signing is paused (SIGNER_PAUSED): every signature is refused');

  let closed: Promise<void> | undefined;
  return {
    url: actualUrl,
    server,
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(pruner);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          const finished = new Promise<void>((resolve) => (drained = resolve));
          const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
          await Promise.race([finished, deadline]);
        }
        // Keep-alive connections that served the last requests are idle now; anything left is cut.
        server.closeAllConnections();
        await stopped;
        if (ownPool) await pool.end();
        logger.info('signer stopped');
      })();
      return closed;
    },
  };
}

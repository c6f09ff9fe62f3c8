/**
 * The key service over HTTP: the only way the platform reaches the signer. Each request carries
 * the HMAC headers of core/signer-protocol/auth.ts with a fresh request id, so a retry is a new
 * request (signing the same payload again yields the same signature: both schemes are
 * deterministic).
 *
 * By default requests go through node:http(s) with a keep-alive agent: measured here, that
 * sustains about 1.5 times the signing rate of the global fetch, whose web-stream machinery costs
 * more CPU per request than the signature itself. A `fetch` can be passed instead.
 */
import http from 'node:http';
import https from 'node:https';
import { AppError } from '../errors.ts';
import type { KeyService } from '../ports.ts';
import { signRequest } from '../signer-protocol/auth.ts';
import {
  createKeyResponse,
  healthResponse,
  signEvmResponse,
  signStellarResponse,
  signerErrorBody,
  signerRoutes,
  type CreateKeyRequest,
  type SignEvmRequest,
  type SignStellarRequest,
} from '../signer-protocol/schema.ts';
import type { z } from 'zod';

/** The signer answered with a refusal; `code` is the signer's stable code (see `signerErrorCodes`). */
export class SignerRefusedError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
  ) {
    super(code, `signer refused: ${message}`, { status });
  }

  /** 5xx refusals (audit log unavailable, internal error) may pass with a new request. */
  get retryable(): boolean {
    return this.status >= 500;
  }
}

/**
 * The signer could not be reached or did not answer in time. Whether it signed is unknown; a retry
 * is safe: it is a new request, and the same payload yields the same signature.
 */
export class SignerUnavailableError extends AppError {
  readonly retryable = true;

  constructor(message: string, fields: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('SIGNER_UNAVAILABLE', message, fields, options);
  }
}

/** The signer answered 200 with a body that does not match the contract: a version mismatch, not worth retrying. */
export class SignerProtocolError extends AppError {
  readonly retryable = false;

  constructor(path: string, options?: { cause?: unknown }) {
    super('SIGNER_PROTOCOL', `signer answered ${path} with an unexpected body`, { path }, options);
  }
}

/** Options of {@link createSignerClient}. */
export interface SignerClientOptions {
  /** Base URL of the signer (SIGNER_URL); routes are absolute paths on it. */
  url: string;
  authSecret: string;
  /** Send requests with this fetch instead of node:http. */
  fetch?: typeof fetch;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Connections kept to the signer at most (node:http transport); default 64. */
  maxSockets?: number;
}

/** One HTTP exchange, as the client needs it. Rejects only when no response arrived. */
type Transport = (
  url: URL,
  request: { method: string; headers: Record<string, string>; body: string | undefined },
) => Promise<{ status: number; text: string }>;

/** A signer answer larger than this is not a signer answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

function fetchTransport(fetchImpl: typeof fetch, timeoutMs: number): Transport {
  return async (url, request) => {
    const response = await fetchImpl(url, { ...request, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  };
}

function nodeTransport(url: URL, timeoutMs: number, maxSockets: number): Transport {
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets })
    : new http.Agent({ keepAlive: true, maxSockets });
  const send = secure ? https.request : http.request;
  return (target, request) =>
    new Promise((resolve, reject) => {
      const headers =
        request.body === undefined
          ? request.headers
          : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
      const outgoing = send(target, { method: request.method, headers, agent });
      // One deadline for the whole exchange, not an idle timeout per socket read.
      const timer = setTimeout(
        () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      outgoing.on('error', fail);
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES)
            outgoing.destroy(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      outgoing.end(request.body);
    });
}

/** A {@link KeyService} that talks to the signer over HTTP. */
export function createSignerClient(options: SignerClientOptions): KeyService {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = new URL(options.url);
  const transport = options.fetch
    ? fetchTransport(options.fetch, timeoutMs)
    : nodeTransport(base, timeoutMs, options.maxSockets ?? 64);

  async function call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    payload: unknown,
    schema: S,
  ): Promise<z.infer<S>> {
    const target = new URL(path, base);
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const headers: Record<string, string> = signRequest({
      secret: options.authSecret,
      method,
      path: target.pathname + target.search,
      body,
    });
    if (payload !== undefined) headers['content-type'] = 'application/json';

    let response: { status: number; text: string };
    try {
      response = await transport(target, { method, headers, body: payload === undefined ? undefined : body });
    } catch (error) {
      throw new SignerUnavailableError(`signer unreachable on ${path}`, { path }, { cause: error });
    }

    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      json = undefined;
    }
    if (response.status < 200 || response.status > 299) {
      const refusal = signerErrorBody.safeParse(json);
      if (refusal.success) {
        throw new SignerRefusedError(refusal.data.error.code, refusal.data.error.message, response.status);
      }
      // No refusal body: a proxy or load balancer answered, not the signer.
      throw new SignerUnavailableError(`signer answered ${path} with HTTP ${response.status}`, {
        path,
        status: response.status,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new SignerProtocolError(path, { cause: parsed.error });
    return parsed.data;
  }

  return {
    createKey: (request: CreateKeyRequest) =>
      call('POST', signerRoutes.createKey, request, createKeyResponse),
    signStellar: (request: SignStellarRequest) =>
      call('POST', signerRoutes.signStellar, request, signStellarResponse),
    signEvm: (request: SignEvmRequest) => call('POST', signerRoutes.signEvm, request, signEvmResponse),
    /**
     * True when the signer is up and its database takes writes; false when it is unreachable or
     * degraded. A refusal (wrong auth secret, clock skew) throws: that is a deployment error to see.
     */
    async health() {
      try {
        return (await call('GET', signerRoutes.health, undefined, healthResponse)).ok;
      } catch (error) {
        if (error instanceof SignerUnavailableError) return false;
        if (error instanceof SignerRefusedError && error.retryable) return false;
        throw error;
      }
    },
  };
}

/**
 * Request authentication between the signer and its clients: an HMAC-SHA256 with the shared
 * SIGNER_AUTH_SECRET over the method, the path, a timestamp, a random request id and the body's
 * digest. The timestamp bounds how long a captured request stays usable; the request id lets the
 * signer refuse a second use inside that window (the signer persists the ids it has seen).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header names, lower case as Node reports them. */
export const signerAuthHeaders = {
  timestamp: 'x-signer-timestamp',
  requestId: 'x-signer-request-id',
  signature: 'x-signer-signature',
} as const;

/** A request whose timestamp is further than this from the signer's clock, either way, is refused. */
export const SIGNER_AUTH_WINDOW_MS = 30_000;

const TIMESTAMP = /^\d{1,15}$/;
/** At least 16 random bytes, hex: guessing or colliding with another client's id is not a concern. */
export const REQUEST_ID = /^[0-9a-f]{32,128}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** What the MAC covers. */
export interface SignedRequestParts {
  method: string;
  /** Path and query exactly as sent in the request line, e.g. `/v1/sign/stellar`. */
  path: string;
  timestamp: string;
  requestId: string;
  body: Uint8Array | string;
}

/** The body's SHA-256, hex; an empty body hashes like any other. */
export function bodyDigest(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The exact string the MAC is computed over: `method\npath\ntimestamp\nrequestId\nsha256hex(body)`.
 * Every part is a single line by construction (method and path come from the request line, the
 * others are checked against digit and hex patterns), so no two requests share a canonical form.
 */
export function canonicalRequest(parts: SignedRequestParts, digest = bodyDigest(parts.body)): string {
  return `${parts.method.toUpperCase()}\n${parts.path}\n${parts.timestamp}\n${parts.requestId}\n${digest}`;
}

/** HMAC-SHA256 of the canonical request, hex. */
export function computeRequestSignature(secret: string, parts: SignedRequestParts, digest?: string): string {
  return createHmac('sha256', secret).update(canonicalRequest(parts, digest)).digest('hex');
}

/** Options of {@link signRequest}. */
export interface SignRequestOptions {
  secret: string;
  method: string;
  path: string;
  body: Uint8Array | string;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Defaults to 16 fresh random bytes, hex. */
  requestId?: string;
}

/** The three authentication headers for one request. Every call must use a fresh request id. */
export function signRequest(options: SignRequestOptions): Record<string, string> {
  const timestamp = String(options.timestamp ?? Date.now());
  const requestId = options.requestId ?? randomBytes(16).toString('hex');
  const signature = computeRequestSignature(options.secret, {
    method: options.method,
    path: options.path,
    timestamp,
    requestId,
    body: options.body,
  });
  return {
    [signerAuthHeaders.timestamp]: timestamp,
    [signerAuthHeaders.requestId]: requestId,
    [signerAuthHeaders.signature]: signature,
  };
}

/** Input of {@link verifyRequestAuth}. Header values as Node gives them. */
export interface VerifyRequestInput {
  secret: string;
  method: string;
  path: string;
  body: Uint8Array;
  headers: Record<string, string | string[] | undefined>;
  /** The verifier's clock, milliseconds since the epoch. */
  now: number;
}

/** Outcome of {@link verifyRequestAuth}. Replays are not judged here: that needs the signer's store. */
export type RequestAuthResult =
  | { ok: true; requestId: string; timestamp: number; bodyDigest: string }
  | { ok: false; code: 'UNAUTHENTICATED' | 'STALE_REQUEST'; message: string; bodyDigest: string };

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks the MAC (constant time) and then the freshness of a request. The MAC is checked first so
 * an unauthenticated caller learns nothing about the clock. A well-formed but stale request is
 * STALE_REQUEST; anything else wrong is UNAUTHENTICATED.
 */
export function verifyRequestAuth(input: VerifyRequestInput): RequestAuthResult {
  const digest = bodyDigest(input.body);
  const timestamp = single(input.headers[signerAuthHeaders.timestamp]);
  const requestId = single(input.headers[signerAuthHeaders.requestId]);
  const signature = single(input.headers[signerAuthHeaders.signature]);
  const refuse = (code: 'UNAUTHENTICATED' | 'STALE_REQUEST', message: string): RequestAuthResult => ({
    ok: false,
    code,
    message,
    bodyDigest: digest,
  });
  if (!timestamp || !requestId || !signature)
    return refuse('UNAUTHENTICATED', 'authentication headers missing');
  if (!TIMESTAMP.test(timestamp) || !REQUEST_ID.test(requestId) || !SIGNATURE.test(signature)) {
    return refuse('UNAUTHENTICATED', 'authentication headers malformed');
  }
  const expected = Buffer.from(
    computeRequestSignature(
      input.secret,
      { method: input.method, path: input.path, timestamp, requestId, body: input.body },
      digest,
    ),
    'hex',
  );
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return refuse('UNAUTHENTICATED', 'request signature does not match');
  }
  const sentAt = Number(timestamp);
  if (Math.abs(input.now - sentAt) > SIGNER_AUTH_WINDOW_MS) {
    return refuse('STALE_REQUEST', `request timestamp is more than ${SIGNER_AUTH_WINDOW_MS / 1000} s away`);
  }
  return { ok: true, requestId, timestamp: sentAt, bodyDigest: digest };
}

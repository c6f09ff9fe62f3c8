/**
 * The Stellar network through Horizon, with the SDK's `Horizon.Server`; and the local building of
 * transactions whose signature comes from the key service.
 *
 * Submission outcomes are split the way a money-moving caller must treat them:
 * - {@link StellarTransactionFailedError}: Horizon says this envelope did not succeed and never will
 *   (`tx_bad_seq`, `tx_too_late`, `tx_failed` with operation codes, ...). Build a new one if useful.
 * - {@link StellarSubmissionUnknownError}: timeout, 5xx, dropped connection. The envelope may or may
 *   not be in a ledger: resubmit the SAME envelope (or look its hash up) until it is found, or its
 *   `maxTime` has passed and it is still not found.
 */
import {
  Account,
  AccountRequiresMemoError,
  Horizon,
  NotFoundError,
  Operation,
  StrKey,
  TransactionBuilder,
  type FeeBumpTransaction,
  type Transaction,
} from '@stellar/stellar-sdk';
import { z } from 'zod';
import { formatStroops, formatStroopsFixed, parseStellarAmount } from '../domain/amounts.ts';
import { AppError, PermanentError } from '../errors.ts';
import type { StellarBalance, StellarNetwork, StellarTransactionFactory } from '../ports.ts';

/** Horizon refused the envelope for good; resubmitting the same bytes cannot succeed. */
export class StellarTransactionFailedError extends AppError {
  /** The same envelope will never succeed; whether a new one should be built is the caller's call. */
  readonly retryable = false;

  constructor(
    readonly hash: string,
    readonly transactionCode: string,
    readonly operationCodes: string[],
    readonly resultXdr: string | undefined,
    options?: { cause?: unknown },
  ) {
    const codes = [transactionCode, ...operationCodes].join(', ');
    super(
      'STELLAR_TX_FAILED',
      `transaction ${hash} failed: ${codes}`,
      { hash, transactionCode, operationCodes },
      options,
    );
  }
}

/** Why the outcome of a submission is unknown. */
export type SubmissionUnknownReason = 'timeout' | 'status' | 'network';

/**
 * The submission's outcome is unknown (timeout, 5xx, dropped connection, unreadable answer): the
 * transaction may still land. Resubmit the same envelope; never build a new one until the old one
 * is found or provably expired.
 */
export class StellarSubmissionUnknownError extends AppError {
  readonly retryable = true;

  constructor(
    readonly hash: string,
    readonly reason: SubmissionUnknownReason,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'STELLAR_SUBMISSION_UNKNOWN',
      `outcome of transaction ${hash} is unknown (${reason}${status ? ` ${status}` : ''})`,
      { hash, reason, status },
      options,
    );
  }
}

/** A destination requires a memo (SEP-29) and the transaction has none; nothing was submitted. */
export class StellarMemoRequiredError extends PermanentError {
  constructor(
    readonly destination: string,
    readonly operationIndex: number,
    options?: { cause?: unknown },
  ) {
    super(
      'STELLAR_MEMO_REQUIRED',
      `destination ${destination} requires a memo`,
      { destination, operationIndex },
      options,
    );
  }
}

/** A read from Horizon failed (network, timeout, 5xx, unexpected answer); reads are safe to retry. */
export class StellarHorizonError extends AppError {
  readonly retryable = true;

  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'STELLAR_HORIZON_UNAVAILABLE',
      `Horizon ${operation} failed${status ? ` (${status})` : ''}`,
      { operation, status },
      options,
    );
  }
}

/** The account is not on the ledger (yet). */
export class StellarAccountNotFoundError extends AppError {
  constructor(readonly address: string) {
    super('STELLAR_ACCOUNT_NOT_FOUND', `account ${address} does not exist`, { address });
  }
}

/** Friendbot did not fund the account (not configured, unreachable, or refused). */
export class StellarFriendbotError extends AppError {
  constructor(
    readonly address: string,
    readonly status: number | undefined,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'STELLAR_FRIENDBOT_FAILED',
      `friendbot did not fund ${address}: ${detail}`,
      { address, status, detail },
      options,
    );
  }
}

/** The bytes are not a transaction envelope; no submission of them can ever succeed. */
export class StellarEnvelopeInvalidError extends PermanentError {
  constructor(options?: { cause?: unknown }) {
    super('STELLAR_ENVELOPE_INVALID', 'not a base64 XDR transaction envelope', {}, options);
  }
}

/** Not a valid G... account address. */
export class InvalidStellarAddressError extends PermanentError {
  constructor(readonly field: string) {
    super('STELLAR_ADDRESS_INVALID', `${field} is not a valid Stellar account address`, { field });
  }
}

/** A signature does not verify against the transaction hash for that public key. */
export class StellarSignatureInvalidError extends PermanentError {
  constructor(
    readonly publicKey: string,
    options?: { cause?: unknown },
  ) {
    super(
      'STELLAR_SIGNATURE_INVALID',
      `signature by ${publicKey} does not match the transaction`,
      { publicKey },
      options,
    );
  }
}

/** Options of {@link createStellarNetwork}; `StellarConfig` fits, plus the two extras. */
export interface StellarNetworkOptions {
  horizonUrl: string;
  friendbotUrl: string | undefined;
  passphrase: string;
  /** Allow plain http. Defaults to true for loopback hosts (a local double), false otherwise. */
  allowHttp?: boolean;
  /**
   * Upper bound of every request in milliseconds. Default 35 s: a little above Horizon's own
   * submission timeout, so a slow submission ends in Horizon's 504 rather than our abort.
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 35_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The part of Horizon's problem document submissions are judged by. */
const problemSchema = z.object({
  type: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
  extras: z
    .object({
      result_codes: z
        .object({ transaction: z.string(), operations: z.array(z.string()).optional() })
        .optional(),
      result_xdr: z.string().optional(),
    })
    .optional(),
});
type Problem = z.infer<typeof problemSchema>;

/**
 * The HTTP status and problem body inside an SDK error. `submitTransaction` rejects with the
 * AxiosError itself (`response.status`, `response.data`); call builders reject with the SDK's
 * `NetworkError` family, whose `response` is the body.
 */
function responseOf(error: unknown): { status: number | undefined; problem: Problem | undefined } {
  const response = (error as { response?: unknown } | null)?.response;
  if (!response || typeof response !== 'object') return { status: undefined, problem: undefined };
  const hasData = 'data' in response && typeof response.data === 'object' && response.data !== null;
  const body = hasData ? (response as { data: unknown }).data : response;
  const parsed = problemSchema.safeParse(body);
  const ownStatus = 'status' in response && typeof response.status === 'number' ? response.status : undefined;
  return {
    status: ownStatus ?? (parsed.success ? parsed.data.status : undefined),
    problem: parsed.success ? parsed.data : undefined,
  };
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || (error as Error | null)?.name === 'TimeoutError';
}

function assertAddress(address: string, field: string): void {
  if (!StrKey.isValidEd25519PublicKey(address)) throw new InvalidStellarAddressError(field);
}

/** A {@link StellarNetwork} backed by a Horizon server. */
export function createStellarNetwork(options: StellarNetworkOptions): StellarNetwork {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const allowHttp = options.allowHttp ?? LOOPBACK_HOSTS.has(new URL(options.horizonUrl).hostname);
  const server = new Horizon.Server(options.horizonUrl, { allowHttp });
  // The SDK has no timeout option and submits with a fixed 60 s; cap every request, that one too.
  server.httpClient.interceptors.request.use((config) => ({
    ...config,
    timeout: Math.min(config.timeout || Number.POSITIVE_INFINITY, timeoutMs),
  }));

  const read = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new StellarHorizonError(operation, responseOf(error).status, { cause: error });
    }
  };

  /** The account record, or null on Horizon's 404. */
  const loadAccount = (address: string) =>
    read('loadAccount', async () => {
      try {
        return await server.loadAccount(address);
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    });

  const network: StellarNetwork = {
    async getBalances(address) {
      assertAddress(address, 'address');
      const account = await loadAccount(address);
      if (!account) return null;
      const balances: StellarBalance[] = [];
      for (const line of account.balances) {
        // Horizon already prints 7 decimals; parsing proves it and normalizes odd forms.
        const amount = formatStroopsFixed(parseStellarAmount(line.balance));
        if (line.asset_type === 'native') {
          balances.unshift({ assetCode: 'XLM', assetIssuer: null, amount });
        } else if (line.asset_type === 'credit_alphanum4' || line.asset_type === 'credit_alphanum12') {
          balances.push({ assetCode: line.asset_code, assetIssuer: line.asset_issuer, amount });
        }
        // Liquidity pool shares are not a spendable balance of this wallet.
      }
      return balances;
    },

    async accountExists(address) {
      assertAddress(address, 'address');
      return (await loadAccount(address)) !== null;
    },

    async fundWithFriendbot(address) {
      assertAddress(address, 'address');
      if (!options.friendbotUrl) {
        throw new StellarFriendbotError(address, undefined, 'no friendbot on this network');
      }
      const url = new URL(options.friendbotUrl);
      url.searchParams.set('addr', address);
      let failure: { status: number | undefined; detail: string; cause?: unknown };
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (response.ok) return;
        const body = (await response.json().catch(() => ({}))) as { detail?: unknown };
        failure = {
          status: response.status,
          detail: typeof body.detail === 'string' ? body.detail : response.statusText,
        };
      } catch (error) {
        failure = { status: undefined, detail: isTimeout(error) ? 'timeout' : 'unreachable', cause: error };
      }
      // "Already funded", or funded even though the answer got lost: either way the account is there.
      if (await network.accountExists(address)) return;
      throw new StellarFriendbotError(address, failure.status, failure.detail, { cause: failure.cause });
    },

    async getSequence(address) {
      assertAddress(address, 'address');
      const account = await loadAccount(address);
      if (!account) throw new StellarAccountNotFoundError(address);
      return account.sequence;
    },

    async submit(envelopeXdr) {
      const transaction = decodeEnvelope(envelopeXdr, options.passphrase);
      const hash = transaction.hash().toString('hex');
      try {
        const response = await server.submitTransaction(transaction);
        if (response.successful === false) {
          throw new StellarTransactionFailedError(hash, 'tx_failed', [], response.result_xdr);
        }
        return { hash: response.hash, ledger: response.ledger };
      } catch (error) {
        throw classifySubmissionError(error, hash);
      }
    },

    async findTransaction(hash) {
      if (!/^[0-9a-f]{64}$/i.test(hash)) {
        throw new PermanentError('STELLAR_HASH_INVALID', 'a transaction hash is 64 hex digits', { hash });
      }
      return read('findTransaction', async () => {
        try {
          const record = await server.transactions().transaction(hash).call();
          // The SDK turns the linked `ledger` field into a function and keeps the number here.
          return { successful: record.successful, ledger: record.ledger_attr };
        } catch (error) {
          if (error instanceof NotFoundError) return null;
          throw error;
        }
      });
    },

    baseFee() {
      return read('fetchBaseFee', () => server.fetchBaseFee());
    },
  };
  return network;
}

function decodeEnvelope(envelopeXdr: string, passphrase: string): Transaction | FeeBumpTransaction {
  try {
    return TransactionBuilder.fromXDR(envelopeXdr, passphrase);
  } catch (error) {
    throw new StellarEnvelopeInvalidError({ cause: error });
  }
}

function classifySubmissionError(error: unknown, hash: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof AccountRequiresMemoError) {
    return new StellarMemoRequiredError(error.accountId, error.operationIndex, { cause: error });
  }
  const { status, problem } = responseOf(error);
  // Only a 400 with Horizon's verdict proves the envelope is not (and will not be) in a ledger.
  if (status === 400 && problem) {
    const codes = problem.extras?.result_codes;
    const malformed = problem.type?.endsWith('/transaction_malformed') ? 'tx_malformed' : undefined;
    if (codes || malformed) {
      return new StellarTransactionFailedError(
        hash,
        codes?.transaction ?? malformed!,
        codes?.operations ?? [],
        problem.extras?.result_xdr,
        { cause: error },
      );
    }
  }
  if (status !== undefined)
    return new StellarSubmissionUnknownError(hash, 'status', status, { cause: error });
  // A dropped socket, a refused connection or an abort: nothing proves either way.
  return new StellarSubmissionUnknownError(hash, isTimeout(error) ? 'timeout' : 'network', undefined, {
    cause: error,
  });
}

/** Input of {@link buildCreateAccountTransaction}. */
export interface CreateAccountTransactionInput {
  sourceAddress: string;
  /** The source's CURRENT sequence number (from `getSequence`); the transaction uses the next one. */
  sequence: string;
  destination: string;
  /** Lumens for the new account, as a decimal string with at most 7 decimals. */
  startingBalance: string;
  /** Fee per operation in stroops (from `baseFee()`). */
  baseFee: number;
  passphrase: string;
  /** The transaction is valid until now + this; after that it provably cannot land. Must be > 0. */
  timeoutSeconds: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** An unsigned transaction: its envelope, the hash to sign, and the end of its validity (unix seconds). */
export interface UnsignedTransaction {
  xdr: string;
  hash: string;
  maxTime: number;
}

/**
 * Builds an unsigned `createAccount` transaction with an upper time bound, so that an envelope
 * whose outcome is unknown is known to be dead once `maxTime` has passed.
 */
export function buildCreateAccountTransaction(input: CreateAccountTransactionInput): UnsignedTransaction {
  assertAddress(input.sourceAddress, 'sourceAddress');
  assertAddress(input.destination, 'destination');
  if (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds <= 0) {
    throw new PermanentError('STELLAR_TIMEOUT_INVALID', 'timeoutSeconds must be a positive integer', {
      timeoutSeconds: input.timeoutSeconds,
    });
  }
  if (!Number.isInteger(input.baseFee) || input.baseFee <= 0) {
    throw new PermanentError('STELLAR_FEE_INVALID', 'baseFee must be a positive integer of stroops', {
      baseFee: input.baseFee,
    });
  }
  const startingBalance = formatStroops(parseStellarAmount(input.startingBalance));
  const maxTime = Math.floor((input.now ?? Date.now)() / 1000) + input.timeoutSeconds;
  const transaction = new TransactionBuilder(new Account(input.sourceAddress, input.sequence), {
    fee: String(input.baseFee),
    networkPassphrase: input.passphrase,
    timebounds: { minTime: 0, maxTime },
  })
    .addOperation(Operation.createAccount({ destination: input.destination, startingBalance }))
    .build();
  return { xdr: transaction.toXDR(), hash: transaction.hash().toString('hex'), maxTime };
}

/**
 * Adds a signature made elsewhere (the key service) to an envelope. The SDK verifies it against
 * the transaction hash for `publicKey` first, so a wrong key or wrong network fails here, not at Horizon.
 */
export function attachSignature(
  xdr: string,
  passphrase: string,
  publicKey: string,
  signatureBase64: string,
): string {
  const transaction = decodeEnvelope(xdr, passphrase);
  try {
    transaction.addSignature(publicKey, signatureBase64);
  } catch (error) {
    throw new StellarSignatureInvalidError(publicKey, { cause: error });
  }
  return transaction.toXDR();
}

/** The {@link StellarTransactionFactory} port for one network. */
export function createStellarTransactionFactory(
  passphrase: string,
  clock?: () => number,
): StellarTransactionFactory {
  return {
    createAccount: (input) => buildCreateAccountTransaction({ ...input, passphrase, now: clock }),
    attachSignature: (xdr, publicKey, signatureBase64) =>
      attachSignature(xdr, passphrase, publicKey, signatureBase64),
  };
}

/**
 * The Stellar network through Horizon, with the SDK's `Horizon.Server`; and the local building of
 * transactions whose signature comes from the key service.
 *
 * Submission outcomes are split the way a money-moving caller must treat them:
 * - {@link StellarTransactionFailedError}: Horizon says this envelope did not succeed and never will
 *   (`tx_bad_seq`, `tx_too_late`, `tx_failed` with operation codes, ...). Build a new one if useful.
 *   One code is the exception: `tx_insufficient_fee` refuses this submission only (the bid is
 *   below what the current load asks), so the same bytes may still land once the surge passes.
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
import {
  DEFAULT_STELLAR_MAX_FEE_STROOPS,
  quoteStellarFee,
  type StellarFeeQuote,
} from '../domain/stellar-fees.ts';
import { AppError, PermanentError } from '../errors.ts';
import type {
  StellarAccountState,
  StellarBalance,
  StellarNetwork,
  StellarTransactionFactory,
  StellarTrustline,
} from '../ports.ts';
import {
  cursorBeforeLedger,
  ledgerOfPagingToken,
  type PaymentFeedItem,
  type PaymentStreamOptions,
  type StellarMemo,
  type StellarPayment,
  type StellarPaymentFeed,
} from '../services/stellar-watcher.ts';

/**
 * Horizon refused the envelope, or it failed inside a ledger; resubmitting the same bytes cannot
 * succeed, except after `tx_insufficient_fee` (a refusal under surge pricing).
 */
export class StellarTransactionFailedError extends AppError {
  /**
   * Whether the same envelope may still succeed: only when it was refused for its fee. Whether a
   * new one should be built is the caller's call.
   */
  readonly retryable: boolean;

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
    this.retryable = transactionCode === 'tx_insufficient_fee';
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

/** Options of {@link createStellarNetwork}; `StellarConfig` fits, plus the extras. */
export interface StellarNetworkOptions {
  horizonUrl: string;
  friendbotUrl: string | undefined;
  passphrase: string;
  /**
   * The most a transaction offers per operation, in stroops (STELLAR_MAX_FEE_STROOPS; default
   * {@link DEFAULT_STELLAR_MAX_FEE_STROOPS}). Reported with every fee quote.
   */
  maxFeePerOperation?: number;
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
  const maxFeePerOperation = options.maxFeePerOperation ?? DEFAULT_STELLAR_MAX_FEE_STROOPS;
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

    async feePerOperation() {
      const stats = await read('feeStats', () => server.feeStats());
      return feeQuoteOf(stats, maxFeePerOperation);
    },

    async getAccount(address) {
      assertAddress(address, 'address');
      const account = await loadAccount(address);
      if (!account) return null;
      return accountStateOf(account, await baseReserve());
    },
  };

  // The base reserve changes only by a network vote; reading it once in a while is plenty.
  let reserve: { stroops: bigint; readAt: number } | undefined;
  const baseReserve = async (): Promise<bigint> => {
    if (reserve && Date.now() - reserve.readAt < BASE_RESERVE_TTL_MS) return reserve.stroops;
    const page = await read('latestLedger', () => server.ledgers().order('desc').limit(1).call());
    const latest = page.records[0];
    if (!latest) throw new StellarHorizonError('latestLedger', undefined);
    reserve = { stroops: BigInt(latest.base_reserve_in_stroops), readAt: Date.now() };
    return reserve.stroops;
  };
  return network;
}

const BASE_RESERVE_TTL_MS = 5 * 60_000;

/** Horizon prints fees as decimal strings of stroops. */
const stroopsText = z
  .string()
  .regex(/^\d{1,18}$/)
  .transform(Number);
const feeStatsSchema = z.object({
  last_ledger_base_fee: stroopsText,
  fee_charged: z.object({ p90: stroopsText }),
});

/**
 * The fee quote behind Horizon's `/fee_stats` answer. An answer without the fields it needs is
 * Horizon's fault (or a proxy's), retried like any failed read.
 */
export function feeQuoteOf(feeStats: unknown, maxFeePerOperation: number): StellarFeeQuote {
  const parsed = feeStatsSchema.safeParse(feeStats);
  if (!parsed.success) throw new StellarHorizonError('feeStats', 200, { cause: parsed.error });
  return quoteStellarFee(
    { lastLedgerBaseFee: parsed.data.last_ledger_base_fee, feeChargedP90: parsed.data.fee_charged.p90 },
    maxFeePerOperation,
  );
}
/** SEP-29: the data entry value "1", base64-encoded as Horizon serves data entries. */
const MEMO_REQUIRED_VALUE = Buffer.from('1').toString('base64');

/** The fields of Horizon's account resource that {@link accountStateOf} reads. */
export interface HorizonAccountFields {
  id: string;
  sequence: string;
  subentry_count: number;
  num_sponsoring?: number;
  num_sponsored?: number;
  balances: readonly {
    asset_type: string;
    asset_code?: string;
    asset_issuer?: string;
    balance: string;
    limit?: string;
    selling_liabilities?: string;
    is_authorized?: boolean;
  }[];
  /** Data entries, values base64 (the SDK's `AccountResponse` keeps them in `data_attr`). */
  data_attr?: Record<string, string>;
  data?: unknown;
}

/**
 * An account's state for checking a payment. The minimum balance follows the reserve rules: (2 +
 * subentries + entries it sponsors − entries sponsored for it) × base reserve, plus the lumens its
 * open offers are selling (selling liabilities), which it cannot spend either.
 */
export function accountStateOf(account: HorizonAccountFields, baseReserve: bigint): StellarAccountState {
  let nativeBalance = 0n;
  let nativeSelling = 0n;
  const trustlines: StellarTrustline[] = [];
  for (const line of account.balances) {
    if (line.asset_type === 'native') {
      nativeBalance = parseStellarAmount(line.balance);
      nativeSelling = parseStellarAmount(line.selling_liabilities ?? '0');
    } else if (
      (line.asset_type === 'credit_alphanum4' || line.asset_type === 'credit_alphanum12') &&
      line.asset_code &&
      line.asset_issuer
    ) {
      trustlines.push({
        assetCode: line.asset_code,
        assetIssuer: line.asset_issuer,
        balance: parseStellarAmount(line.balance),
        limit: parseStellarAmount(line.limit ?? '0'),
        authorized: line.is_authorized ?? true,
      });
    }
  }
  const entries =
    2n +
    BigInt(account.subentry_count) +
    BigInt(account.num_sponsoring ?? 0) -
    BigInt(account.num_sponsored ?? 0);
  const data =
    account.data_attr ??
    (typeof account.data === 'object' && account.data !== null
      ? (account.data as Record<string, string>)
      : {});
  return {
    address: account.id,
    sequence: account.sequence,
    nativeBalance,
    minimumBalance: entries * baseReserve + nativeSelling,
    trustlines,
    memoRequired: data['config.memo_required'] === MEMO_REQUIRED_VALUE,
  };
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
  /** Fee per operation in stroops (from `feePerOperation()`). */
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

/** Options of {@link createHorizonPaymentFeed}. */
export interface HorizonPaymentFeedOptions {
  horizonUrl: string;
  /** Upper bound of each page request (default 35 s). */
  timeoutMs?: number;
  /** Records per page, 1–200 (default 200, Horizon's largest). */
  pageSize?: number;
  /**
   * A stream that sends nothing for this long is presumed dead and reopened from the last paging
   * token (default 30 s; the SDK uses 15 s). Horizon sends nothing between records.
   */
  streamIdleMs?: number;
  /** First pause before reconnecting after a failure, doubled up to `maxReconnectDelayMs` (1 s, 30 s). */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Most records buffered ahead of the consumer before the stream stops reading (default 10,000). */
  streamBuffer?: number;
}

const MAX_PAGE_SIZE = 200;

/** A payment record we cannot read where we must: Horizon changed, or something in between did. */
export class StellarRecordInvalidError extends AppError {
  readonly retryable = true;

  constructor(
    readonly recordId: string | undefined,
    detail: string,
  ) {
    super('STELLAR_RECORD_INVALID', `payment record ${recordId ?? '(no id)'} is unreadable: ${detail}`, {
      recordId,
    });
  }
}

const amount = z.string().regex(/^\d+(\.\d{1,7})?$/);
const recordBase = z.object({
  id: z.string().regex(/^\d+$/),
  paging_token: z.string().min(1),
  type: z.string(),
  transaction_hash: z.string(),
  transaction_successful: z.boolean().optional(),
  created_at: z.string(),
  transaction: z
    .object({
      successful: z.boolean().optional(),
      memo_type: z.string(),
      memo: z.string().optional(),
    })
    .optional(),
});
const paymentFields = z.object({
  from: z.string(),
  to: z.string(),
  to_muxed: z.string().optional(),
  to_muxed_id: z.string().optional(),
  asset_type: z.string(),
  asset_code: z.string().optional(),
  asset_issuer: z.string().optional(),
  amount,
});
const createAccountFields = z.object({
  funder: z.string(),
  account: z.string(),
  starting_balance: amount,
});
const PAYMENT_KINDS = new Set([
  'payment',
  'path_payment_strict_receive',
  'path_payment_strict_send',
] as const satisfies StellarPayment['kind'][]);

/**
 * One record of Horizon's payments endpoints as a {@link PaymentFeedItem}. Records of failed
 * transactions (`transaction_successful: false`, or a joined transaction that did not succeed) and
 * of other operation types (account merges, whose amount Horizon does not show here; contract
 * calls) carry no payment. A payment-type record that cannot be read throws: skipping it could
 * lose a deposit.
 */
export function parsePaymentRecord(json: unknown): PaymentFeedItem {
  const base = recordBase.safeParse(json);
  if (!base.success) {
    const id = (json as { id?: unknown } | null)?.id;
    throw new StellarRecordInvalidError(typeof id === 'string' ? id : undefined, base.error.message);
  }
  const record = base.data;
  const item = { pagingToken: record.paging_token, ledger: ledgerOfPagingToken(record.id) };
  const failed = record.transaction_successful === false || record.transaction?.successful === false;
  const isPayment = PAYMENT_KINDS.has(record.type as never);
  if (failed || (!isPayment && record.type !== 'create_account')) return { ...item, payment: null };

  const createdAt = new Date(record.created_at);
  if (Number.isNaN(createdAt.getTime())) throw new StellarRecordInvalidError(record.id, 'bad created_at');
  const common = {
    id: record.id,
    ledger: item.ledger,
    transactionHash: record.transaction_hash,
    createdAt,
    memo: record.transaction ? memoOf(record.transaction) : null,
  };
  if (record.type === 'create_account') {
    const fields = createAccountFields.safeParse(json);
    if (!fields.success) throw new StellarRecordInvalidError(record.id, fields.error.message);
    return {
      ...item,
      payment: {
        ...common,
        kind: 'create_account',
        from: fields.data.funder,
        to: fields.data.account,
        toMuxed: null,
        toMuxedId: null,
        assetCode: 'XLM',
        assetIssuer: null,
        amount: parseStellarAmount(fields.data.starting_balance),
      },
    };
  }
  const fields = paymentFields.safeParse(json);
  if (!fields.success) throw new StellarRecordInvalidError(record.id, fields.error.message);
  const payment = fields.data;
  const native = payment.asset_type === 'native';
  if (!native && (!payment.asset_code || !payment.asset_issuer))
    throw new StellarRecordInvalidError(record.id, 'issued asset without code or issuer');
  return {
    ...item,
    payment: {
      ...common,
      kind: record.type as StellarPayment['kind'],
      from: payment.from,
      to: payment.to,
      toMuxed: payment.to_muxed ?? null,
      // Horizon omits a muxed id of 0 (Go's omitempty) while still naming the muxed address.
      toMuxedId: payment.to_muxed ? (payment.to_muxed_id ?? '0') : null,
      assetCode: native ? 'XLM' : payment.asset_code!,
      assetIssuer: native ? null : payment.asset_issuer!,
      amount: parseStellarAmount(payment.amount),
    },
  };
}

function memoOf(transaction: { memo_type: string; memo?: string | undefined }): StellarMemo {
  const type = transaction.memo_type;
  if (type === 'text' || type === 'id' || type === 'hash' || type === 'return')
    return { type, value: transaction.memo ?? '' };
  return { type: 'none' };
}

/** One message of a Server-Sent Events stream. */
interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/** Splits an SSE byte stream (as text) into messages, per the WHATWG event-stream format. */
class SseParser {
  private buffer = '';
  private event = '';
  private id: string | undefined;
  private data: string[] = [];

  push(text: string): SseMessage[] {
    this.buffer += text;
    const messages: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const newline = this.buffer.indexOf('\n', start);
      if (newline < 0) break;
      let line = this.buffer.slice(start, newline);
      start = newline + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length > 0 || this.event)
          messages.push({ event: this.event || 'message', id: this.id, data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id') this.id = value;
    }
    this.buffer = this.buffer.slice(start);
    return messages;
  }
}

/**
 * Horizon's payments as a {@link StellarPaymentFeed}: pages of `/payments` with
 * `join=transactions` (memos), `/ledgers/:sequence/payments`, and the `/payments` SSE stream,
 * parsed with {@link parsePaymentRecord}. Plain `fetch`, so the stream can be read at the
 * consumer's pace and reopened from the exact paging token the consumer last received.
 */
export function createHorizonPaymentFeed(options: HorizonPaymentFeedOptions): StellarPaymentFeed & {
  /** Every payment record of one ledger, paged through. */
  ledger(sequence: number): Promise<PaymentFeedItem[]>;
} {
  const base = options.horizonUrl.endsWith('/') ? options.horizonUrl : `${options.horizonUrl}/`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pageSize = Math.min(Math.max(options.pageSize ?? MAX_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  const idleMs = options.streamIdleMs ?? 30_000;
  const firstDelay = options.reconnectDelayMs ?? 1_000;
  const maxDelay = options.maxReconnectDelayMs ?? 30_000;
  const bufferLimit = options.streamBuffer ?? 10_000;

  const urlOf = (path: string, query: Record<string, string>) => {
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  };

  const getJson = async (operation: string, url: URL): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Accept: 'application/hal+json, application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new StellarHorizonError(operation, undefined, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new StellarHorizonError(operation, response.status);
    }
    try {
      return await response.json();
    } catch (error) {
      throw new StellarHorizonError(operation, response.status, { cause: error });
    }
  };

  const recordsOf = (operation: string, body: unknown): PaymentFeedItem[] => {
    const records = (body as { _embedded?: { records?: unknown } } | null)?._embedded?.records;
    if (!Array.isArray(records)) throw new StellarHorizonError(operation, 200);
    return records.map(parsePaymentRecord);
  };

  const page = async (path: string, cursor: string) =>
    recordsOf(
      path,
      await getJson(
        path,
        urlOf(path, { cursor, order: 'asc', limit: String(pageSize), join: 'transactions' }),
      ),
    );

  return {
    async ledgerBounds() {
      const root = (await getJson('root', new URL(base))) as {
        history_latest_ledger?: unknown;
        history_elder_ledger?: unknown;
      };
      const latest = Number(root.history_latest_ledger);
      const oldest = Number(root.history_elder_ledger);
      if (!Number.isInteger(latest) || !Number.isInteger(oldest)) throw new StellarHorizonError('root', 200);
      return { latest, oldest };
    },

    async *range(from, to) {
      let cursor = cursorBeforeLedger(from);
      for (;;) {
        const records = await page('payments', cursor);
        const inRange = records.filter((record) => record.ledger <= to);
        if (inRange.length > 0) yield inRange;
        if (records.length < pageSize || inRange.length < records.length) return;
        cursor = records.at(-1)!.pagingToken;
      }
    },

    async ledger(sequence) {
      const items: PaymentFeedItem[] = [];
      let cursor = '';
      for (;;) {
        const records = await page(`ledgers/${sequence}/payments`, cursor);
        items.push(...records);
        if (records.length < pageSize) return items;
        cursor = records.at(-1)!.pagingToken;
      }
    },

    stream(cursor, streamOptions) {
      return streamPayments(cursor, streamOptions, {
        url: (position) =>
          urlOf('payments', { cursor: position, join: 'transactions', limit: String(MAX_PAGE_SIZE) }),
        idleMs,
        firstDelay,
        maxDelay,
        bufferLimit,
      });
    },
  };
}

interface StreamSettings {
  url(position: string): URL;
  idleMs: number;
  firstDelay: number;
  maxDelay: number;
  bufferLimit: number;
}

/**
 * The reconnecting SSE reader behind {@link StellarPaymentFeed.stream}. A background pump reads
 * the connection into a bounded queue while the consumer handles the previous batch, so under load
 * batches grow instead of latency; when the queue is full the pump stops reading and TCP pushes
 * back on Horizon. Whatever went wrong, the next connection starts after the last record the
 * consumer RECEIVED, never after one that was only buffered.
 */
async function* streamPayments(
  cursor: string,
  options: PaymentStreamOptions,
  settings: StreamSettings,
): AsyncGenerator<PaymentFeedItem[]> {
  const { signal } = options;
  const maxBatch = options.maxBatch ?? 500;
  let position = cursor;
  let failures = 0;
  while (!signal.aborted) {
    const connection = new AbortController();
    const abort = () => connection.abort();
    signal.addEventListener('abort', abort, { once: true });
    const queue: PaymentFeedItem[] = [];
    let ended = false;
    let failure: unknown;
    let wakeConsumer: (() => void) | undefined;
    let wakePump: (() => void) | undefined;
    let idle: NodeJS.Timeout | undefined;
    let idled = false;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idled = true;
        connection.abort();
      }, settings.idleMs);
    };
    try {
      touch();
      let response: Response;
      try {
        response = await fetch(settings.url(position), {
          headers: { Accept: 'text/event-stream' },
          signal: connection.signal,
        });
      } catch (error) {
        if (idled) continue;
        throw new StellarHorizonError('payments stream', undefined, { cause: error });
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new StellarHorizonError('payments stream', response.status);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      const pump = (async () => {
        try {
          for (;;) {
            while (queue.length >= settings.bufferLimit)
              await new Promise<void>((resolve) => (wakePump = resolve));
            const { value, done } = await reader.read();
            if (done) return;
            touch();
            for (const message of parser.push(value)) {
              if (message.event === 'error')
                throw new StellarHorizonError(`payments stream: ${message.data}`, 200);
              if (message.event !== 'message' || !message.data.startsWith('{')) continue;
              queue.push(parsePaymentRecord(JSON.parse(message.data)));
            }
            wakeConsumer?.();
          }
        } catch (error) {
          failure ??= error;
        } finally {
          ended = true;
          wakeConsumer?.();
          reader.cancel().catch(() => undefined);
        }
      })();
      let received = 0;
      for (;;) {
        if (signal.aborted) break;
        if (queue.length === 0) {
          if (ended) break;
          await new Promise<void>((resolve) => (wakeConsumer = resolve));
          wakeConsumer = undefined;
          continue;
        }
        const batch = queue.splice(0, maxBatch);
        wakePump?.();
        position = batch.at(-1)!.pagingToken;
        received += batch.length;
        failures = 0;
        yield batch;
      }
      await pump;
      if (signal.aborted) return;
      // Silence for `idleMs` is not an error (a quiet network): reopen at once, quietly.
      if (idled) continue;
      if (failure) throw failure;
      // Horizon's goodbye (`event: close`) after its per-connection limit: reconnect at once,
      // unless the connection ended without a single record (then back off as after a failure).
      if (received === 0) throw new StellarHorizonError('payments stream ended', 200);
    } catch (error) {
      if (signal.aborted) return;
      options.onError?.(error);
      const delay = Math.min(settings.firstDelay * 2 ** failures, settings.maxDelay);
      failures++;
      await abortableSleep(delay, signal);
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', abort);
      connection.abort();
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

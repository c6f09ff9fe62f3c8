/**
 * Checks a payment the user is composing, before anything is signed: the amount in the asset's
 * units, the destination (address or @username of a platform user), the memo, the sender's balance
 * including what the chain keeps back (Stellar's minimum reserve, EVM gas), and what the
 * destination can receive (an existing account, a trustline, a memo it requires). The result is a
 * ready-to-confirm {@link PaymentDraft} or one typed {@link SendRefusal}; nothing here moves money.
 */
import { z } from 'zod';
import {
  accountOf,
  destinationChain,
  parseDestination,
  InvalidDestinationError,
} from '../domain/addresses.ts';
import type { InvalidDestinationReason } from '../domain/addresses.ts';
import { STELLAR_DECIMALS, WEI_DECIMALS } from '../domain/amounts.ts';
import { nativeSymbol } from '../domain/evm-chains.ts';
import { feeUpperBound } from '../domain/stellar-fees.ts';
import {
  InvalidPaymentAmountError,
  evmNativeUnit,
  parsePaymentAmount,
  stellarUnit,
  tokenUnit,
  type AmountUnit,
  type PaymentAmountRefusal,
} from '../domain/payment-amounts.ts';
import { tokenByAddress, type KnownToken } from '../domain/tokens.ts';
import { PermanentError } from '../errors.ts';
import type {
  ChainName,
  EvmNetwork,
  PaymentAsset,
  PaymentMemo,
  PaymentOrder,
  StellarAccountState,
  StellarNetwork,
  UserRecord,
  WalletRecord,
  WalletRepository,
} from '../ports.ts';

/** Gas of a plain value transfer to an account without code. */
export const EVM_NATIVE_TRANSFER_GAS = 21_000n;
/** Gas bound of an ERC-20 `transfer` (a typical one costs 35–65k; the bound is what the sender must hold). */
export const EVM_TOKEN_TRANSFER_GAS = 100_000n;
/** Stellar MEMO_TEXT holds at most 28 bytes of UTF-8. */
export const STELLAR_MEMO_TEXT_MAX_BYTES = 28;
/** The code Stellar's native asset is shown with. */
export const STELLAR_NATIVE_CODE = 'XLM';
const MAX_UINT64 = 2n ** 64n - 1n;

/** What validation reads: ports only. */
export interface SendValidationDeps {
  users: { findByUsername(username: string): Promise<UserRecord | null> };
  wallets: Pick<WalletRepository, 'listByUser'>;
  stellar: Pick<StellarNetwork, 'getAccount' | 'feePerOperation'>;
  evm: Pick<EvmNetwork, 'getNativeBalance' | 'getTokenBalance' | 'feeData'>;
  evmChainId: number;
  evmTokens: readonly KnownToken[];
}

/** A payment as the user typed it: amount, destination and memo are raw text. */
export interface SendRequest {
  userId: bigint;
  /** The sender's wallets (one per chain). */
  wallets: readonly WalletRecord[];
  asset: PaymentAsset;
  amount: string;
  destination: string;
  memo: string | null;
}

/** Why a payment cannot go ahead; `code` is stable (messages and tests hang on it). */
export type SendRefusal =
  | { code: 'amount-invalid'; reason: PaymentAmountRefusal; decimals: number }
  | { code: 'destination-invalid'; reason: InvalidDestinationReason }
  /** The asset is not one the sender can send: no trustline, an unknown token, another EVM chain. */
  | { code: 'asset-unknown' }
  /** An address of the other chain than the asset's. */
  | { code: 'wrong-chain'; assetChain: ChainName }
  /** The sender has no usable wallet on the asset's chain (none, or its Stellar account is not active). */
  | { code: 'source-not-ready'; chain: ChainName }
  | { code: 'source-not-authorized' }
  | { code: 'unknown-user'; username: string }
  | { code: 'recipient-no-wallet'; username: string; chain: ChainName }
  | { code: 'self-payment' }
  /** `available` is what can be sent now, after the reserve and the fee; amounts in the asset's base units. */
  | {
      code: 'insufficient-balance';
      available: bigint;
      requested: bigint;
      decimals: number;
      assetCode: string;
    }
  /** Not enough of the chain's native coin left for the fee (and, on Stellar, the reserve). */
  | {
      code: 'insufficient-fee-balance';
      available: bigint;
      required: bigint;
      decimals: number;
      assetCode: string;
    }
  /** No account at the Stellar destination: native XLM would need a createAccount of at least 1 XLM. */
  | { code: 'destination-missing' }
  | { code: 'destination-no-trustline'; assetCode: string }
  | { code: 'destination-not-authorized'; assetCode: string }
  /** The destination's trustline limit cannot take this amount. */
  | { code: 'destination-line-full'; assetCode: string }
  /** SEP-29: the destination says payments to it need a memo, and none was given. */
  | { code: 'memo-required' }
  | { code: 'memo-too-long'; maxBytes: number }
  | { code: 'memo-not-supported' };

/**
 * A payment checked and ready for the user's confirmation: a {@link PaymentOrder} without the key
 * and status message (they come with the Confirm press), plus what the summary shows.
 */
export interface PaymentDraft {
  userId: bigint;
  walletId: string;
  sourceAddress: string;
  asset: PaymentAsset;
  /** Decimals of `asset`'s base unit. */
  decimals: number;
  amountBase: bigint;
  /** `G…`, `M…` or checksummed `0x…`. */
  destination: string;
  recipientUserId: bigint | null;
  /** Lower-case, when the user named the recipient by @username. */
  recipientUsername: string | null;
  memo: PaymentMemo | null;
  invoiceId: string | null;
  /** Upper bound of the network fee, in the chain's native coin. */
  fee: { amountBase: bigint; code: string; decimals: number };
}

/** The outcome of {@link validateSend}. */
export type SendValidation = { ok: true; draft: PaymentDraft } | { ok: false; refusal: SendRefusal };

/** A memo the user typed cannot be a Stellar memo. */
export class InvalidMemoError extends PermanentError {
  constructor(readonly maxBytes: number) {
    super('MEMO_INVALID', `memo is longer than ${maxBytes} bytes`, { maxBytes });
  }
}

/**
 * A Stellar memo from user text. Digits only (a number up to 2^64 − 1 without leading zeros) make
 * a MEMO_ID, which is what exchanges hand out as the deposit reference; anything else is MEMO_TEXT
 * of at most 28 bytes of UTF-8. Throws {@link InvalidMemoError}.
 */
export function parseStellarMemo(text: string): PaymentMemo {
  const value = text.trim();
  if (/^(0|[1-9]\d{0,19})$/.test(value) && BigInt(value) <= MAX_UINT64) return { type: 'id', value };
  if (Buffer.byteLength(value, 'utf8') > STELLAR_MEMO_TEXT_MAX_BYTES)
    throw new InvalidMemoError(STELLAR_MEMO_TEXT_MAX_BYTES);
  return { type: 'text', value };
}

/** How amounts of `asset` are counted, or `null` when it is not an asset the platform can send. */
export function amountUnitOf(
  asset: PaymentAsset,
  evm: { evmChainId: number; evmTokens: readonly KnownToken[] },
): AmountUnit | null {
  if (asset.chain === 'STELLAR') return stellarUnit(asset.code);
  if (asset.chainId !== evm.evmChainId) return null;
  if (asset.issuer === null) return evmNativeUnit(nativeSymbol(asset.chainId));
  const token = tokenByAddress(evm.evmTokens, asset.issuer);
  return token ? tokenUnit(token.symbol, token.decimals) : null;
}

/** An asset the user can pick to send, with the balance the sender holds of it (base units). */
export interface SendableAsset {
  asset: PaymentAsset;
  decimals: number;
  balance: bigint;
}

/**
 * What the user can send: XLM and every trustline of their active Stellar account, their EVM
 * chain's native coin and every token the platform knows, each with its current balance.
 */
export async function listSendableAssets(
  wallets: readonly WalletRecord[],
  deps: Pick<SendValidationDeps, 'stellar' | 'evm' | 'evmChainId' | 'evmTokens'>,
): Promise<SendableAsset[]> {
  const assets: SendableAsset[] = [];
  const stellarWallet = wallets.find((wallet) => wallet.chain === 'STELLAR' && wallet.status === 'ACTIVE');
  const account = stellarWallet ? await deps.stellar.getAccount(stellarWallet.address) : null;
  if (account) {
    assets.push({
      asset: { chain: 'STELLAR', code: STELLAR_NATIVE_CODE, issuer: null },
      decimals: STELLAR_DECIMALS,
      balance: account.nativeBalance,
    });
    for (const line of account.trustlines) {
      assets.push({
        asset: { chain: 'STELLAR', code: line.assetCode, issuer: line.assetIssuer },
        decimals: STELLAR_DECIMALS,
        balance: line.balance,
      });
    }
  }
  const evmWallet = wallets.find((wallet) => wallet.chain === 'EVM');
  if (evmWallet) {
    const chainId = deps.evmChainId;
    const [native, ...tokens] = await Promise.all([
      deps.evm.getNativeBalance(evmWallet.address),
      ...deps.evmTokens.map((token) => deps.evm.getTokenBalance(token.address, evmWallet.address)),
    ]);
    assets.push({
      asset: { chain: 'EVM', chainId, code: nativeSymbol(chainId), issuer: null },
      decimals: WEI_DECIMALS,
      balance: native!,
    });
    deps.evmTokens.forEach((token, index) =>
      assets.push({
        asset: { chain: 'EVM', chainId, code: token.symbol, issuer: token.address },
        decimals: token.decimals,
        balance: tokens[index]!,
      }),
    );
  }
  return assets;
}

/** Thrown inside validation to stop at the first refusal; never escapes {@link validateSend}. */
class Refused extends Error {
  constructor(readonly refusal: SendRefusal) {
    super(refusal.code);
  }
}
const refuse = (refusal: SendRefusal): never => {
  throw new Refused(refusal);
};

/**
 * Checks the payment and returns a draft ready for confirmation, or the first reason it cannot be
 * made. Reads balances and the destination's account at the time of the call: the worker checks
 * again when it builds the transaction, since both can change before the user confirms.
 */
export async function validateSend(request: SendRequest, deps: SendValidationDeps): Promise<SendValidation> {
  try {
    return { ok: true, draft: await check(request, deps) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, refusal: error.refusal };
    throw error;
  }
}

async function check(request: SendRequest, deps: SendValidationDeps): Promise<PaymentDraft> {
  const { asset } = request;
  const unit = amountUnitOf(asset, deps) ?? refuse({ code: 'asset-unknown' });
  const amountBase = parseAmount(request.amount, unit);
  const destination = parseDestinationText(request.destination);
  const memo = parseMemoFor(asset.chain, request.memo);

  const chain = destinationChain(destination);
  if (chain !== null && chain !== asset.chain) refuse({ code: 'wrong-chain', assetChain: asset.chain });
  const wallet =
    request.wallets.find(
      (candidate) =>
        candidate.chain === asset.chain && (asset.chain === 'EVM' || candidate.status === 'ACTIVE'),
    ) ?? refuse({ code: 'source-not-ready', chain: asset.chain });

  let address: string;
  let baseAccount: string;
  let recipientUserId: bigint | null = null;
  let recipientUsername: string | null = null;
  if (destination.kind === 'username') {
    const recipient = await deps.users.findByUsername(destination.username);
    if (!recipient) return refuse({ code: 'unknown-user', username: destination.username });
    if (recipient.id === request.userId) refuse({ code: 'self-payment' });
    const wallets = await deps.wallets.listByUser(recipient.id);
    const target =
      wallets.find((candidate) => candidate.chain === asset.chain) ??
      refuse({ code: 'recipient-no-wallet', username: destination.username, chain: asset.chain });
    address = baseAccount = target.address;
    recipientUserId = recipient.id;
    recipientUsername = destination.username;
  } else {
    address = destination.address;
    baseAccount = accountOf(destination);
  }
  if (baseAccount.toLowerCase() === wallet.address.toLowerCase()) refuse({ code: 'self-payment' });

  const fee =
    asset.chain === 'STELLAR'
      ? await checkStellar(deps, {
          source: wallet.address,
          destination: baseAccount,
          asset,
          amountBase,
          memoGiven: memo !== null || destination.kind === 'stellar-muxed',
        })
      : await checkEvm(deps, { source: wallet.address, asset, amountBase, decimals: unit.decimals });

  return {
    userId: request.userId,
    walletId: wallet.id,
    sourceAddress: wallet.address,
    asset,
    decimals: unit.decimals,
    amountBase,
    destination: address,
    recipientUserId,
    recipientUsername,
    memo,
    invoiceId: null,
    fee,
  };
}

function parseAmount(text: string, unit: AmountUnit): bigint {
  try {
    return parsePaymentAmount(text, unit);
  } catch (error) {
    if (error instanceof InvalidPaymentAmountError)
      refuse({ code: 'amount-invalid', reason: error.reason, decimals: error.decimals });
    throw error;
  }
}

function parseDestinationText(text: string) {
  try {
    return parseDestination(text);
  } catch (error) {
    if (error instanceof InvalidDestinationError)
      refuse({ code: 'destination-invalid', reason: error.reason });
    throw error;
  }
}

function parseMemoFor(chain: ChainName, text: string | null): PaymentMemo | null {
  if (text === null || text.trim() === '') return null;
  if (chain === 'EVM') refuse({ code: 'memo-not-supported' });
  try {
    return parseStellarMemo(text);
  } catch (error) {
    if (error instanceof InvalidMemoError) refuse({ code: 'memo-too-long', maxBytes: error.maxBytes });
    throw error;
  }
}

const max0 = (value: bigint) => (value > 0n ? value : 0n);

async function checkStellar(
  deps: SendValidationDeps,
  input: {
    source: string;
    destination: string;
    asset: Extract<PaymentAsset, { chain: 'STELLAR' }>;
    amountBase: bigint;
    memoGiven: boolean;
  },
): Promise<PaymentDraft['fee']> {
  const { asset, amountBase } = input;
  const [source, destination, feeQuote] = await Promise.all([
    deps.stellar.getAccount(input.source),
    deps.stellar.getAccount(input.destination),
    deps.stellar.feePerOperation(),
  ]);
  if (!source) return refuse({ code: 'source-not-ready', chain: 'STELLAR' });
  // The quote the payment builds with (one operation): under surge it waits rather than offer more
  // than the cap, so the cap bounds what it may take.
  const fee = BigInt(feeUpperBound(feeQuote));
  // What the account may spend on fees and XLM payments without going below its minimum balance.
  const spendableNative = source.nativeBalance - source.minimumBalance;
  const decimals = STELLAR_DECIMALS;

  // An issuer pays its own asset out of thin air; anyone else needs a trustline and its balance.
  const sourceLine =
    asset.issuer === null || asset.issuer === input.source
      ? null
      : (trustlineOf(source, asset) ?? refuse({ code: 'asset-unknown' }));
  if (sourceLine && !sourceLine.authorized) refuse({ code: 'source-not-authorized' });

  if (!destination) return refuse({ code: 'destination-missing' });
  if (asset.issuer !== null && asset.issuer !== input.destination) {
    const line =
      trustlineOf(destination, asset) ?? refuse({ code: 'destination-no-trustline', assetCode: asset.code });
    if (!line.authorized) refuse({ code: 'destination-not-authorized', assetCode: asset.code });
    if (line.balance + amountBase > line.limit)
      refuse({ code: 'destination-line-full', assetCode: asset.code });
  }
  if (destination.memoRequired && !input.memoGiven) refuse({ code: 'memo-required' });

  if (asset.issuer === null && amountBase + fee > spendableNative)
    refuse({
      code: 'insufficient-balance',
      available: max0(spendableNative - fee),
      requested: amountBase,
      decimals,
      assetCode: asset.code,
    });
  if (sourceLine && sourceLine.balance < amountBase)
    refuse({
      code: 'insufficient-balance',
      available: sourceLine.balance,
      requested: amountBase,
      decimals,
      assetCode: asset.code,
    });
  if (asset.issuer !== null && fee > spendableNative)
    refuse({
      code: 'insufficient-fee-balance',
      available: max0(spendableNative),
      required: fee,
      decimals,
      assetCode: STELLAR_NATIVE_CODE,
    });
  return { amountBase: fee, code: STELLAR_NATIVE_CODE, decimals };
}

function trustlineOf(account: StellarAccountState, asset: { code: string; issuer: string | null }) {
  return account.trustlines.find(
    (line) => line.assetCode === asset.code && line.assetIssuer === asset.issuer,
  );
}

async function checkEvm(
  deps: SendValidationDeps,
  input: { source: string; asset: PaymentAsset; amountBase: bigint; decimals: number },
): Promise<PaymentDraft['fee']> {
  const { asset, amountBase } = input;
  const code = nativeSymbol(deps.evmChainId);
  const gas = asset.issuer === null ? EVM_NATIVE_TRANSFER_GAS : EVM_TOKEN_TRANSFER_GAS;
  const [{ maxFeePerGas }, native, token] = await Promise.all([
    deps.evm.feeData(),
    deps.evm.getNativeBalance(input.source),
    asset.issuer === null ? Promise.resolve(null) : deps.evm.getTokenBalance(asset.issuer, input.source),
  ]);
  const fee = gas * maxFeePerGas;
  if (token === null) {
    if (amountBase + fee > native)
      refuse({
        code: 'insufficient-balance',
        available: max0(native - fee),
        requested: amountBase,
        decimals: WEI_DECIMALS,
        assetCode: code,
      });
  } else {
    if (token < amountBase)
      refuse({
        code: 'insufficient-balance',
        available: token,
        requested: amountBase,
        decimals: input.decimals,
        assetCode: asset.code,
      });
    if (fee > native)
      refuse({
        code: 'insufficient-fee-balance',
        available: native,
        required: fee,
        decimals: WEI_DECIMALS,
        assetCode: code,
      });
  }
  return { amountBase: fee, code, decimals: WEI_DECIMALS };
}

/** The order the worker executes, once the Confirm press has given it a key and a status message. */
export function paymentOrderOf(
  draft: PaymentDraft,
  binding: { key: string; statusChatId: bigint; statusMessageId: number },
): PaymentOrder {
  return {
    key: binding.key,
    userId: draft.userId,
    walletId: draft.walletId,
    asset: draft.asset,
    amountBase: draft.amountBase,
    destination: draft.destination,
    recipientUserId: draft.recipientUserId,
    memo: draft.memo,
    invoiceId: draft.invoiceId,
    statusChatId: binding.statusChatId,
    statusMessageId: binding.statusMessageId,
  };
}

const integer = z.string().regex(/^\d{1,80}$/);
const serializedDraftSchema = z.object({
  userId: integer,
  walletId: z.string().min(1),
  sourceAddress: z.string().min(1),
  asset: z.discriminatedUnion('chain', [
    z.object({ chain: z.literal('STELLAR'), code: z.string().min(1).max(12), issuer: z.string().nullable() }),
    z.object({
      chain: z.literal('EVM'),
      chainId: z.number().int().positive(),
      code: z.string().min(1).max(32),
      issuer: z.string().nullable(),
    }),
  ]),
  decimals: z.number().int().min(0).max(36),
  amountBase: integer,
  destination: z.string().min(1),
  recipientUserId: integer.nullable(),
  recipientUsername: z.string().nullable(),
  memo: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text'), value: z.string() }),
      z.object({ type: z.literal('id'), value: integer }),
    ])
    .nullable(),
  invoiceId: z.string().nullable(),
  fee: z.object({ amountBase: integer, code: z.string(), decimals: z.number().int().min(0).max(36) }),
});

/** A {@link PaymentDraft} as JSON can hold it (bigints as decimal strings), e.g. a pending action's payload. */
export type SerializedPaymentDraft = z.infer<typeof serializedDraftSchema>;

/** The draft in JSON-safe form; {@link parsePaymentDraft} reads it back. */
export function serializePaymentDraft(draft: PaymentDraft): SerializedPaymentDraft {
  return {
    ...draft,
    userId: draft.userId.toString(),
    amountBase: draft.amountBase.toString(),
    recipientUserId: draft.recipientUserId?.toString() ?? null,
    fee: { ...draft.fee, amountBase: draft.fee.amountBase.toString() },
  };
}

/** Reads a serialized draft back; throws if it is not one (a stored payload is checked, never trusted). */
export function parsePaymentDraft(payload: unknown): PaymentDraft {
  const data = serializedDraftSchema.parse(payload);
  return {
    ...data,
    userId: BigInt(data.userId),
    amountBase: BigInt(data.amountBase),
    recipientUserId: data.recipientUserId === null ? null : BigInt(data.recipientUserId),
    fee: { ...data.fee, amountBase: BigInt(data.fee.amountBase) },
  };
}

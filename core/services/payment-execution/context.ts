/** What the chain-specific runs of a payment share: dependencies, settings and the checks before signing. */
import type { Logger } from '../../logger.ts';
import type {
  EvmNetwork,
  InvoiceRepository,
  KeyService,
  PaymentIntentRecord,
  PaymentIntentRepository,
  SourceAccountLock,
  StellarNetwork,
  StellarTransactionFactory,
  WalletRecord,
  WalletRepository,
} from '../../ports.ts';
import { reasonOfRecord, reasonOfSignerRefusal, type PaymentFailureReason } from './failures.ts';
import type {
  EvmTransactions,
  IntentProgress,
  PaymentStatusReporter,
  StellarPaymentFactory,
} from './ports.ts';
import type { StatusTrail } from './status-trail.ts';

/** How many fresh envelopes one payment may build before it gives up (each replaced a provably dead one). */
export const MAX_ENVELOPES = 5;

/** Settings of payment execution, from the worker's configuration. */
export interface PaymentExecutionSettings {
  networkPassphrase: string;
  /** A Stellar envelope is valid for this long (STELLAR_TX_TIMEOUT_SECONDS); at most the signer's window. */
  stellarTimeoutSeconds: number;
  evmChainId: number;
  /** Blocks (the transaction's own included) before an EVM payment counts as confirmed; at least 1. */
  evmConfirmations: number;
  evmPollIntervalMs: number;
  /** How long one run waits for a receipt before it lets the job retry (keep well under the lock's hold limit). */
  evmReceiptTimeoutMs: number;
}

/** Dependencies of `executePayment` (core/services/payment-execution.ts). */
export interface PaymentExecutionDeps {
  paymentIntents: Pick<PaymentIntentRepository, 'findByKey'>;
  intents: IntentProgress;
  wallets: Pick<WalletRepository, 'findById'>;
  invoices: Pick<InvoiceRepository, 'findById'>;
  keys: KeyService;
  sourceLock: SourceAccountLock;
  status: PaymentStatusReporter;
  stellar: StellarNetwork;
  /** Attaches the key service's signature to a Stellar envelope. */
  transactions: Pick<StellarTransactionFactory, 'attachSignature'>;
  stellarPayments: StellarPaymentFactory;
  evm: Pick<EvmNetwork, 'feeData' | 'getNativeBalance' | 'getTokenBalance'>;
  evmTransactions: EvmTransactions;
  settings: PaymentExecutionSettings;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Pause between receipt polls (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  log?: Pick<Logger, 'warn'>;
}

/** A failure for good, with what to tell the payer and what to log. */
export interface Failure {
  reason: PaymentFailureReason;
  detail: string;
}

/** What one run under the source account's lock ended with. */
export type RunResult =
  | { kind: 'landed'; txHash: string }
  /** `recorded`: the intent was already FAILED before this run. */
  | ({ kind: 'failed'; recorded: boolean } & Failure);

/** One run of one payment. */
export interface RunContext {
  intent: PaymentIntentRecord;
  wallet: WalletRecord;
  deps: PaymentExecutionDeps;
  trail: StatusTrail;
  now(): number;
}

/** The result of an intent that a run (this one or another) has already finished, if it has. */
export function finishedResult(intent: PaymentIntentRecord): RunResult | undefined {
  if (intent.status === 'CONFIRMED') return { kind: 'landed', txHash: intent.txHash! };
  if (intent.status === 'FAILED')
    return {
      kind: 'failed',
      recorded: true,
      reason: reasonOfRecord(intent.error),
      detail: intent.error ?? '',
    };
  return undefined;
}

/** A failure for good of a signing request, or undefined when a retry may pass. */
export function signerFailure(error: unknown): Failure | undefined {
  const reason = reasonOfSignerRefusal(error);
  return reason && { reason, detail: (error as { code: string }).code };
}

/**
 * What forbids building and signing a fresh envelope: a wallet that cannot pay this order, or an
 * invoice that is no longer open. Checked before every fresh envelope, never before settling a
 * stored one: what is already signed may already be in a ledger.
 */
export async function refusalBeforeSigning(context: RunContext): Promise<Failure | undefined> {
  const { intent, wallet, deps } = context;
  const { order } = intent;
  if (wallet.userId !== order.userId || wallet.chain !== order.asset.chain) {
    return { reason: 'wallet-unavailable', detail: 'the wallet is not the payer’s on this chain' };
  }
  if (wallet.chain === 'STELLAR' && wallet.status !== 'ACTIVE') {
    return { reason: 'wallet-unavailable', detail: `wallet is ${wallet.status}` };
  }
  if (order.asset.chain === 'EVM' && order.asset.chainId !== deps.settings.evmChainId) {
    return { reason: 'wallet-unavailable', detail: `chain ${order.asset.chainId} is not served` };
  }
  if (order.invoiceId) {
    const invoice = await deps.invoices.findById(order.invoiceId);
    if (!invoice || invoice.status === 'CANCELLED') return { reason: 'invoice-cancelled', detail: 'invoice' };
    if (invoice.status === 'PAID') return { reason: 'invoice-paid', detail: 'invoice' };
    if (invoice.status === 'EXPIRED' || invoice.expiresAt.getTime() <= context.now())
      return { reason: 'invoice-expired', detail: 'invoice' };
  }
  return undefined;
}

/** A run that built too many envelopes gives up; otherwise counts this one. */
export async function countEnvelope(context: RunContext): Promise<Failure | undefined> {
  const built = await context.deps.intents.countAttempt(context.intent.key);
  return built > MAX_ENVELOPES ? { reason: 'gave-up', detail: `${built - 1} envelopes built` } : undefined;
}

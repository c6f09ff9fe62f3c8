/**
 * The seams payment execution needs beyond core/ports.ts: building payment transactions, the EVM
 * submission side, writing an intent's progress, and reporting it to the payer. Adapters in
 * core/adapters implement them (stellar-payment-builder.ts, evm-transactions.ts,
 * intent-repository.ts); jobs/notifier.ts reports.
 */
import type { PaymentMemo, PaymentOrder } from '../../ports.ts';
import type { DeclaredEvmTransfer } from '../../signer-protocol/schema.ts';
import type { PaymentFailureReason } from './failures.ts';

/** A signed envelope as it is stored before it is submitted anywhere. */
export interface SignedEnvelope {
  sourceAddress: string;
  /** Stellar: base64 envelope XDR; EVM: the signed raw transaction, 0x hex. */
  envelope: string;
  txHash: string;
  amountBase: bigint;
  /** EVM: the nonce the transaction spends (with the source, the fence against a double spend). */
  evmNonce?: bigint | null;
  /** Stellar: the envelope's maxTime; after it an envelope never seen cannot land. */
  validUntil?: Date | null;
}

/** Writes an intent's progress. Implemented by core/adapters/intent-repository.ts. */
export interface IntentProgress {
  /**
   * Records a signed envelope; durable before the envelope leaves the process. Refuses (throws)
   * when the intent already holds one: an envelope is only ever replaced after it was discarded.
   */
  recordSigned(key: string, input: SignedEnvelope): Promise<void>;
  markSubmitted(key: string): Promise<void>;
  markConfirmed(key: string): Promise<void>;
  /** Records a final failure; a confirmed intent is never marked failed. */
  markFailed(key: string, error: string): Promise<void>;
  /** Forgets an envelope that provably can never land, so a fresh one can be built. */
  discardEnvelope(key: string): Promise<void>;
  /** Counts one more fresh envelope; returns how many were built so far. */
  countAttempt(key: string): Promise<number>;
}

/** An unsigned Stellar transaction, its hash and the end of its validity (unix seconds). */
export interface UnsignedStellarPayment {
  xdr: string;
  hash: string;
  maxTime: number;
}

/** Builds Stellar payment transactions locally; the signature comes from the key service. */
export interface StellarPaymentFactory {
  payment(input: {
    sourceAddress: string;
    /** The source's CURRENT sequence number; the transaction uses the next one. */
    sequence: string;
    /** `G…` or muxed `M…`. */
    destination: string;
    /** `issuer: null` is the native asset (XLM). */
    asset: { code: string; issuer: string | null };
    /** Stroops. */
    amount: bigint;
    memo: PaymentMemo | null;
    /** Fee per operation in stroops. */
    baseFee: number;
    /** maxTime = now + this. */
    timeoutSeconds: number;
  }): UnsignedStellarPayment;
}

/** A mined EVM transaction as its receipt shows it. */
export interface EvmReceipt {
  succeeded: boolean;
  blockNumber: bigint;
  blockHash: string;
}

/** The call an EVM transfer is: where it goes, the value it carries and its call data. */
export interface EvmCall {
  to: string;
  value: bigint;
  data: string;
}

/**
 * The submission side of an EVM chain. Broadcast errors carry stable codes the service acts on:
 * `EVM_NONCE_CONSUMED` (the nonce is spent: by this transaction or another), `EVM_INSUFFICIENT_FUNDS`
 * (refused for good), `EVM_EXECUTION_REVERTED` (estimation says the call fails); anything else is
 * transient and the same bytes are broadcast again later.
 */
export interface EvmTransactions {
  /** `latest`: transactions mined from `address`; `pending`: plus those the node holds in its pool. */
  nonces(address: string): Promise<{ latest: bigint; pending: bigint }>;
  /** Gas the call needs now. */
  estimateGas(call: EvmCall & { from: string }): Promise<bigint>;
  /** Sends a signed raw transaction; "already known" counts as sent. */
  broadcast(rawTransaction: string): Promise<void>;
  receipt(hash: string): Promise<EvmReceipt | null>;
  blockNumber(): Promise<bigint>;
  /** Hash, nonce and sender of a signed raw transaction (no I/O). */
  decode(rawTransaction: string): { hash: string; nonce: bigint; from: string };
  /** The call that performs a declared transfer: a value transfer, or ERC-20 `transfer(to, amount)`. */
  callOf(transfer: DeclaredEvmTransfer): EvmCall;
}

/** Where a payment stands, as the payer's status message shows it. */
export type PaymentStatusUpdate =
  | { stage: 'signing' }
  | { stage: 'submitted'; txHash: string }
  | { stage: 'confirmed'; txHash: string }
  | { stage: 'failed'; reason: PaymentFailureReason }
  /** The job gave up while a signed transaction's fate is unknown: it may still land. */
  | { stage: 'unconfirmed'; txHash: string };

/**
 * Edits the payer's status message (`order.statusChatId/statusMessageId`) in place, in the payer's
 * language. Idempotent: the same update twice leaves the message as it is. A message that can no
 * longer be edited is a {@link PermanentError}; anything else may be retried.
 */
export interface PaymentStatusReporter {
  reportPayment(order: PaymentOrder, update: PaymentStatusUpdate): Promise<void>;
}

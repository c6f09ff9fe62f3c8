/**
 * One run of an EVM payment under the source account's lock. The nonce is the fence: a stored
 * transaction is rebroadcast as is until its receipt appears, or until the account's mined nonce
 * has passed it while its hash is unknown (another transaction took the nonce); only then is a new
 * one built, with the node's pending nonce read under the lock.
 */
import { AppError } from '../../errors.ts';
import type { PaymentIntentRecord } from '../../ports.ts';
import type { DeclaredEvmTransfer } from '../../signer-protocol/schema.ts';
import {
  countEnvelope,
  finishedResult,
  refusalBeforeSigning,
  signerFailure,
  type Failure,
  type RunContext,
  type RunResult,
} from './context.ts';
import type { EvmReceipt } from './ports.ts';

/** How often one run re-examines a stored transaction whose nonce was refused, before it lets the job retry. */
const MAX_SETTLE_PASSES = 3;

/**
 * The transaction is out (or was) but has no receipt deep enough yet. Retry later: the same bytes
 * are broadcast again, or its receipt is found.
 */
export class EvmTransactionPendingError extends AppError {
  readonly retryable = true;

  constructor(intentKey: string, txHash: string) {
    super('EVM_TX_PENDING', `transaction ${txHash} of ${intentKey} is not confirmed yet`, {
      intentKey,
      txHash,
    });
  }
}

const codeOf = (error: unknown) => (error instanceof AppError ? error.code : undefined);

type Settled = RunResult | { kind: 'discarded' };

/** Polls for a receipt `evmConfirmations` blocks deep until the run's receipt timeout; null if none. */
async function deepReceipt(context: RunContext, txHash: string): Promise<EvmReceipt | null> {
  const { deps } = context;
  const { evmConfirmations, evmPollIntervalMs, evmReceiptTimeoutMs } = deps.settings;
  const deadline = context.now() + evmReceiptTimeoutMs;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const receipt = await deps.evmTransactions.receipt(txHash);
    if (receipt) {
      const depth = (await deps.evmTransactions.blockNumber()) - receipt.blockNumber + 1n;
      if (depth >= BigInt(Math.max(1, evmConfirmations))) return receipt;
    }
    if (context.now() >= deadline) return null;
    await sleep(evmPollIntervalMs);
  }
}

async function settleMined(context: RunContext, intent: PaymentIntentRecord): Promise<Settled> {
  const txHash = intent.txHash!;
  const receipt = await deepReceipt(context, txHash);
  if (!receipt) throw new EvmTransactionPendingError(intent.key, txHash);
  if (!receipt.succeeded) return { kind: 'failed', recorded: false, reason: 'reverted', detail: txHash };
  await context.deps.intents.markConfirmed(intent.key);
  return { kind: 'landed', txHash };
}

/** `fresh`: stored by this very run under the lock, so it has not been broadcast yet. */
async function settle(context: RunContext, intent: PaymentIntentRecord, fresh: boolean): Promise<Settled> {
  const { deps, wallet } = context;
  const txHash = intent.txHash!;
  const source = intent.sourceAddress ?? wallet.address;
  for (let pass = 1; ; pass++) {
    if (!fresh || pass > 1) {
      if (await deps.evmTransactions.receipt(txHash)) return settleMined(context, intent);
      // The nonce is read BEFORE the hash is looked up again: once the mined nonce has passed ours,
      // a receipt of ours, had it been mined, is there for the lookup that follows.
      const { latest } = await deps.evmTransactions.nonces(source);
      if (latest > intent.evmNonce!) {
        if (await deps.evmTransactions.receipt(txHash)) return settleMined(context, intent);
        await deps.intents.discardEnvelope(intent.key);
        return { kind: 'discarded' };
      }
    }
    await deps.intents.markSubmitted(intent.key);
    context.trail.progress({ stage: 'submitted', txHash });
    try {
      await deps.evmTransactions.broadcast(intent.envelope!);
    } catch (error) {
      const code = codeOf(error);
      if (code === 'EVM_INSUFFICIENT_FUNDS')
        return { kind: 'failed', recorded: false, reason: 'insufficient-funds', detail: code };
      // Spent between the nonce read and the broadcast: by this transaction or another; look again.
      if (code === 'EVM_NONCE_CONSUMED' && pass < MAX_SETTLE_PASSES) continue;
      throw error;
    }
    return settleMined(context, intent);
  }
}

function declaredTransfer(context: RunContext): DeclaredEvmTransfer {
  const { order } = context.intent;
  const amount = order.amountBase.toString();
  return order.asset.issuer === null
    ? { kind: 'native', to: order.destination, value: amount }
    : { kind: 'erc20', token: order.asset.issuer, to: order.destination, amount };
}

/** Refusals that need the chain: balances (value, token amount and the most the gas may cost) and a call that would revert. */
async function fundsRefusal(
  context: RunContext,
  transfer: DeclaredEvmTransfer,
  maxGasCost: bigint,
): Promise<Failure | undefined> {
  const { deps, wallet, intent } = context;
  const native = await deps.evm.getNativeBalance(wallet.address);
  const value = transfer.kind === 'native' ? intent.order.amountBase : 0n;
  if (native < value + maxGasCost) return { reason: 'insufficient-funds', detail: 'native balance' };
  if (transfer.kind === 'erc20') {
    const tokens = await deps.evm.getTokenBalance(transfer.token, wallet.address);
    if (tokens < intent.order.amountBase) return { reason: 'insufficient-funds', detail: 'token balance' };
  }
  return undefined;
}

/** Gas with headroom for contract calls, whose cost can move between estimate and inclusion. */
function withHeadroom(estimate: bigint): bigint {
  return estimate > 21_000n ? estimate + estimate / 5n : estimate;
}

/**
 * Settles the stored transaction, if any, and builds a fresh one only once the stored one provably
 * cannot land; a fresh one is stored before it is broadcast, on the next pass of the loop.
 */
export async function runEvmPayment(context: RunContext): Promise<RunResult> {
  const { deps, wallet } = context;
  const { key, order } = context.intent;
  let signedHere: string | undefined;
  for (;;) {
    const intent = (await deps.paymentIntents.findByKey(key))!;
    const finished = finishedResult(intent);
    if (finished) return finished;
    if (intent.envelope && intent.txHash && intent.evmNonce !== null) {
      const settled = await settle(context, intent, intent.txHash === signedHere);
      if (settled.kind !== 'discarded') return settled;
    }

    const refusal = (await refusalBeforeSigning(context)) ?? (await countEnvelope(context));
    if (refusal) return { kind: 'failed', recorded: false, ...refusal };
    context.trail.progress({ stage: 'signing' });
    const transfer = declaredTransfer(context);
    const call = deps.evmTransactions.callOf(transfer);
    const [{ pending }, fees] = await Promise.all([
      deps.evmTransactions.nonces(wallet.address),
      deps.evm.feeData(),
    ]);
    let gasLimit: bigint;
    try {
      gasLimit = withHeadroom(await deps.evmTransactions.estimateGas({ ...call, from: wallet.address }));
    } catch (error) {
      const code = codeOf(error);
      if (code === 'EVM_INSUFFICIENT_FUNDS')
        return { kind: 'failed', recorded: false, reason: 'insufficient-funds', detail: code };
      if (code === 'EVM_EXECUTION_REVERTED') {
        const funds = await fundsRefusal(context, transfer, 0n);
        return { kind: 'failed', recorded: false, ...(funds ?? { reason: 'reverted', detail: code }) };
      }
      throw error;
    }
    const funds = await fundsRefusal(context, transfer, gasLimit * fees.maxFeePerGas);
    if (funds) return { kind: 'failed', recorded: false, ...funds };

    let signed;
    try {
      signed = await deps.keys.signEvm({
        keyId: wallet.signerKeyId,
        chainId: deps.settings.evmChainId,
        transaction: {
          to: call.to,
          value: call.value.toString(),
          data: call.data,
          nonce: Number(pending),
          gasLimit: gasLimit.toString(),
          maxFeePerGas: fees.maxFeePerGas.toString(),
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
          chainId: deps.settings.evmChainId,
        },
        declared: transfer,
      });
    } catch (error) {
      const refused = signerFailure(error);
      if (refused) return { kind: 'failed', recorded: false, ...refused };
      throw error;
    }
    const decoded = deps.evmTransactions.decode(signed.signedTransaction);
    if (decoded.from.toLowerCase() !== wallet.address.toLowerCase() || decoded.nonce !== pending) {
      throw new AppError('EVM_SIGNATURE_MISMATCH', 'the signed transaction is not the one requested', {
        intentKey: key,
      });
    }
    // Durable before it leaves the process: a crash from here on resumes with these exact bytes.
    await deps.intents.recordSigned(key, {
      sourceAddress: wallet.address,
      envelope: signed.signedTransaction,
      txHash: decoded.hash,
      amountBase: order.amountBase,
      evmNonce: pending,
    });
    signedHere = decoded.hash;
  }
}

/** One run of a Stellar payment under the source account's lock: settle what is stored, else build, sign and store. */
import { formatStroops } from '../../domain/amounts.ts';
import { AppError } from '../../errors.ts';
import type { PaymentIntentRecord } from '../../ports.ts';
import type { DeclaredStellarMemo } from '../../signer-protocol/schema.ts';
import {
  countEnvelope,
  finishedResult,
  refusalBeforeSigning,
  signerFailure,
  type RunContext,
  type RunResult,
} from './context.ts';
import { reasonOfStellarCodes } from './failures.ts';
import { settleStellarEnvelope } from './stellar-envelope.ts';
import { feeForFreshEnvelope } from './stellar-fee.ts';

type Settled = RunResult | { kind: 'discarded' };

async function settle(context: RunContext, intent: PaymentIntentRecord, fresh: boolean): Promise<Settled> {
  const { deps, trail, wallet } = context;
  const { key } = intent;
  const txHash = intent.txHash!;
  let settled;
  try {
    settled = await settleStellarEnvelope(
      { key, sourceAddress: intent.sourceAddress ?? wallet.address, envelope: intent.envelope!, txHash },
      { stellar: deps.stellar, intents: deps.intents, now: context.now },
      { fresh, beforeSubmit: async () => trail.progress({ stage: 'submitted', txHash }) },
    );
  } catch (error) {
    // SEP-29: the SDK checks the destination before anything is sent.
    if (error instanceof AppError && error.code === 'STELLAR_MEMO_REQUIRED')
      return { kind: 'failed', recorded: false, reason: 'memo-required', detail: error.code };
    throw error;
  }
  if (settled.kind === 'landed') {
    await deps.intents.markConfirmed(key);
    return { kind: 'landed', txHash };
  }
  if (settled.kind === 'failed') {
    const detail = settled.codes.join(',');
    return { kind: 'failed', recorded: false, reason: reasonOfStellarCodes(settled.codes), detail };
  }
  return settled;
}

/**
 * Settles the stored envelope, if any, and builds a fresh one only once the stored one provably
 * cannot land; a fresh envelope is stored before it is submitted, on the next pass of the loop.
 * A fresh envelope offers the fee the current load asks; while that is above the cap, the run ends
 * with `StellarFeeAboveCapError` (stellar-fee.ts; transient) and nothing built.
 */
export async function runStellarPayment(context: RunContext): Promise<RunResult> {
  const { deps, wallet } = context;
  const { key, order } = context.intent;
  let signedHere: string | undefined;
  for (;;) {
    const intent = (await deps.paymentIntents.findByKey(key))!;
    const finished = finishedResult(intent);
    if (finished) return finished;
    if (intent.envelope && intent.txHash) {
      const settled = await settle(context, intent, intent.txHash === signedHere);
      if (settled.kind !== 'discarded') return settled;
    }

    const refusal = await refusalBeforeSigning(context);
    if (refusal) return { kind: 'failed', recorded: false, ...refusal };
    // Before the envelope is counted: waiting out a surge above the cap builds nothing.
    const fee = await feeForFreshEnvelope(deps.stellar);
    const tooMany = await countEnvelope(context);
    if (tooMany) return { kind: 'failed', recorded: false, ...tooMany };
    context.trail.progress({ stage: 'signing' });
    const unsigned = deps.stellarPayments.payment({
      sourceAddress: wallet.address,
      sequence: await deps.stellar.getSequence(wallet.address),
      destination: order.destination,
      asset: { code: order.asset.code, issuer: order.asset.issuer },
      amount: order.amountBase,
      memo: order.memo,
      baseFee: fee,
      timeoutSeconds: deps.settings.stellarTimeoutSeconds,
    });
    const amount = formatStroops(order.amountBase);
    let signature;
    try {
      signature = await deps.keys.signStellar({
        keyId: wallet.signerKeyId,
        networkPassphrase: deps.settings.networkPassphrase,
        transactionXdr: unsigned.xdr,
        declaredOperations: [
          {
            type: 'payment',
            destination: order.destination,
            asset:
              order.asset.issuer === null ? 'native' : { code: order.asset.code, issuer: order.asset.issuer },
            amount,
          },
        ],
        ...(order.memo ? { memo: order.memo satisfies DeclaredStellarMemo } : {}),
      });
    } catch (error) {
      const refused = signerFailure(error);
      if (refused) return { kind: 'failed', recorded: false, ...refused };
      throw error;
    }
    const envelope = deps.transactions.attachSignature(
      unsigned.xdr,
      signature.publicKey,
      signature.signature,
    );
    // Durable before it leaves the process: a crash from here on resumes with these exact bytes.
    await deps.intents.recordSigned(key, {
      sourceAddress: wallet.address,
      envelope,
      txHash: unsigned.hash,
      amountBase: order.amountBase,
      validUntil: new Date(unsigned.maxTime * 1000),
    });
    signedHere = unsigned.hash;
  }
}

/**
 * How a payment reads in the chat: asset names, amounts, recipients, the summary shown before
 * Confirm and the answer to every refusal. Pure functions of their input and a translator, so the
 * /send conversation (which replays) and the Confirm handler render the same text.
 */
import { formatDecimalAmount } from '../../core/domain/amounts.ts';
import type { PaymentAsset } from '../../core/ports.ts';
import type { PaymentDraft, SendRefusal } from '../../core/services/send-validation.ts';

/** A message in the user's language; variables are Fluent arguments. */
export type Translate = (key: string, variables?: Record<string, string | number>) => string;

/** Escapes text for Telegram's HTML parse mode (memo text is whatever the user typed). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `GABC…WXYZ`: enough to tell two issuers apart on a button. */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 4)}…${address.slice(-4)}` : address;
}

/** The network an asset lives on, as shown to users. */
export function networkName(asset: PaymentAsset): string {
  return asset.chain === 'STELLAR' ? 'Stellar' : `EVM ${asset.chainId}`;
}

/** `XLM`, `USDC (GABC…WXYZ)` for a Stellar credit asset, `USDC` for a known ERC-20. */
export function assetLabel(asset: PaymentAsset): string {
  return asset.chain === 'STELLAR' && asset.issuer !== null
    ? `${asset.code} (${shortAddress(asset.issuer)})`
    : asset.code;
}

/** An amount in base units as a plain decimal ("12.5"). */
export function formatAmount(amountBase: bigint, decimals: number): string {
  return formatDecimalAmount(amountBase, decimals);
}

/** Who receives the payment, one line: `@name` when named so, else the address in short form. */
export function recipientText(draft: Pick<PaymentDraft, 'recipientUsername' | 'destination'>): string {
  return draft.recipientUsername ? `@${draft.recipientUsername}` : shortAddress(draft.destination);
}

/** The summary shown with the Confirm / Cancel buttons (HTML). */
export function renderPaymentSummary(draft: PaymentDraft, t: Translate, ttlSeconds: number): string {
  const lines = [
    t('send-summary-title'),
    '',
    t('send-summary-amount', {
      amount: formatAmount(draft.amountBase, draft.decimals),
      asset: draft.asset.code,
    }),
    t('send-summary-network', { network: networkName(draft.asset) }),
  ];
  if (draft.asset.issuer !== null)
    lines.push(
      t(draft.asset.chain === 'STELLAR' ? 'send-summary-issuer' : 'send-summary-token', {
        address: draft.asset.issuer,
      }),
    );
  lines.push(
    draft.recipientUsername
      ? t('send-summary-to-user', { username: draft.recipientUsername, address: draft.destination })
      : t('send-summary-to-address', { address: draft.destination }),
  );
  if (draft.memo)
    lines.push(
      t(draft.memo.type === 'id' ? 'send-summary-memo-id' : 'send-summary-memo-text', {
        memo: escapeHtml(draft.memo.value),
      }),
    );
  lines.push(
    t('send-summary-fee', {
      fee: formatAmount(draft.fee.amountBase, draft.fee.decimals),
      asset: draft.fee.code,
    }),
    '',
    t('send-summary-expiry', { minutes: Math.max(1, Math.ceil(ttlSeconds / 60)) }),
  );
  return lines.join('\n');
}

/** The step of the /send conversation that can fix a refusal, or `end` when none can. */
export type SendStep = 'amount' | 'destination' | 'memo' | 'end';

/** Where the user can fix what was refused. */
export function stepFor(refusal: SendRefusal): SendStep {
  switch (refusal.code) {
    case 'amount-invalid':
    case 'insufficient-balance':
    case 'insufficient-fee-balance':
    case 'destination-line-full':
      return 'amount';
    case 'destination-invalid':
    case 'wrong-chain':
    case 'unknown-user':
    case 'recipient-no-wallet':
    case 'self-payment':
    case 'destination-missing':
    case 'destination-no-trustline':
    case 'destination-not-authorized':
      return 'destination';
    case 'memo-required':
    case 'memo-too-long':
      return 'memo';
    case 'memo-not-supported':
    case 'asset-unknown':
    case 'source-not-ready':
    case 'source-not-authorized':
      return 'end';
  }
}

/** The answer to a refusal, in the user's language; `asset` names the asset being sent. */
export function refusalText(refusal: SendRefusal, t: Translate, asset: string): string {
  switch (refusal.code) {
    case 'amount-invalid':
      return t(`send-refusal-amount-${refusal.reason.replace(/_/g, '-')}`, {
        asset,
        decimals: refusal.decimals,
      });
    case 'destination-invalid':
      return t(`send-refusal-destination-${refusal.reason}`);
    case 'wrong-chain':
      return t(
        refusal.assetChain === 'STELLAR'
          ? 'send-refusal-wrong-chain-stellar'
          : 'send-refusal-wrong-chain-evm',
        {
          asset,
        },
      );
    case 'source-not-ready':
      return t(
        refusal.chain === 'STELLAR'
          ? 'send-refusal-source-not-ready-stellar'
          : 'send-refusal-source-not-ready-evm',
      );
    case 'unknown-user':
      return t('send-refusal-unknown-user', { username: refusal.username });
    case 'recipient-no-wallet':
      return t('send-refusal-recipient-no-wallet', {
        username: refusal.username,
        network: refusal.chain === 'STELLAR' ? 'Stellar' : 'EVM',
      });
    case 'insufficient-balance':
      return t('send-refusal-insufficient-balance', {
        asset: refusal.assetCode,
        available: formatAmount(refusal.available, refusal.decimals),
        requested: formatAmount(refusal.requested, refusal.decimals),
      });
    case 'insufficient-fee-balance':
      return t('send-refusal-insufficient-fee-balance', {
        asset: refusal.assetCode,
        available: formatAmount(refusal.available, refusal.decimals),
        required: formatAmount(refusal.required, refusal.decimals),
      });
    case 'destination-no-trustline':
    case 'destination-not-authorized':
    case 'destination-line-full':
      return t(`send-refusal-${refusal.code}`, { asset: refusal.assetCode });
    case 'memo-too-long':
      return t('send-refusal-memo-too-long', { maxBytes: refusal.maxBytes });
    case 'asset-unknown':
    case 'source-not-authorized':
    case 'self-payment':
    case 'destination-missing':
    case 'memo-required':
    case 'memo-not-supported':
      return t(`send-refusal-${refusal.code}`);
  }
}

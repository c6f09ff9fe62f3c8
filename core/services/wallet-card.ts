import QRCode from 'qrcode';
import { formatStroops, formatWei, parseStellarAmount } from '../domain/amounts.ts';
import { nativeSymbol } from '../domain/evm-chains.ts';
import type { WalletView } from './wallet-overview.ts';

/** Looks up a localized message; bot handlers pass `ctx.t`, the worker the user's locale. */
export type Translate = (key: string, variables?: Record<string, string | number>) => string;

/** One photo of the wallet card: a QR code of the address, captioned (HTML) with the details. */
export interface WalletCardPhoto {
  chain: 'STELLAR' | 'EVM';
  qrPng: Buffer;
  caption: string;
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function stellarLines(view: Extract<WalletView, { chain: 'STELLAR' }>, t: Translate): string[] {
  if (view.balances === 'unavailable') return [t('wallet-balance-unavailable')];
  if (view.balances === 'not-activated') return [t('wallet-stellar-not-active')];
  return view.balances.map((balance) =>
    t('wallet-balance-line', {
      asset: escapeHtml(
        balance.assetIssuer ? `${balance.assetCode} (${shorten(balance.assetIssuer)})` : balance.assetCode,
      ),
      amount: formatStroops(parseStellarAmount(balance.amount)),
    }),
  );
}

function evmLines(view: Extract<WalletView, { chain: 'EVM' }>, chainId: number, t: Translate): string[] {
  if (view.nativeWei === 'unavailable') return [t('wallet-balance-unavailable')];
  return [t('wallet-balance-line', { asset: nativeSymbol(chainId), amount: formatWei(view.nativeWei) })];
}

function shorten(address: string): string {
  return `${address.slice(0, 4)}…${address.slice(-4)}`;
}

/**
 * Renders the wallet card: for each wallet a QR code of its address and a caption with the address
 * (tap to copy) and its balances. Pure apart from PNG encoding; sending is the caller's job.
 */
export async function renderWalletCard(
  views: WalletView[],
  options: { evmChainId: number; t: Translate },
): Promise<WalletCardPhoto[]> {
  const { t, evmChainId } = options;
  return Promise.all(
    views.map(async (view) => {
      const title =
        view.chain === 'STELLAR' ? t('wallet-stellar-title') : t('wallet-evm-title', { chainId: evmChainId });
      const lines = view.chain === 'STELLAR' ? stellarLines(view, t) : evmLines(view, evmChainId, t);
      const caption = [
        `<b>${title}</b>`,
        `<code>${escapeHtml(view.wallet.address)}</code>`,
        '',
        ...lines,
      ].join('\n');
      const qrPng = await QRCode.toBuffer(view.wallet.address, {
        type: 'png',
        errorCorrectionLevel: 'M',
        margin: 2,
        width: 384,
      });
      return { chain: view.chain, qrPng, caption };
    }),
  );
}

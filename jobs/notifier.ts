import { GrammyError, InputFile, type Api } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { PermanentError, NotFoundError } from '../core/errors.ts';
import { negotiateLanguage } from '../core/domain/languages.ts';
import { formatDecimalAmount, STELLAR_DECIMALS, WEI_DECIMALS } from '../core/domain/amounts.ts';
import { tokenByAddress, type KnownToken } from '../core/domain/tokens.ts';
import type { NotificationPayload } from '../core/queues.ts';
import type {
  EvmNetwork,
  PaymentOrder,
  StellarNetwork,
  UserRecord,
  UserRepository,
  WalletRepository,
} from '../core/ports.ts';
import { describeWallets } from '../core/services/wallet-overview.ts';
import { renderWalletCard, type Translate } from '../core/services/wallet-card.ts';
import { transactionExplorerUrl } from '../core/services/payment-execution/explorer.ts';
import type { PaymentStatusReporter, PaymentStatusUpdate } from '../core/services/payment-execution/ports.ts';

/**
 * Sends the worker's messages to users through the Bot API (send only), and edits a payment's
 * status message in place.
 */
export interface Notifier extends PaymentStatusReporter {
  send(notification: NotificationPayload): Promise<void>;
}

/** Dependencies of {@link createNotifier}. */
export interface NotifierDeps {
  api: Api;
  i18n: I18n<never>;
  users: UserRepository;
  wallets: WalletRepository;
  stellar: StellarNetwork;
  evm: EvmNetwork;
  evmChainId: number;
  /** Which Stellar network the platform is on, for explorer links (none for `custom`). Default `custom`. */
  stellarNetwork?: 'testnet' | 'public' | 'custom';
  /** An explorer base URL for the EVM chain; well-known chains have one built in. */
  evmExplorerUrl?: string;
  /** ERC-20 tokens the platform knows (EVM_TOKENS), for amounts in whole tokens. */
  tokens?: readonly KnownToken[];
}

/** Telegram refused for good (blocked by the user, chat gone): retrying cannot help. */
export class RecipientUnreachableError extends PermanentError {
  constructor(chatId: string, description: string, options?: { cause?: unknown }) {
    super('RECIPIENT_UNREACHABLE', `cannot message chat ${chatId}: ${description}`, { chatId }, options);
  }
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Telegram answers an edit that changes nothing with this; the message already says it. */
const NOT_MODIFIED = /message is not modified/i;

/** The amount and asset of an order in whole units: `12.5 XLM`, `0.01 ETH`, `250 USDC`. */
function orderAmount(order: PaymentOrder, tokens: readonly KnownToken[]): { amount: string; asset: string } {
  const { asset, amountBase } = order;
  if (asset.chain === 'STELLAR')
    return { amount: formatDecimalAmount(amountBase, STELLAR_DECIMALS), asset: asset.code };
  if (asset.issuer === null)
    return { amount: formatDecimalAmount(amountBase, WEI_DECIMALS), asset: asset.code };
  const token = tokenByAddress(tokens, asset.issuer);
  // A token the list does not know (any more) is shown in base units rather than guessed.
  return token
    ? { amount: formatDecimalAmount(amountBase, token.decimals), asset: token.symbol }
    : { amount: amountBase.toString(), asset: `${asset.code} (base units)` };
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const { api, i18n } = deps;
  const translatorFor = (user: UserRecord): Translate => {
    const language = negotiateLanguage(user.languageCode);
    return (key, variables) => i18n.t(language, key, variables);
  };
  const userOf = async (userId: bigint) => {
    const user = await deps.users.findById(userId);
    if (!user) throw new NotFoundError('user', userId.toString());
    return user;
  };
  const walletOf = async (walletId: string) => {
    const wallet = await deps.wallets.findById(walletId);
    if (!wallet) throw new NotFoundError('wallet', walletId);
    return { wallet, user: await userOf(wallet.userId) };
  };
  // In a private chat the chat id is the user's id.
  const deliver = async (user: UserRecord, send: (chatId: number) => Promise<unknown>) => {
    try {
      await send(Number(user.telegramId));
    } catch (error) {
      if (error instanceof GrammyError && (error.error_code === 403 || error.error_code === 400)) {
        throw new RecipientUnreachableError(user.telegramId.toString(), error.description, { cause: error });
      }
      throw error;
    }
  };

  const paymentText = (order: PaymentOrder, update: PaymentStatusUpdate, t: Translate): string => {
    const { amount, asset } = orderAmount(order, deps.tokens ?? []);
    const common = { amount, asset: escapeHtml(asset), destination: escapeHtml(order.destination) };
    const explorer = (txHash: string) => {
      const url = transactionExplorerUrl(order.asset.chain, txHash, {
        stellarNetwork: deps.stellarNetwork ?? 'custom',
        evmChainId: deps.evmChainId,
        evmExplorerUrl: deps.evmExplorerUrl,
      });
      return url ? `\n${t('payment-status-explorer', { url: escapeHtml(url) })}` : '';
    };
    switch (update.stage) {
      case 'signing':
        return t('payment-status-signing', common);
      case 'submitted':
        return t('payment-status-submitted', common) + explorer(update.txHash);
      case 'confirmed':
        return t('payment-status-confirmed', common) + explorer(update.txHash);
      case 'unconfirmed':
        return t('payment-status-unconfirmed', common) + explorer(update.txHash);
      case 'failed':
        return t('payment-status-failed', { ...common, reason: t(`payment-failure-${update.reason}`) });
    }
  };

  return {
    async reportPayment(order, update) {
      const t = translatorFor(await userOf(order.userId));
      const text = paymentText(order, update, t);
      try {
        await api.editMessageText(Number(order.statusChatId), order.statusMessageId, text, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        });
      } catch (error) {
        if (!(error instanceof GrammyError)) throw error;
        // A retried edit finds the message already showing this stage: done.
        if (NOT_MODIFIED.test(error.description)) return;
        if (error.error_code === 403 || error.error_code === 400) {
          throw new RecipientUnreachableError(order.statusChatId.toString(), error.description, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async send(notification) {
      switch (notification.kind) {
        case 'wallets-created': {
          const user = await userOf(BigInt(notification.userId));
          const t = translatorFor(user);
          const photos = await renderWalletCard(await describeWallets(user.id, deps), {
            evmChainId: deps.evmChainId,
            t,
          });
          await deliver(user, async (chatId) => {
            for (const photo of photos) {
              await api.sendPhoto(
                chatId,
                new InputFile(photo.qrPng, `${photo.chain.toLowerCase()}-address.png`),
                {
                  caption: photo.caption,
                  parse_mode: 'HTML',
                },
              );
            }
            await api.sendMessage(chatId, t('wallet-created'));
          });
          return;
        }
        case 'wallet-activated': {
          const { wallet, user } = await walletOf(notification.walletId);
          const t = translatorFor(user);
          await deliver(user, (chatId) =>
            api.sendMessage(chatId, t('wallet-activated', { address: wallet.address }), {
              parse_mode: 'HTML',
            }),
          );
          return;
        }
        case 'wallet-activation-failed': {
          const { user } = await walletOf(notification.walletId);
          await deliver(user, (chatId) =>
            api.sendMessage(chatId, translatorFor(user)('wallet-activation-failed')),
          );
          return;
        }
      }
    },
  };
}

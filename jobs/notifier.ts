import { GrammyError, InputFile, type Api } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { PermanentError, NotFoundError } from '../core/errors.ts';
import { negotiateLanguage } from '../core/domain/languages.ts';
import type { NotificationPayload } from '../core/queues.ts';
import type {
  EvmNetwork,
  StellarNetwork,
  UserRecord,
  UserRepository,
  WalletRepository,
} from '../core/ports.ts';
import { describeWallets } from '../core/services/wallet-overview.ts';
import { renderWalletCard, type Translate } from '../core/services/wallet-card.ts';

/** Sends the worker's messages to users through the Bot API (send only). */
export interface Notifier {
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
}

/** Telegram refused for good (blocked by the user, chat gone): retrying cannot help. */
export class RecipientUnreachableError extends PermanentError {
  constructor(chatId: string, description: string, options?: { cause?: unknown }) {
    super('RECIPIENT_UNREACHABLE', `cannot message chat ${chatId}: ${description}`, { chatId }, options);
  }
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

  return {
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

import type { Context, SessionFlavor } from 'grammy';
import type { I18nFlavor } from '@grammyjs/i18n';
import type { Logger } from '../core/logger.ts';
import type {
  EvmNetwork,
  JobProducer,
  StellarNetwork,
  UserRepository,
  WalletRepository,
} from '../core/ports.ts';
import type { UpdateLog } from '../core/adapters/update-log.ts';

/** What the bot keeps per user in Redis. The i18n plugin owns `__language_code`. */
export interface SessionData {
  __language_code?: string;
}

/** Everything the bot's handlers use, built once in bot/main.ts. */
export interface BotDeps {
  logger: Logger;
  users: UserRepository;
  wallets: WalletRepository;
  updates: UpdateLog;
  jobs: JobProducer;
  stellar: StellarNetwork;
  evm: EvmNetwork;
  evmChainId: number;
}

/** The context every handler receives. */
export type BotContext = Context &
  SessionFlavor<SessionData> &
  I18nFlavor & {
    deps: BotDeps;
    /** A child logger bound to this update's id. */
    log: Logger;
  };

import type { Context, SessionFlavor } from 'grammy';
import type { I18nFlavor } from '@grammyjs/i18n';
import type { ConversationData, ConversationFlavor, VersionedState } from '@grammyjs/conversations';
import type { Logger } from '../core/logger.ts';
import type {
  EvmNetwork,
  InvoiceRepository,
  NotificationOutbox,
  JobProducer,
  PaymentIntentRepository,
  PendingActionRepository,
  StellarNetwork,
  UserRepository,
  WalletRepository,
} from '../core/ports.ts';
import type { KnownToken } from '../core/domain/tokens.ts';
import type { UpdateLog } from '../core/adapters/update-log.ts';

/** What the bot keeps per user in Redis. The i18n plugin owns `__language_code`. */
export interface SessionData {
  __language_code?: string;
  /** The @username last stored for this user (lower-case, `null`: none), so it is written only when it changes. */
  knownUsername?: string | null;
  /** Where the user is in a conversation (/send), kept with the session so it survives restarts. */
  conversations?: VersionedState<ConversationData>;
  /**
   * Invoices this user offered through inline mode, by their normalized request text, so that the
   * queries sent while typing reuse one invoice instead of creating one per keystroke.
   */
  inlineInvoices?: Record<string, { invoiceId: string; slug: string; at: number }>;
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
  /** ERC-20 tokens the platform knows (config EVM_TOKENS). */
  evmTokens: readonly KnownToken[];
  /** Button state behind Confirm / Pay presses. */
  pendingActions: PendingActionRepository;
  paymentIntents: PaymentIntentRepository;
  /** How long a Confirm button stays valid (config CONFIRM_TTL_SECONDS). */
  confirmTtlSeconds: number;
  invoices: InvoiceRepository;
  /** Notifications committed with a change (a Stars payment), released once queued. */
  notificationOutbox: NotificationOutbox;
  /** How long a new invoice stays payable (config INVOICE_TTL_MINUTES). */
  invoiceTtlMinutes: number;
  /** Public origin of the bot's HTTP server for invoice pages (PUBLIC_URL, else the webhook's); null: none. */
  publicUrl: string | null;
}

/** The context every handler receives. */
export type BotContext = ConversationFlavor<
  Context &
    SessionFlavor<SessionData> &
    I18nFlavor & {
      deps: BotDeps;
      /** A child logger bound to this update's id. */
      log: Logger;
    }
>;

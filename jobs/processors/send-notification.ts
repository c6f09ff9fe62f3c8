import { GrammyError, type Api } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { notificationJob, type NotificationPayload } from '../../core/queues.ts';
import { NotFoundError, PermanentError } from '../../core/errors.ts';
import { formatDecimalAmount, formatStroops, formatWei } from '../../core/domain/amounts.ts';
import { nativeSymbol } from '../../core/domain/evm-chains.ts';
import { negotiateLanguage } from '../../core/domain/languages.ts';
import { tokenByAddress, type KnownToken } from '../../core/domain/tokens.ts';
import type {
  DepositNotice,
  DepositNoticeReader,
  NoticeInvoice,
  NoticeUser,
} from '../../core/adapters/deposit-repository.ts';
import type { Logger } from '../../core/logger.ts';
import type { WorkerDeps } from '../deps.ts';
import type { JobHandler } from '../run-job.ts';
import { RecipientUnreachableError } from '../notifier.ts';

/** The notification kinds about money that arrived (or left again) and invoices that got paid. */
export type DepositNotification = Extract<
  NotificationPayload,
  { kind: 'deposit-received' | 'deposit-reversed' | 'invoice-paid' }
>;

const DEPOSIT_KINDS = new Set<NotificationPayload['kind']>([
  'deposit-received',
  'deposit-reversed',
  'invoice-paid',
]);

function isDepositNotification(payload: NotificationPayload): payload is DepositNotification {
  return DEPOSIT_KINDS.has(payload.kind);
}

/** Sends deposit and invoice-paid messages; built by {@link createDepositNotices}. */
export interface DepositNotices {
  send(notification: DepositNotification, log: Logger): Promise<void>;
}

/** Dependencies of {@link createDepositNotices}. */
export interface DepositNoticesDeps {
  api: Api;
  i18n: I18n<never>;
  reader: DepositNoticeReader;
  /** ERC-20 tokens the platform knows (config EVM_TOKENS): their decimals format amounts. */
  knownTokens: readonly KnownToken[];
}

type Translate = (key: string, variables?: Record<string, string>) => string;

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const shorten = (address: string) => `${address.slice(0, 4)}…${address.slice(-4)}`;

/** An amount and the name of its asset, exactly, for display. */
interface Money {
  amount: string;
  asset: string;
}

/**
 * Formats base units of an asset: stroops with 7 decimals (any Stellar asset), wei with 18 (an EVM
 * chain's coin), a known ERC-20 with its own decimals. `null` for a token contract we do not know:
 * its decimals are unknown, so no amount in its units can be trusted.
 */
function moneyOf(
  value: {
    chain: 'STELLAR' | 'EVM' | 'STARS';
    chainId: number | null;
    assetCode: string;
    assetIssuer: string | null;
  },
  amountBase: bigint,
  knownTokens: readonly KnownToken[],
): Money | null {
  if (value.chain === 'STARS') return { amount: amountBase.toString(), asset: '⭐' };
  if (value.chain === 'STELLAR') {
    const asset = value.assetIssuer ? `${value.assetCode} (${shorten(value.assetIssuer)})` : 'XLM';
    return { amount: formatStroops(amountBase), asset: escapeHtml(asset) };
  }
  if (value.assetIssuer === null) {
    return { amount: formatWei(amountBase), asset: nativeSymbol(value.chainId ?? 1) };
  }
  const token = tokenByAddress(knownTokens, value.assetIssuer);
  if (!token) return null;
  return { amount: formatDecimalAmount(amountBase, token.decimals), asset: token.symbol };
}

function invoiceMoney(invoice: NoticeInvoice, knownTokens: readonly KnownToken[]): Money | null {
  return moneyOf({ ...invoice, chain: invoice.rail }, invoice.amountBase, knownTokens);
}

/** `@name` for a platform user with a known username, else the sending address. */
function senderOf(notice: DepositNotice): string {
  if (notice.sender?.username) return escapeHtml(`@${notice.sender.username}`);
  return `<code>${escapeHtml(notice.fromAddress)}</code>`;
}

/** The lines about the invoice a deposit named or resembled; empty when none. */
function invoiceLines(notice: DepositNotice, t: Translate, knownTokens: readonly KnownToken[]): string[] {
  const outcome = notice.invoiceOutcome;
  if (outcome === null) return [];
  if (outcome === 'no-invoice') return [t('deposit-invoice-no-invoice')];
  // An invoice of someone else is never described to this owner.
  if (outcome === 'wrong-destination') return [t('deposit-invoice-wrong-destination')];
  const invoice = notice.invoice;
  if (!invoice || invoice.payeeUserId !== notice.owner.userId) return [];
  const description = escapeHtml(invoice.description);
  const expected = invoiceMoney(invoice, knownTokens);
  const paid = moneyOf(notice, notice.amountBase, knownTokens);
  switch (outcome) {
    case 'short':
      return [
        t('deposit-invoice-short', {
          description,
          amount: paid?.amount ?? notice.amountBase.toString(),
          expected: expected?.amount ?? invoice.amountBase.toString(),
          asset: expected?.asset ?? escapeHtml(invoice.assetCode),
        }),
      ];
    case 'wrong-asset':
    case 'unknown-token':
      return [
        t(outcome === 'wrong-asset' ? 'deposit-invoice-wrong-asset' : 'deposit-invoice-unknown-token', {
          description,
          expected: expected?.amount ?? invoice.amountBase.toString(),
          asset: expected?.asset ?? escapeHtml(invoice.assetCode),
        }),
      ];
    case 'paid':
    case 'expired':
    case 'cancelled':
    case 'already-paid':
      return [t(`deposit-invoice-${outcome}`, { description })];
  }
}

function depositReceivedText(
  notice: DepositNotice,
  t: Translate,
  knownTokens: readonly KnownToken[],
): string {
  const sender = senderOf(notice);
  const money = moneyOf(notice, notice.amountBase, knownTokens);
  const lines = [
    money
      ? t('deposit-received', { ...money, sender })
      : t('deposit-received-unknown-token', {
          amount: notice.amountBase.toString(),
          asset: escapeHtml(notice.assetCode),
          contract: escapeHtml(notice.assetIssuer ?? ''),
          sender,
        }),
  ];
  if (notice.memo !== null && notice.memoType !== null && notice.memoType !== 'none')
    lines.push(t('deposit-memo', { memo: escapeHtml(notice.memo) }));
  lines.push(...invoiceLines(notice, t, knownTokens));
  return lines.join('\n');
}

function depositReversedText(
  notice: DepositNotice,
  t: Translate,
  knownTokens: readonly KnownToken[],
): string {
  const money = moneyOf(notice, notice.amountBase, knownTokens) ?? {
    amount: notice.amountBase.toString(),
    asset: escapeHtml(notice.assetCode),
  };
  const lines = [
    t('deposit-reversed', { ...money, sender: senderOf(notice) }),
    t('deposit-transaction', { hash: escapeHtml(notice.txHash) }),
  ];
  const invoice = notice.invoice;
  if (notice.invoiceOutcome === 'paid' && invoice && invoice.payeeUserId === notice.owner.userId)
    lines.push(t('deposit-reversed-invoice', { description: escapeHtml(invoice.description) }));
  return lines.join('\n');
}

/**
 * Renders and sends deposit-received, deposit-reversed and invoice-paid in the recipient's
 * language. A deposit that settled an invoice is announced once, as invoice-paid; any other
 * deposit as deposit-received, with what it did to the invoice it named or resembled.
 */
export function createDepositNotices(deps: DepositNoticesDeps): DepositNotices {
  const translatorFor =
    (user: NoticeUser): Translate =>
    (key, variables) =>
      deps.i18n.t(negotiateLanguage(user.languageCode), key, variables);

  // In a private chat the chat id is the user's id.
  const deliver = async (user: NoticeUser, text: string) => {
    try {
      await deps.api.sendMessage(Number(user.telegramId), text, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      });
    } catch (error) {
      if (error instanceof GrammyError && (error.error_code === 403 || error.error_code === 400)) {
        throw new RecipientUnreachableError(user.telegramId.toString(), error.description, { cause: error });
      }
      throw error;
    }
  };

  const depositOf = async (depositId: string) => {
    const notice = await deps.reader.deposit(depositId);
    if (!notice) throw new NotFoundError('deposit', depositId);
    return notice;
  };

  return {
    async send(notification, log) {
      switch (notification.kind) {
        case 'deposit-received': {
          const notice = await depositOf(notification.depositId);
          if (notice.status !== 'CREDITED' || notice.revision !== notification.revision) {
            // Reversed before the message went out: the reversal is all there is to say. Or
            // recorded afresh since (re-mined after a reorg): that revision has its own notice.
            log.info(
              { depositId: notice.id, status: notice.status, revision: notice.revision },
              'deposit no longer credited as announced; not announced',
            );
            return;
          }
          await deliver(
            notice.owner,
            depositReceivedText(notice, translatorFor(notice.owner), deps.knownTokens),
          );
          return;
        }
        case 'deposit-reversed': {
          const notice = await depositOf(notification.depositId);
          await deliver(
            notice.owner,
            depositReversedText(notice, translatorFor(notice.owner), deps.knownTokens),
          );
          return;
        }
        case 'invoice-paid': {
          const paid = await deps.reader.invoicePaid(notification.invoiceId);
          if (!paid) throw new NotFoundError('invoice', notification.invoiceId);
          const settledBy = notification.deposit;
          if (
            settledBy &&
            (paid.invoice.status !== 'PAID' ||
              paid.deposit?.id !== settledBy.id ||
              paid.deposit.revision !== settledBy.revision)
          ) {
            // A reorg took the payment away before the message went out (the payee hears of the
            // reversal instead), or the reopened invoice was settled again by another payment.
            log.info(
              { invoiceId: paid.invoice.id, depositId: settledBy.id, status: paid.invoice.status },
              'invoice no longer settled by this payment; not announced',
            );
            return;
          }
          const t = translatorFor(paid.payee);
          const description = escapeHtml(paid.invoice.description);
          let text: string;
          if (paid.deposit) {
            const money = moneyOf(paid.deposit, paid.deposit.amountBase, deps.knownTokens) ?? {
              amount: paid.deposit.amountBase.toString(),
              asset: escapeHtml(paid.deposit.assetCode),
            };
            text = t('invoice-paid', { description, ...money, sender: senderOf(paid.deposit) });
            if (paid.deposit.memo !== null && paid.deposit.memoType === 'text')
              text += `\n${t('deposit-memo', { memo: escapeHtml(paid.deposit.memo) })}`;
          } else if (paid.stars) {
            const payer = paid.stars.payer?.username
              ? escapeHtml(`@${paid.stars.payer.username}`)
              : t('deposit-sender-telegram-user');
            text = t('invoice-paid-stars', {
              description,
              amount: paid.stars.amount.toString(),
              sender: payer,
            });
          } else {
            throw new PermanentError(
              'INVOICE_NOT_SETTLED',
              `invoice ${paid.invoice.id} has no settlement to announce`,
              {
                invoiceId: paid.invoice.id,
              },
            );
          }
          await deliver(paid.payee, text);
          return;
        }
      }
    },
  };
}

/**
 * Sends one notification, rendered in the recipient's language at send time. Deposit and invoice
 * kinds go through `notices`; every other kind through the worker's notifier.
 */
export function sendNotificationHandler(
  deps: WorkerDeps,
  notices?: DepositNotices,
): JobHandler<typeof notificationJob.payload> {
  return {
    payload: notificationJob.payload,
    run: async ({ payload, log }) => {
      if (!isDepositNotification(payload)) return deps.notifier.send(payload);
      if (!notices)
        throw new PermanentError('NOTIFICATION_UNWIRED', `no sender for ${payload.kind} notifications`, {
          kind: payload.kind,
        });
      return notices.send(payload, log);
    },
  };
}

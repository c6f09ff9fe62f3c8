/**
 * The /send conversation: asset → amount → destination → memo (Stellar only) → checks → summary
 * with Confirm / Cancel. UI only: every database, network, clock or random call runs inside
 * `conversation.external`, whose results are stored and replayed, never repeated. What is stored
 * must be JSON, so amounts cross that boundary as decimal strings.
 */
import type { Conversation } from '@grammyjs/conversations';
import type { Context } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import type { BotContext } from '../context.ts';
import { InvalidDestinationError, destinationChain, parseDestination } from '../../core/domain/addresses.ts';
import {
  InvalidPaymentAmountError,
  parsePaymentAmount,
  stellarUnit,
  tokenUnit,
} from '../../core/domain/payment-amounts.ts';
import type { PaymentAsset, WalletRecord } from '../../core/ports.ts';
import {
  InvalidMemoError,
  listSendableAssets,
  parsePaymentDraft,
  parseStellarMemo,
  serializePaymentDraft,
  validateSend,
  type SendRefusal,
  type SerializedPaymentDraft,
} from '../../core/services/send-validation.ts';
import { SEND_ACTION_KIND, offerPaymentConfirmation } from '../features/payment-confirm.ts';
import {
  assetLabel,
  formatAmount,
  networkName,
  refusalText,
  stepFor,
  type SendStep,
  type Translate,
} from './payment-text.ts';
import {
  CANCEL_SEND_DATA,
  SEND_DATA_PREFIX,
  SKIP_MEMO_DATA,
  assetKeyboard,
  memoKeyboard,
  parseAssetData,
} from './send-keyboards.ts';

/** The conversation's id, for `ctx.conversation.enter`. */
export const SEND_CONVERSATION = 'send';

/** What /send passes in when it enters the conversation (JSON). */
export interface SendConversationArgs {
  /** The user's language when /send was typed: every question is asked in it. */
  language: string;
}

type SendConversation = Conversation<BotContext, Context>;

/** An asset offered on a button, as the conversation stores it. */
interface AssetChoice {
  asset: PaymentAsset;
  decimals: number;
  /** Base units, decimal string. */
  balance: string;
}

/** Who is sending, as the conversation stores it. */
interface Sender {
  userId: string;
  wallets: (Omit<WalletRecord, 'userId'> & { userId: string })[];
}

type Validation = { ok: true; draft: SerializedPaymentDraft } | { ok: false; text: string; step: SendStep };

const isCommand = (text: string | undefined) =>
  text !== undefined && /^\/[A-Za-z0-9_]+(@\w+)?(\s|$)/.test(text);
const isCancel = (text: string | undefined) => text !== undefined && /^\/cancel(@\w+)?\s*$/.test(text);

/** Builds the /send conversation; `i18n` renders its questions in the language it was entered with. */
export function createSendConversation(i18n: I18n<BotContext>) {
  return async function send(conversation: SendConversation, ctx: Context, args: SendConversationArgs) {
    const t: Translate = (key, variables) => i18n.t(args.language, key, variables);
    const chatId = ctx.chat!.id;

    /**
     * The user's next update in this chat. /cancel (or a Cancel button) ends the conversation;
     * another command leaves it and runs as usual; presses of other features' buttons and
     * updates from other chats pass by untouched.
     */
    const nextInput = async (): Promise<Context> => {
      const input = await conversation.wait();
      const data = input.callbackQuery?.data;
      if (input.chat?.id !== chatId || (data !== undefined && !data.startsWith(SEND_DATA_PREFIX)))
        await conversation.skip({ next: true });
      const text = input.message?.text;
      if (data === CANCEL_SEND_DATA || isCancel(text)) {
        if (data !== undefined) {
          await input.answerCallbackQuery();
          await input.editMessageReplyMarkup().catch(() => undefined);
        }
        await input.reply(t('send-cancelled'));
        await conversation.halt();
      }
      if (isCommand(text)) await conversation.halt({ next: true });
      return input;
    };

    /** Waits for a text message; anything else is answered with `hint` and waited past. */
    const nextText = async (hint: string): Promise<{ input: Context; text: string }> => {
      for (;;) {
        const input = await nextInput();
        const text = input.message?.text;
        if (text !== undefined) return { input, text };
        if (input.callbackQuery) await input.answerCallbackQuery({ text: hint });
        else await input.reply(hint);
      }
    };

    const sender = await conversation.external((outside): Promise<Sender | null> => loadSender(outside));
    if (!sender || sender.wallets.length === 0) {
      await ctx.reply(t('send-no-wallet'));
      return;
    }
    const choices = await conversation.external((outside) => loadChoices(outside, sender));
    if (choices.length === 0) {
      await ctx.reply(t('send-nothing-to-send'));
      return;
    }

    // Asset
    const labels = choices.map((choice) =>
      t('send-asset-button', {
        asset: assetLabel(choice.asset),
        network: networkName(choice.asset),
        balance: formatAmount(BigInt(choice.balance), choice.decimals),
      }),
    );
    const assetPrompt = await ctx.reply(t('send-ask-asset'), { reply_markup: assetKeyboard(labels, t) });
    let choice: AssetChoice | undefined;
    while (!choice) {
      const input = await nextInput();
      const data = input.callbackQuery?.data;
      const index =
        data !== undefined && input.callbackQuery?.message?.message_id === assetPrompt.message_id
          ? parseAssetData(data, choices.length)
          : null;
      if (index === null) {
        if (input.callbackQuery) await input.answerCallbackQuery({ text: t('send-press-unknown') });
        else await input.reply(t('send-use-buttons'));
        continue;
      }
      choice = choices[index]!;
      await input.answerCallbackQuery();
      const chosen = `${assetLabel(choice.asset)} (${networkName(choice.asset)})`;
      await input.editMessageText(t('send-asset-chosen', { asset: chosen })).catch(() => undefined);
    }
    const { asset, decimals } = choice;
    // EVM coins and tokens alike count in uint256 base units, with the decimals offered.
    const unit = asset.chain === 'STELLAR' ? stellarUnit(asset.code) : tokenUnit(asset.code, decimals);

    const askAmount = async (): Promise<string> => {
      await ctx.reply(
        t('send-ask-amount', { asset: asset.code, balance: formatAmount(BigInt(choice.balance), decimals) }),
      );
      for (;;) {
        const { input, text } = await nextText(t('send-expects-text'));
        try {
          parsePaymentAmount(text, unit);
          return text;
        } catch (error) {
          if (!(error instanceof InvalidPaymentAmountError)) throw error;
          const refusal: SendRefusal = { code: 'amount-invalid', reason: error.reason, decimals };
          await input.reply(refusalText(refusal, t, asset.code));
        }
      }
    };

    const askDestination = async (): Promise<string> => {
      await ctx.reply(
        t(asset.chain === 'STELLAR' ? 'send-ask-destination-stellar' : 'send-ask-destination-evm'),
      );
      for (;;) {
        const { input, text } = await nextText(t('send-expects-text'));
        let refusal: SendRefusal | null = null;
        try {
          const chain = destinationChain(parseDestination(text));
          if (chain !== null && chain !== asset.chain)
            refusal = { code: 'wrong-chain', assetChain: asset.chain };
        } catch (error) {
          if (!(error instanceof InvalidDestinationError)) throw error;
          refusal = { code: 'destination-invalid', reason: error.reason };
        }
        if (!refusal) return text.trim();
        await input.reply(refusalText(refusal, t, asset.code));
      }
    };

    const askMemo = async (): Promise<string | null> => {
      const prompt = await ctx.reply(t('send-ask-memo'), { reply_markup: memoKeyboard(t) });
      for (;;) {
        const input = await nextInput();
        if (input.callbackQuery) {
          if (
            input.callbackQuery.data === SKIP_MEMO_DATA &&
            input.callbackQuery.message?.message_id === prompt.message_id
          ) {
            await input.answerCallbackQuery();
            await input.editMessageReplyMarkup().catch(() => undefined);
            return null;
          }
          await input.answerCallbackQuery({ text: t('send-press-unknown') });
          continue;
        }
        const text = input.message?.text;
        if (text === undefined) {
          await input.reply(t('send-expects-text'));
          continue;
        }
        try {
          parseStellarMemo(text);
          await ctx.api.editMessageReplyMarkup(chatId, prompt.message_id).catch(() => undefined);
          return text;
        } catch (error) {
          if (!(error instanceof InvalidMemoError)) throw error;
          await input.reply(refusalText({ code: 'memo-too-long', maxBytes: error.maxBytes }, t, asset.code));
        }
      }
    };

    let amount = await askAmount();
    let destination = await askDestination();
    let memo = asset.chain === 'STELLAR' ? await askMemo() : null;

    for (;;) {
      const request = { asset, amount, destination, memo };
      const result = await conversation.external((outside): Promise<Validation> =>
        validate(outside, sender, request, t),
      );
      if (result.ok) {
        const draft = parsePaymentDraft(result.draft);
        await conversation.external(async (outside) => {
          await offerPaymentConfirmation(outside, draft, { kind: SEND_ACTION_KIND, chatId });
        });
        return;
      }
      await ctx.reply(result.text);
      if (result.step === 'end') return;
      if (result.step === 'amount') amount = await askAmount();
      else if (result.step === 'destination') destination = await askDestination();
      else memo = await askMemo();
    }
  };
}

async function loadSender(ctx: BotContext): Promise<Sender | null> {
  const user = await ctx.deps.users.findByTelegramId(BigInt(ctx.from!.id));
  if (!user) return null;
  const wallets = await ctx.deps.wallets.listByUser(user.id);
  return {
    userId: user.id.toString(),
    wallets: wallets.map((wallet) => ({ ...wallet, userId: wallet.userId.toString() })),
  };
}

const walletsOf = (sender: Sender): WalletRecord[] =>
  sender.wallets.map((wallet) => ({ ...wallet, userId: BigInt(wallet.userId) }));

async function loadChoices(ctx: BotContext, sender: Sender): Promise<AssetChoice[]> {
  const assets = await listSendableAssets(walletsOf(sender), ctx.deps);
  return assets.map(({ asset, decimals, balance }) => ({ asset, decimals, balance: balance.toString() }));
}

async function validate(
  ctx: BotContext,
  sender: Sender,
  request: { asset: PaymentAsset; amount: string; destination: string; memo: string | null },
  t: Translate,
): Promise<Validation> {
  const result = await validateSend(
    { ...request, userId: BigInt(sender.userId), wallets: walletsOf(sender) },
    ctx.deps,
  );
  if (result.ok) return { ok: true, draft: serializePaymentDraft(result.draft) };
  ctx.log.info({ refusal: result.refusal.code }, 'send refused');
  return {
    ok: false,
    text: refusalText(result.refusal, t, request.asset.code),
    step: stepFor(result.refusal),
  };
}

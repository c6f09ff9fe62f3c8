import type { BotError } from 'grammy';
import type { BotContext } from '../context.ts';

/**
 * Last line of defence: log the details, tell the user something readable in their language.
 * Never a stack trace in the chat, never silence.
 */
export async function handleBotError(error: BotError<BotContext>): Promise<void> {
  const { ctx } = error;
  const log = ctx.log ?? ctx.deps?.logger;
  log?.error({ err: error.error, updateId: ctx.update.update_id }, 'update failed');
  try {
    if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
    if (ctx.chat && typeof ctx.t === 'function') await ctx.reply(ctx.t('error-generic'));
  } catch (replyError) {
    log?.warn({ err: replyError }, 'could not tell the user about the failure');
  }
}

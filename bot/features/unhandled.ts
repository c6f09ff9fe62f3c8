import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';

/** Installed last: whatever no feature took gets a short hint, never silence. */
export const unhandledFeature = new FlatComposer<BotContext>();

unhandledFeature.on('callback_query', (ctx) =>
  ctx.answerCallbackQuery({ text: ctx.t('error-button-expired') }),
);
unhandledFeature.chatType('private').on('message', (ctx) => ctx.reply(ctx.t('unhandled')));

// In groups the commands work only in private; say so, but only to commands meant for this bot.
unhandledFeature
  .chatType(['group', 'supergroup'])
  .on('message::bot_command')
  .filter((ctx) => {
    const target = (ctx.msg.text ?? '').split(/\s/, 1)[0]!.split('@')[1];
    return target === undefined || target.toLowerCase() === ctx.me.username.toLowerCase();
  })
  .use((ctx) =>
    ctx.reply(ctx.t('unhandled-group'), { reply_parameters: { message_id: ctx.msg.message_id } }),
  );

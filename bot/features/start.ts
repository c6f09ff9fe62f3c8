import type { I18n } from '@grammyjs/i18n';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { languageKeyboard } from '../keyboards/language.ts';

/** `/start`: greets in the user's language and offers the others. */
export function startFeature(i18n: I18n<BotContext>): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();
  composer.chatType('private').command('start', async (ctx) => {
    await ctx.deps.users.ensure(BigInt(ctx.from.id), await ctx.i18n.getLocale());
    await ctx.reply(
      `${ctx.t('start-greeting', { name: ctx.from.first_name })}\n\n${ctx.t('start-choose-language')}`,
      {
        reply_markup: languageKeyboard(i18n),
      },
    );
  });
  return composer;
}

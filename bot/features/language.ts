import { GrammyError } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { languageKeyboard } from '../keyboards/language.ts';
import { languageDataPattern, parseLanguageData } from '../callback-data/language.ts';
import { commandsFor } from '../commands.ts';

const isNotModified = (error: unknown) =>
  error instanceof GrammyError && error.description.includes('message is not modified');

/** `/language` and the language buttons: the choice is kept in the session and in Postgres (for the worker). */
export function languageFeature(i18n: I18n<BotContext>): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();
  const privateChat = composer.chatType('private');

  privateChat.command('language', (ctx) =>
    ctx.reply(ctx.t('language-prompt'), { reply_markup: languageKeyboard(i18n) }),
  );

  privateChat.callbackQuery(languageDataPattern, async (ctx) => {
    const language = parseLanguageData(ctx.callbackQuery.data);
    if (!language) {
      await ctx.answerCallbackQuery({ text: ctx.t('error-button-expired') });
      return;
    }
    await ctx.i18n.setLocale(language);
    await ctx.deps.users.setLanguage(BigInt(ctx.from.id), language);
    await ctx.answerCallbackQuery();
    await ctx
      .editMessageText(`${ctx.t('language-changed')}\n\n${ctx.t('help')}`, { parse_mode: 'HTML' })
      .catch((error: unknown) => {
        if (!isNotModified(error)) throw error;
      });
    // The menu follows the chosen language in this chat, whatever the Telegram app's language.
    await ctx.api.setMyCommands(commandsFor(i18n, language), {
      scope: { type: 'chat', chat_id: ctx.chat.id },
    });
  });
  return composer;
}

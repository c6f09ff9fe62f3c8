import { I18n } from '@grammyjs/i18n';
import { DEFAULT_LANGUAGE, negotiateLanguage } from '../core/domain/languages.ts';
import { FLUENT_BUNDLE_OPTIONS, LOCALES_DIR } from '../core/locales.ts';
import type { BotContext } from './context.ts';

/**
 * The user's explicit choice (kept in the session) wins; otherwise their Telegram app language,
 * reduced to one we speak; otherwise English.
 */
export function createBotI18n(): I18n<BotContext> {
  return new I18n<BotContext>({
    defaultLocale: DEFAULT_LANGUAGE,
    directory: LOCALES_DIR,
    useSession: true,
    fluentBundleOptions: FLUENT_BUNDLE_OPTIONS,
    localeNegotiator: async (ctx) =>
      (await ctx.session).__language_code ?? negotiateLanguage(ctx.from?.language_code),
  });
}

/** All the keyboard and the command menu need: a message in a named language. */
export interface LocaleTranslator {
  t(locale: string, key: string): string;
}

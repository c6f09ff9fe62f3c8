import { I18n } from '@grammyjs/i18n';
import { DEFAULT_LANGUAGE } from '../core/domain/languages.ts';
import { FLUENT_BUNDLE_OPTIONS, LOCALES_DIR } from '../core/locales.ts';

/**
 * The worker's translator: the bot's Fluent files, rendered in a language the worker names
 * (the recipient's stored one), since a job has no Telegram update to negotiate from.
 */
export function createWorkerI18n(): I18n<never> {
  return new I18n<never>({
    defaultLocale: DEFAULT_LANGUAGE,
    directory: LOCALES_DIR,
    fluentBundleOptions: FLUENT_BUNDLE_OPTIONS,
  });
}

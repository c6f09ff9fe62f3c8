/** Languages the bot speaks, each with a `locales/<code>/` folder of Fluent files. English is the fallback. */
export const SUPPORTED_LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof SUPPORTED_LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

export function isSupportedLanguage(code: unknown): code is Language {
  return typeof code === 'string' && (SUPPORTED_LANGUAGES as readonly string[]).includes(code);
}

/**
 * Maps a Telegram `language_code` (IETF tag such as "es-419" or "pt-br") to a language we speak,
 * falling back to English.
 */
export function negotiateLanguage(code: string | null | undefined): Language {
  const primary = code?.toLowerCase().split(/[-_]/)[0];
  return isSupportedLanguage(primary) ? primary : DEFAULT_LANGUAGE;
}

import { isSupportedLanguage, type Language } from '../../core/domain/languages.ts';

const PREFIX = 'language:';

/**
 * Choosing a language moves no money and binds nothing, so the choice itself is the payload.
 * Anything else arriving with this prefix is rejected by {@link parseLanguageData}.
 */
export const languageData = (language: Language) => `${PREFIX}${language}`;
export const languageDataPattern = /^language:(.+)$/;

export function parseLanguageData(data: string): Language | null {
  const code = data.startsWith(PREFIX) ? data.slice(PREFIX.length) : null;
  return isSupportedLanguage(code) ? code : null;
}

import { InlineKeyboard } from 'grammy';
import { SUPPORTED_LANGUAGES } from '../../core/domain/languages.ts';
import { languageData } from '../callback-data/language.ts';
import type { LocaleTranslator } from '../i18n.ts';

/** One button per language, each labelled in its own language. */
export function languageKeyboard(i18n: LocaleTranslator): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const language of SUPPORTED_LANGUAGES) {
    keyboard.text(i18n.t(language, 'language-name'), languageData(language));
  }
  return keyboard;
}

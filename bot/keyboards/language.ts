import { InlineKeyboard } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { SUPPORTED_LANGUAGES } from '../../core/domain/languages.ts';
import { languageData } from '../callback-data/language.ts';

/** One button per language, each labelled in its own language. */
export function languageKeyboard(i18n: I18n<never>): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const language of SUPPORTED_LANGUAGES) {
    keyboard.text(i18n.t(language, 'language-name'), languageData(language));
  }
  return keyboard;
}

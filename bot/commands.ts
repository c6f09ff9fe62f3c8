import type { Api } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { LocaleTranslator } from './i18n.ts';
import { DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, type Language } from '../core/domain/languages.ts';

const COMMANDS = ['wallet', 'send', 'request', 'language', 'help', 'start'] as const;

/** The command menu in one language. */
export function commandsFor(i18n: LocaleTranslator, language: Language): BotCommand[] {
  return COMMANDS.map((command) => ({ command, description: i18n.t(language, `command-${command}`) }));
}

/** Sets the menu for every language we speak, and English for everyone else. Run at start-up. */
export async function publishCommandMenus(api: Api, i18n: LocaleTranslator): Promise<void> {
  await api.setMyCommands(commandsFor(i18n, DEFAULT_LANGUAGE));
  for (const language of SUPPORTED_LANGUAGES) {
    await api.setMyCommands(commandsFor(i18n, language), { language_code: language });
  }
}

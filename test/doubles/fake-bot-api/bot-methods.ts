import type { BotCommand, MenuButton } from 'grammy/types';
import { badRequest } from './errors.ts';
import type { MethodDeps, MethodHandler } from './methods.ts';
import { optionalArray, optionalBool, optionalInt, optionalString } from './params.ts';
import type { Params } from './recorder.ts';
import { scopeKey } from './telegram-state.ts';

const MENU_BUTTON_TYPES = new Set(['default', 'commands', 'web_app']);

/** The bot's own settings and its update channel: getMe, polling, webhook, commands, menu button. */
export function botMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { state, feed } = deps;

  const menuKey = (params: Params): string =>
    params.chat_id === undefined || params.chat_id === null
      ? 'default'
      : String(state.chatFor(params.chat_id).id);

  return {
    getMe: () => deps.botUser,

    getUpdates: ({ params, clientGone }) =>
      feed.poll(
        {
          offset: optionalInt(params, 'offset') ?? 0,
          limit: Math.min(100, Math.max(1, optionalInt(params, 'limit') ?? 100)),
          timeoutSeconds: Math.max(0, optionalInt(params, 'timeout') ?? 0),
          allowedUpdates: optionalArray(params, 'allowed_updates')?.map(String),
        },
        clientGone,
      ),

    setWebhook: ({ params }) => {
      const url = optionalString(params, 'url') ?? '';
      // An empty URL removes the webhook, as on Telegram.
      if (url === '') {
        feed.deleteWebhook(optionalBool(params, 'drop_pending_updates'));
        return true;
      }
      // Deliberate deviation: Telegram wants HTTPS on ports 443, 80, 88 or 8443; tests listen on
      // plain HTTP at a random port.
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw badRequest('bad webhook: Failed to resolve host: Name or service not known');
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      }
      const secretToken = optionalString(params, 'secret_token');
      if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
        throw badRequest('secret token contains unallowed characters');
      }
      const maxConnections = Math.min(100, Math.max(1, optionalInt(params, 'max_connections') ?? 40));
      feed.setWebhook(
        { url, secretToken, maxConnections },
        optionalArray(params, 'allowed_updates')?.map(String),
        optionalBool(params, 'drop_pending_updates'),
      );
      return true;
    },

    deleteWebhook: ({ params }) => {
      feed.deleteWebhook(optionalBool(params, 'drop_pending_updates'));
      return true;
    },

    getWebhookInfo: () => feed.webhookInfo(),

    setMyCommands: ({ params }) => {
      const commands = optionalArray(params, 'commands');
      if (commands === undefined) throw badRequest('parameter "commands" is required');
      if (commands.length > 100) throw badRequest('BOT_COMMANDS_TOO_MUCH');
      const list = commands.map((entry) => readCommand(entry));
      state.commands.set(scopeKey(params.scope, optionalString(params, 'language_code')), list);
      return true;
    },

    getMyCommands: ({ params }) =>
      state.commands.get(scopeKey(params.scope, optionalString(params, 'language_code'))) ?? [],

    deleteMyCommands: ({ params }) => {
      state.commands.delete(scopeKey(params.scope, optionalString(params, 'language_code')));
      return true;
    },

    setChatMenuButton: ({ params }) => {
      const key = menuKey(params);
      const button = (params.menu_button ?? { type: 'default' }) as MenuButton;
      if (typeof button !== 'object' || !MENU_BUTTON_TYPES.has(String(button.type))) {
        throw badRequest("can't parse menu button: unsupported menu button type");
      }
      state.menuButtons.set(key, button);
      return true;
    },

    getChatMenuButton: ({ params }) =>
      state.menuButtons.get(menuKey(params)) ?? state.menuButtons.get('default') ?? { type: 'default' },
  };
}

function readCommand(entry: unknown): BotCommand {
  const fields = (typeof entry === 'object' && entry !== null ? entry : {}) as Params;
  const command = optionalString(fields, 'command') ?? '';
  const description = optionalString(fields, 'description') ?? '';
  // Only lowercase letters, digits and underscores, 1-32 characters: "Start" or "/start" is refused.
  if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
  if (description.trim().length < 1 || description.length > 256)
    throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
  return { command, description };
}

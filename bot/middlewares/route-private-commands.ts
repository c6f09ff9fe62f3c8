import type { Context, Middleware, MiddlewareFn } from 'grammy';
import { FlatComposer } from './flat-composer.ts';

/**
 * The command a private-chat message starts with, if it is addressed to this bot (`/help`,
 * `/help@this_bot`, not `/help@other_bot`), read as grammY's `command` filter reads it: the
 * `bot_command` entity at offset 0 of the message's text or caption.
 */
export function privateCommandOf(ctx: Context): string | undefined {
  const message = ctx.message;
  if (message?.chat.type !== 'private' || !message.entities) return undefined;
  const entity = message.entities.find((e) => e.type === 'bot_command' && e.offset === 0);
  if (!entity) return undefined;
  const command = (message.text ?? message.caption ?? '').substring(1, entity.length);
  const at = command.indexOf('@');
  if (at === -1) return command;
  return command.substring(at + 1).toLowerCase() === ctx.me.username.toLowerCase()
    ? command.substring(0, at)
    : undefined;
}

/**
 * Sends a command in a private chat straight to the middleware listed for it, and every other
 * update to `otherwise`. Only a shortcut: each list must hold, in `otherwise`'s order, every
 * feature that can act on that command, so that the answer is the one `otherwise` would give.
 */
export function routePrivateCommands<C extends Context>(
  routes: Record<string, Array<Middleware<C>>>,
  otherwise: Middleware<C>,
): MiddlewareFn<C> {
  // A Map, so that a command named like an Object property (`/constructor`) is not a route.
  const table = new Map(
    Object.entries(routes).map(([command, middleware]) => [
      command,
      new FlatComposer(...middleware).middleware(),
    ]),
  );
  const fallback = new FlatComposer(otherwise).middleware();
  return (ctx, next) => {
    const command = privateCommandOf(ctx);
    const route = command === undefined ? undefined : table.get(command);
    return (route ?? fallback)(ctx, next);
  };
}

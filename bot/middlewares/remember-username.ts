import type { MiddlewareFn } from 'grammy';
import type { BotContext } from '../context.ts';

/**
 * Keeps each user's @username in Postgres so others can pay them by name. Writes only when the name
 * differs from the one the session says was stored: one write on first contact and one per rename,
 * not one per update. Runs after the update's handlers, so it never delays an answer.
 */
export const rememberUsername: MiddlewareFn<BotContext> = (ctx, next) => {
  const from = ctx.from;
  if (!from || from.is_bot) return next();
  const username = from.username?.toLowerCase() ?? null;
  // Decided before the handlers run (only this middleware changes `knownUsername`), so that the
  // usual update, whose name is known, passes straight through.
  if (ctx.session.knownUsername === username) return next();
  return (async () => {
    await next();
    try {
      await ctx.deps.users.rememberUsername(BigInt(from.id), username, await ctx.i18n.getLocale());
      ctx.session.knownUsername = username;
    } catch (error) {
      // A missed rename costs nothing but a later retry; the update itself was handled.
      ctx.log.warn({ err: error }, 'username not remembered');
    }
  })();
};

import type { MiddlewareFn } from 'grammy';
import type { BotContext } from '../context.ts';

/**
 * Telegram delivers at least once (webhook retries, polling restarts). The first claim of an
 * update id in Postgres wins; a redelivery stops here, so no handler runs twice.
 */
export const deduplicateUpdates: MiddlewareFn<BotContext> = async (ctx, next) => {
  if (!(await ctx.deps.updates.claim(ctx.update.update_id))) {
    ctx.log.info('duplicate update ignored');
    return;
  }
  await next();
};

import type { MiddlewareFn } from 'grammy';
import type { BotContext, BotDeps } from '../context.ts';
import { startClaim } from './deduplicate-updates.ts';

/**
 * Gives each update its dependencies and a logger bound to its id, and starts claiming the id (the
 * handlers wait for the claim at {@link deduplicateUpdates}). Install it first.
 */
export function updateContext(deps: BotDeps): MiddlewareFn<BotContext> {
  return (ctx, next) => {
    ctx.deps = deps;
    ctx.log = deps.logger.child({ updateId: ctx.update.update_id });
    startClaim(ctx);
    return next();
  };
}

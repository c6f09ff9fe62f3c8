import type { MiddlewareFn } from 'grammy';
import type { BotContext, BotDeps } from '../context.ts';

/** Gives each update its dependencies and a logger bound to its id. */
export function updateContext(deps: BotDeps): MiddlewareFn<BotContext> {
  return (ctx, next) => {
    ctx.deps = deps;
    ctx.log = deps.logger.child({ updateId: ctx.update.update_id });
    return next();
  };
}

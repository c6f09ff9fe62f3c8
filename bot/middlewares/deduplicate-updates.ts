import type { MiddlewareFn } from 'grammy';
import type { BotContext } from '../context.ts';

const claimOf = Symbol('update claim');
type Claiming = BotContext & { [claimOf]?: Promise<boolean> };

const ignore = () => undefined;

/**
 * Starts claiming the update's id in Postgres without waiting for the answer, so the round trip
 * overlaps with whatever runs before {@link deduplicateUpdates} (waiting for the user's previous
 * update, loading the session). Nothing is decided here: no handler may run before the gate.
 */
export function startClaim(ctx: BotContext): void {
  const claim = ctx.deps.updates.claim(ctx.update.update_id);
  // Awaited by the gate; until then a failure must not count as an unhandled rejection.
  claim.catch(ignore);
  (ctx as Claiming)[claimOf] = claim;
}

/**
 * Telegram delivers at least once (webhook retries, polling restarts). The first claim of an
 * update id in Postgres wins; a redelivery stops here, so no handler runs twice. Install it before
 * every handler; it waits for the claim {@link startClaim} began, or claims now if none was begun.
 */
export const deduplicateUpdates: MiddlewareFn<BotContext> = async (ctx, next) => {
  const claim = (ctx as Claiming)[claimOf] ?? ctx.deps.updates.claim(ctx.update.update_id);
  if (!(await claim)) {
    ctx.log.info('duplicate update ignored');
    return;
  }
  await next();
};

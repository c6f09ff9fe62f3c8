import { describe, expect, it } from 'vitest';
import { Bot, BotError } from 'grammy';
import type { Update } from 'grammy/types';
import { pino } from 'pino';
import type { BotContext, BotDeps } from '../context.ts';
import type { UpdateLog } from '../../core/adapters/update-log.ts';
import { updateContext } from './update-context.ts';
import { deduplicateUpdates } from './deduplicate-updates.ts';
import { botUserFor } from '../../test/doubles/fake-bot-api.ts';

const TOKEN = '1000:TESTTESTTESTTESTTESTTESTTESTTESTTEST';
const botInfo = botUserFor(TOKEN);

const update: Update = {
  update_id: 42,
  message: {
    message_id: 1,
    date: 0,
    chat: { id: 7, type: 'private', first_name: 'U' },
    from: { id: 7, is_bot: false, first_name: 'U' },
    text: 'hi',
  },
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The production order: context (starts the claim), a slow step standing in for the session read,
 * the gate, a handler. Records what happened in which order.
 */
function botWith(claim: Promise<boolean>) {
  const events: string[] = [];
  const sessionLoaded = deferred<void>();
  const updates: UpdateLog = {
    claim: (updateId) => {
      events.push(`claim ${updateId}`);
      return claim;
    },
    prune: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
  const bot = new Bot<BotContext>(TOKEN, { botInfo });
  bot.use(updateContext({ logger: pino({ level: 'silent' }), updates } as unknown as BotDeps));
  bot.use(async (_ctx, next) => {
    events.push('session read started');
    await sessionLoaded.promise;
    events.push('session read done');
    await next();
  });
  bot.use(deduplicateUpdates);
  bot.use(() => {
    events.push('handler');
  });
  return { bot, events, sessionLoaded };
}

describe('deduplicateUpdates', () => {
  it('claims while the session loads, and runs the handler only once the claim is won', async () => {
    const claim = deferred<boolean>();
    const { bot, events, sessionLoaded } = botWith(claim.promise);
    const handled = bot.handleUpdate(update);
    await new Promise(setImmediate);
    expect(events).toEqual(['claim 42', 'session read started']);

    sessionLoaded.resolve();
    await new Promise(setImmediate);
    expect(events).toEqual(['claim 42', 'session read started', 'session read done']);

    claim.resolve(true);
    await handled;
    expect(events.at(-1)).toBe('handler');
  });

  it('stops a redelivered update before any handler runs', async () => {
    const { bot, events, sessionLoaded } = botWith(Promise.resolve(false));
    sessionLoaded.resolve();
    await bot.handleUpdate(update);
    expect(events).not.toContain('handler');
  });

  it('fails the update without running a handler when the claim fails before the gate is reached', async () => {
    const claim = deferred<boolean>();
    const { bot, events, sessionLoaded } = botWith(claim.promise);
    const handled = bot.handleUpdate(update);
    // Rejected while the session is still loading: nothing awaits the claim yet, and that must not
    // surface as an unhandled rejection (vitest fails the run on one).
    claim.reject(new Error('database down'));
    await new Promise(setImmediate);
    sessionLoaded.resolve();
    await expect(handled).rejects.toBeInstanceOf(BotError);
    expect(events).not.toContain('handler');
  });
});

import { describe, expect, it } from 'vitest';
import { Api, Context, type MiddlewareFn } from 'grammy';
import type { Message, Update } from 'grammy/types';
import { privateCommandOf, routePrivateCommands } from './route-private-commands.ts';
import { botUserFor } from '../../test/doubles/fake-bot-api.ts';

const me = botUserFor('1000:TESTTESTTESTTESTTESTTESTTESTTESTTEST', { username: 'Test_Bot' });
const api = new Api('1000:TESTTESTTESTTESTTESTTESTTESTTESTTEST');

function contextOf(
  message: Partial<Message> & { text?: string },
  chat: 'private' | 'group' = 'private',
): Context {
  const update: Update = {
    update_id: 1,
    message: {
      message_id: 1,
      date: 0,
      chat:
        chat === 'private'
          ? { id: 7, type: 'private', first_name: 'U' }
          : { id: -5, type: 'group', title: 'G' },
      from: { id: 7, is_bot: false, first_name: 'U' },
      ...message,
    } as Update['message'],
  };
  return new Context(update, api, me);
}

/** A text message whose first word is a command, marked as Telegram marks it. */
const command = (text: string, chat: 'private' | 'group' = 'private') =>
  contextOf(
    { text, entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] },
    chat,
  );

describe('privateCommandOf', () => {
  it('reads the command a private message starts with, without its payload', () => {
    expect(privateCommandOf(command('/help'))).toBe('help');
    expect(privateCommandOf(command('/start inv_abc'))).toBe('start');
  });

  it('takes a command addressed to this bot, whatever the case of its name', () => {
    expect(privateCommandOf(command('/help@test_bot'))).toBe('help');
    expect(privateCommandOf(command('/help@TEST_BOT now'))).toBe('help');
  });

  it('finds no command addressed to another bot, in a group, or in plain text', () => {
    expect(privateCommandOf(command('/help@other_bot'))).toBeUndefined();
    expect(privateCommandOf(command('/help', 'group'))).toBeUndefined();
    expect(privateCommandOf(contextOf({ text: 'help me' }))).toBeUndefined();
  });

  it('finds no command when the command entity does not open the message', () => {
    const ctx = contextOf({ text: 'see /help', entities: [{ type: 'bot_command', offset: 4, length: 5 }] });
    expect(privateCommandOf(ctx)).toBeUndefined();
  });
});

describe('routePrivateCommands', () => {
  /** Runs the router on `ctx` and tells which middleware ran, in order. */
  async function route(ctx: Context): Promise<string[]> {
    const ran: string[] = [];
    const step =
      (name: string): MiddlewareFn<Context> =>
      (_ctx, next) => {
        ran.push(name);
        return next();
      };
    const router = routePrivateCommands<Context>(
      { help: [step('conversation'), step('help')], start: [step('invoice start'), step('start')] },
      step('every feature'),
    );
    await router(ctx, async () => {
      ran.push('after');
    });
    return ran;
  }

  it('sends a listed command only through its own list, then on', async () => {
    expect(await route(command('/help'))).toEqual(['conversation', 'help', 'after']);
    expect(await route(command('/start@test_bot inv_x'))).toEqual(['invoice start', 'start', 'after']);
  });

  it('sends every other update through every feature', async () => {
    expect(await route(command('/wallet'))).toEqual(['every feature', 'after']);
    expect(await route(command('/help', 'group'))).toEqual(['every feature', 'after']);
    expect(await route(contextOf({ text: 'hello' }))).toEqual(['every feature', 'after']);
  });

  it('does not mistake a command named like an object property for a route', async () => {
    expect(await route(command('/constructor'))).toEqual(['every feature', 'after']);
    expect(await route(command('/__proto__'))).toEqual(['every feature', 'after']);
  });
});

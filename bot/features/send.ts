import { Context } from 'grammy';
import { conversations, createConversation } from '@grammyjs/conversations';
import type { I18n } from '@grammyjs/i18n';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { hasConversationState, sessionConversationStorage } from '../conversations/storage.ts';
import {
  SEND_CONVERSATION,
  createSendConversation,
  type SendConversationArgs,
} from '../conversations/send.ts';

/** A /send left unanswered this long is dropped; the next message is handled as if it never began. */
const SEND_IDLE_MS = 15 * 60 * 1000;

const isSendCommand = Context.has.command('send');

/**
 * `/send` starts the send conversation (a new /send restarts it); `/cancel` outside a conversation
 * says there is nothing to cancel (inside one, the conversation handles it). Install before
 * features whose commands should also leave a conversation.
 *
 * The conversations plugin is installed here, and only for the updates that can concern a
 * conversation: those in the private chat of a user with one under way, and `/send`. On any other
 * update it would set itself up (state read, conversation registered) only to find nothing to do,
 * and it ran on every update.
 */
export function sendFeature(i18n: I18n<BotContext>): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();
  const privateChat = composer.chatType('private');
  privateChat.filter(
    (ctx) => hasConversationState(ctx) || isSendCommand(ctx),
    conversations<BotContext, Context>({ storage: sessionConversationStorage() }),
    createConversation<BotContext, Context>(createSendConversation(i18n), {
      id: SEND_CONVERSATION,
      maxMillisecondsToWait: SEND_IDLE_MS,
    }),
  );
  privateChat.command('send', async (ctx) => {
    const args: SendConversationArgs = { language: await ctx.i18n.getLocale() };
    await ctx.conversation.enter(SEND_CONVERSATION, args);
  });
  privateChat.command('cancel', (ctx) => ctx.reply(ctx.t('send-nothing-to-cancel')));
  return composer;
}

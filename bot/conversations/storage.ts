import type { ConversationData, ConversationStorage } from '@grammyjs/conversations';
import type { BotContext } from '../context.ts';

/**
 * Version of every conversation's stored steps. Bump it whenever a conversation's steps change: a
 * conversation stored by another version is dropped instead of being replayed into the wrong step.
 */
export const CONVERSATION_STATE_VERSION = 1;

/**
 * Conversation state lives in the user's session, so it is stored where the session is (Redis in
 * production), read and written with it in the same round trip, survives restarts and is shared by
 * every bot instance. Updates without a sender have no session and no conversation.
 */
export function sessionConversationStorage(): ConversationStorage<BotContext, ConversationData> {
  return {
    type: 'context',
    version: CONVERSATION_STATE_VERSION,
    adapter: {
      read: (ctx) => (ctx.from ? ctx.session.conversations : undefined),
      write: (ctx, state) => {
        if (ctx.from) ctx.session.conversations = state;
      },
      delete: (ctx) => {
        if (ctx.from) delete ctx.session.conversations;
      },
    },
  };
}

/**
 * Whether the user has conversation state in their session (a conversation under way, or one of an
 * older version that the plugin will ignore). Without it, an update can only concern a conversation
 * by starting one.
 */
export function hasConversationState(ctx: BotContext): boolean {
  return ctx.from !== undefined && ctx.session.conversations !== undefined;
}

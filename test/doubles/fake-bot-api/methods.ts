import type { Update, User, UserFromGetMe } from 'grammy/types';
import { botMethods } from './bot-methods.ts';
import type { RawUpdate } from './driver.ts';
import { messageMethods } from './message-methods.ts';
import { paymentMethods } from './payment-methods.ts';
import type { PaymentLedger } from './payments.ts';
import { queryMethods } from './query-methods.ts';
import type { Params } from './recorder.ts';
import type { TelegramState } from './telegram-state.ts';
import type { UpdateFeed } from './update-feed.ts';

/** What a method handler gets: the parsed parameters and a signal that fires if the client leaves. */
export interface MethodCall {
  params: Params;
  clientGone: AbortSignal;
}

/** Answers one Bot API method: returns the `result`, or throws a `BotApiError`. */
export type MethodHandler = (call: MethodCall) => unknown;

/** The state the handlers share. */
export interface MethodDeps {
  state: TelegramState;
  feed: UpdateFeed;
  ledger: PaymentLedger;
  /** Queues an update Telegram itself sends as a consequence of a call (a refund's service message). */
  push: (raw: RawUpdate) => Update;
  botUser: UserFromGetMe;
  /** The bot as it appears in `from` of its messages. */
  botSender: User;
  /** Current time in ms; message dates are derived from it. */
  now: () => number;
}

/**
 * Every method the fake implements, looked up case-insensitively as Telegram does. A method not in
 * this table gets Telegram's 404 "Not Found", even when the real Bot API has it: a test then shows
 * that the fake, not the bot, needs to grow.
 */
export function createMethods(deps: MethodDeps): Map<string, { name: string; handler: MethodHandler }> {
  const table = {
    ...botMethods(deps),
    ...messageMethods(deps),
    ...queryMethods(deps),
    ...paymentMethods(deps),
  };
  return new Map(Object.entries(table).map(([name, handler]) => [name.toLowerCase(), { name, handler }]));
}

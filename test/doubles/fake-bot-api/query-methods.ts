import { badRequest } from './errors.ts';
import { readInlineAnswer } from './inline-results.ts';
import type { MethodDeps, MethodHandler } from './methods.ts';
import { optionalBool, optionalInt, optionalString } from './params.ts';

const QUERY_EXPIRED = 'query is too old and response timeout expired or query ID is invalid';

/** Answers to button presses and inline queries, each accepted once and stored for the test. */
export function queryMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { state } = deps;

  return {
    answerCallbackQuery: ({ params }) => {
      const record = state.callbackQueries.get(optionalString(params, 'callback_query_id') ?? '');
      if (!record || record.answer) throw badRequest(QUERY_EXPIRED);
      record.answer = {
        text: optionalString(params, 'text'),
        showAlert: optionalBool(params, 'show_alert'),
        url: optionalString(params, 'url'),
        cacheTime: Math.max(0, optionalInt(params, 'cache_time') ?? 0),
        answeredAfterMs: performance.now() - record.pushedAt,
      };
      return true;
    },

    answerInlineQuery: ({ params }) => {
      const record = state.inlineQueries.get(optionalString(params, 'inline_query_id') ?? '');
      // Validate first: a refused answer leaves the query open, so the bot can answer it properly.
      const answer = readInlineAnswer(params, state, performance.now() - (record?.pushedAt ?? 0));
      if (!record || record.answer) throw badRequest(QUERY_EXPIRED);
      record.answer = answer;
      return true;
    },
  };
}

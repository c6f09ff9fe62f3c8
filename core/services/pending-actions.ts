/**
 * Server-side state behind inline buttons. A button's `callback_data` is only `pa:<id>:<choice>`:
 * the id names a row bound to one user, chat and message, with an expiry, usable once. A forged,
 * replayed, foreign or late press therefore finds nothing to act on.
 */
import { randomBytes } from 'node:crypto';
import type { PendingActionRecord, PendingActionRepository } from '../ports.ts';

const PREFIX = 'pa';
/** 16 random bytes: unguessable, and short enough to leave room in the 64-byte callback_data. */
const ID_BYTES = 16;
const CALLBACK = /^pa:([A-Za-z0-9_-]{22}):([a-z]{1,8})$/;

/** Why a press did not get its action: each gets its own answer to the user. */
export type PendingActionRefusal = 'unknown' | 'used' | 'expired' | 'not-yours' | 'wrong-message';

/** The outcome of a press: the action, now used up, or why not. */
export type ConsumeResult<P> =
  { ok: true; action: PendingActionRecord<P> } | { ok: false; reason: PendingActionRefusal };

/** Creates an unbound action; bind it with {@link bindPendingAction} once its message is sent. */
export async function createPendingAction<P>(
  repository: PendingActionRepository,
  input: { kind: string; telegramUserId: bigint; chatId: bigint; payload: P; ttlSeconds: number; now: Date },
): Promise<PendingActionRecord<P>> {
  const action = {
    id: randomBytes(ID_BYTES).toString('base64url'),
    kind: input.kind,
    telegramUserId: input.telegramUserId,
    chatId: input.chatId,
    messageId: null,
    payload: input.payload,
    expiresAt: new Date(input.now.getTime() + input.ttlSeconds * 1000),
  };
  await repository.insert(action);
  return { ...action, usedAt: null };
}

/** Ties the action to the message carrying its buttons: presses from any other message are refused. */
export async function bindPendingAction(
  repository: PendingActionRepository,
  id: string,
  chatId: bigint,
  messageId: number,
): Promise<void> {
  await repository.bindMessage(id, chatId, messageId);
}

/** The `callback_data` of a button choosing `choice` (lower-case letters, e.g. `ok`, `no`) for an action. */
export function pendingActionCallbackData(id: string, choice: string): string {
  return `${PREFIX}:${id}:${choice}`;
}

/** Reads `callback_data` produced by {@link pendingActionCallbackData}; anything else is `null`. */
export function parsePendingActionCallbackData(data: string): { id: string; choice: string } | null {
  const match = CALLBACK.exec(data);
  return match ? { id: match[1]!, choice: match[2]! } : null;
}

/** Matches any `callback_data` of a pending action, for routing (`bot.callbackQuery(PENDING_ACTION_DATA, ...)`). */
export const PENDING_ACTION_DATA = /^pa:/;

/**
 * Uses the action up if the press is by its user, in its chat, on its message, before its expiry,
 * and it was never used; atomic, so of two simultaneous presses exactly one wins.
 */
export async function consumePendingAction<P>(
  repository: PendingActionRepository,
  press: { id: string; kind: string; telegramUserId: bigint; chatId: bigint; messageId: number; now: Date },
): Promise<ConsumeResult<P>> {
  const action = await repository.consume(press);
  if (action) return { ok: true, action: action as PendingActionRecord<P> };
  const stored = await repository.findById(press.id);
  if (!stored || stored.kind !== press.kind) return { ok: false, reason: 'unknown' };
  if (stored.telegramUserId !== press.telegramUserId) return { ok: false, reason: 'not-yours' };
  if (stored.usedAt) return { ok: false, reason: 'used' };
  if (stored.expiresAt <= press.now) return { ok: false, reason: 'expired' };
  return { ok: false, reason: 'wrong-message' };
}

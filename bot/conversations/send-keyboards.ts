import { InlineKeyboard } from 'grammy';
import type { Translate } from './payment-text.ts';

const ASSET = /^send:asset:(\d{1,2})$/;
/** `callback_data` of the memo step's Skip button. */
export const SKIP_MEMO_DATA = 'send:memo:skip';
/** `callback_data` of the Cancel button on the /send conversation's questions. */
export const CANCEL_SEND_DATA = 'send:cancel';
/** Every button of the /send conversation carries this prefix; other presses are not its business. */
export const SEND_DATA_PREFIX = 'send:';

/**
 * One button per asset, in the order offered. A button carries only the choice's index (at most 15
 * bytes); the choices themselves stay in the conversation's state, so a press cannot name any
 * asset that was not offered.
 */
export function assetKeyboard(labels: readonly string[], t: Translate): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  labels.forEach((label, index) => keyboard.text(label, `send:asset:${index}`).row());
  return keyboard.text(t('send-cancel-button'), CANCEL_SEND_DATA);
}

/** The index an asset button names, if `data` is one and within `count` choices; else `null`. */
export function parseAssetData(data: string, count: number): number | null {
  const match = ASSET.exec(data);
  if (!match) return null;
  const index = Number(match[1]);
  return index < count ? index : null;
}

/** Skip (no memo) and Cancel. */
export function memoKeyboard(t: Translate): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('send-memo-skip'), SKIP_MEMO_DATA)
    .text(t('send-cancel-button'), CANCEL_SEND_DATA);
}

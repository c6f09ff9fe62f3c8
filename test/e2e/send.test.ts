import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../core/queues.ts';
import type { SentMessage } from '../doubles/fake-bot-api.ts';
import { TEST_REDIS_URL } from '../support/database.ts';
import { eventually, startPlatform, type Platform } from './support/platform.ts';

const sam = { id: 7001, first_name: 'Sam', language_code: 'en', username: 'sam_sender' };
const ana = { id: 7002, first_name: 'Ana', language_code: 'es', username: 'Ana_Recibe' };

let platform: Platform;
let redis: Redis;
let payments: Queue;

async function withActiveWallets(user: typeof sam): Promise<string> {
  platform.telegram.sendUserMessage({ from: user, text: '/wallet' });
  const [wallet] = await eventually(async () => {
    const rows = await platform.query<{ status: string; address: string }>(
      `SELECT w.status, w.address FROM wallets w JOIN users u ON u.id = w.user_id
        WHERE u.telegram_id = $1 AND w.chain = 'STELLAR'`,
      [user.id],
    );
    return rows[0]?.status === 'ACTIVE' ? rows : undefined;
  }, 30_000);
  return wallet!.address;
}

beforeAll(async () => {
  platform = await startPlatform();
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  payments = new Queue(QUEUE_NAMES.payments, { connection: redis, prefix: platform.queuePrefix });
});
afterAll(async () => {
  await payments?.close();
  await redis?.quit();
  await platform?.stop();
});

/** Waits for a message to `chatId` after the first `after` ones whose text matches. */
const nextMessage = (chatId: number, after: number, pattern: RegExp) =>
  eventually(() =>
    platform.telegram
      .sentMessages(chatId)
      .slice(after)
      .find((message) => pattern.test(message.text ?? '')),
  );
const count = (chatId: number) => platform.telegram.sentMessages(chatId).length;
const buttonsOf = (message: SentMessage) =>
  (message.replyMarkup?.inline_keyboard ?? []).flat() as { text: string; callback_data: string }[];
const press = (from: typeof sam, message: SentMessage, data: string) =>
  platform.telegram.pressButton({
    from,
    message: { message_id: message.messageId, chat: { id: message.chatId } },
    data,
  });
const current = (message: SentMessage) =>
  platform.telegram.sentMessages(message.chatId).find((m) => m.messageId === message.messageId)!;

async function say(from: typeof sam, text: string, expected: RegExp): Promise<SentMessage> {
  const before = count(from.id);
  platform.telegram.sendUserMessage({ from, text });
  return nextMessage(from.id, before, expected);
}

describe('sending XLM to another user by @username', () => {
  let anaAddress: string;
  let summary: SentMessage;
  let intentKey: string;

  beforeAll(async () => {
    await withActiveWallets(sam);
    anaAddress = await withActiveWallets(ana);
  });

  it('shows the command in the menu and in /help', async () => {
    expect(platform.telegram.commands()?.map((command) => command.command)).toContain('send');
    expect(
      platform.telegram.commands({ languageCode: 'es' })?.find((c) => c.command === 'send')?.description,
    ).toBe('Enviar cripto a una dirección o a un usuario');
    await say(sam, '/help', /\/send – send crypto/);
  });

  it('answers an amount above the balance clearly, before anything is signed', async () => {
    const prompt = await say(sam, '/send', /^What do you want to send\?/);
    const xlm = buttonsOf(prompt).find((button) => button.text.startsWith('XLM'))!;
    const before = count(sam.id);
    press(sam, prompt, xlm.callback_data);
    await nextMessage(sam.id, before, /^How much XLM\?/);
    await say(sam, '1000000', /^Who gets it\?/);
    await say(sam, '@ana_recibe', /^Add a memo\?/);
    const memoPrompt = platform.telegram.sentMessages(sam.id).at(-1)!;
    const afterMemo = count(sam.id);
    press(sam, memoPrompt, 'send:memo:skip');
    await nextMessage(sam.id, afterMemo, /^Not enough XLM: you can send at most 9998\.99999 XLM now/);
    await nextMessage(sam.id, afterMemo, /^How much XLM\?/);
    expect(await platform.query('SELECT 1 FROM chain_intents WHERE kind = $1', ['PAYMENT'])).toHaveLength(0);
  });

  it('shows the summary with Confirm and Cancel once the amount fits', async () => {
    summary = await say(sam, '25', /Please check your payment/);
    expect(summary.text).toContain('Amount: 25 XLM');
    expect(summary.text).toContain('To: @ana_recibe');
    expect(summary.text).toContain(anaAddress);
    expect(buttonsOf(summary).map((button) => button.text)).toEqual(['✅ Confirm', '✖️ Cancel']);
  });

  it('records the payment and queues it on Confirm, turning the summary into its status message', async () => {
    const confirm = buttonsOf(summary)[0]!;
    intentKey = `pay-${confirm.callback_data.split(':')[1]}`;
    const update = press(sam, summary, confirm.callback_data);
    await platform.telegram.waitForCallbackAnswer(update.callback_query!.id);
    const [intent] = await eventually(async () => {
      const rows = await platform.query<{
        key: string;
        destination: string;
        amount_base: string;
        chain: string;
      }>('SELECT key, destination, amount_base::text, chain FROM chain_intents WHERE key = $1', [intentKey]);
      return rows.length > 0 ? rows : undefined;
    });
    expect(intent).toEqual({
      key: intentKey,
      destination: anaAddress,
      amount_base: '250000000',
      chain: 'STELLAR',
    });
    expect(await payments.getJob(intentKey)).toBeDefined();
    expect(current(summary).text).not.toContain('Please check your payment');
    expect(current(summary).replyMarkup).toBeUndefined();
  });

  it('refuses a second press of the same Confirm', async () => {
    const confirm = `pa:${intentKey.slice('pay-'.length)}:ok`;
    const update = platform.telegram.pressButton({
      from: sam,
      message: { message_id: summary.messageId, chat: { id: sam.id } },
      data: confirm,
      force: true,
    });
    expect((await platform.telegram.waitForCallbackAnswer(update.callback_query!.id)).text).toBe(
      'This was already done.',
    );
    expect(await platform.query('SELECT 1 FROM chain_intents WHERE kind = $1', ['PAYMENT'])).toHaveLength(1);
  });

  it('confirms the payment on the network and edits the status message', async () => {
    await eventually(() => /Confirmed|✅/.test(current(summary).text ?? ''), 30_000);
    expect(platform.horizon.account(anaAddress)!.balance).toBe(10_000n * 10_000_000n + 250_000_000n);
  });
});
